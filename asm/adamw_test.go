package asm

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
)

// adamwCase is one AdamW input: weights, gradients and moments of n
// elements, with special values planted.
type adamwCase struct {
	w, g, m, v []float32
	s          AdamWStep
}

func newAdamWCase(r *rand.Rand, n int) adamwCase {
	c := adamwCase{
		w: testutil.Normal(r, n, 1), g: testutil.Normal(r, n, 0.1),
		m: testutil.Normal(r, n, 0.01), v: make([]float32, n),
		s: AdamWStep{Decay: 1 - float32(r.Float64())*1e-3, Beta1: 0.9, Beta2: 0.999,
			StepSize: float32(r.Float64()) * 1e-2, BC2Sqrt: float32(0.03 + r.Float64()), Eps: 1e-8},
	}
	if r.IntN(4) == 0 {
		c.s.Beta1, c.s.Beta2, c.s.Decay = float32(r.Float64()), float32(r.Float64()), 1
	}
	for i := range c.v {
		c.v[i] = float32(r.ExpFloat64() * 1e-4)
		switch r.IntN(24) {
		case 0:
			c.g[i] = 0
		case 1:
			c.v[i], c.m[i] = 0, 0
		case 2:
			c.g[i] = float32(math.Ldexp(r.Float64(), -140)) // subnormal
		case 3:
			c.g[i] = []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 3e38}[r.IntN(4)]
		case 4:
			c.v[i] = float32(math.Ldexp(r.Float64(), -130))
		}
	}
	return c
}

// TestAdamWTwin checks every level's AdamW against the twin bit for bit
// (NaNs equal) on every awkward length and offset, with guard bands, and
// the twin against a float64 evaluation of the update.
func TestAdamWTwin(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := testutil.RNG(61)
		for _, n := range vecLengths() {
			for _, off := range vecOffsets() {
				c := newAdamWCase(r, n)
				ww, wm, wv := clone(c.w), clone(c.m), clone(c.v)
				k := c.s.consts()
				adamwGeneric(ww, c.g, wm, wv, &k)
				w, cw := guarded(n, off)
				m, cm := guarded(n, (off+5)%16)
				v, cv := guarded(n, (off+11)%16)
				copy(w, c.w)
				copy(m, c.m)
				copy(v, c.v)
				AdamW(w, c.g, m, v, c.s)
				for _, chk := range []func() string{cw, cm, cv} {
					if msg := chk(); msg != "" {
						t.Fatalf("n=%d off=%d: %s", n, off, msg)
					}
				}
				for i := range w {
					if !sameFloat(w[i], ww[i]) || !sameFloat(m[i], wm[i]) || !sameFloat(v[i], wv[i]) {
						t.Fatalf("n=%d off=%d [%d]: w, m, v = %g, %g, %g; twin %g, %g, %g (g %g)", n, off, i, w[i], m[i], v[i], ww[i], wm[i], wv[i], c.g[i])
					}
				}
				if msg := adamwReference(c, ww, wm, wv); msg != "" {
					t.Fatalf("n=%d: twin %s", n, msg)
				}
			}
		}
	})
}

func clone(x []float32) []float32 { return append([]float32(nil), x...) }

// adamwReference checks the twin's results against the update evaluated in
// float64, stage by stage: m and v from the inputs, each within its
// roundings (u = 2⁻²⁴ each) of its terms' magnitudes; w from the inputs and
// the twin's m and v (so an error in v is not amplified by a tiny
// denominator), within the roundings of the square root, the divisions,
// the sums and the products. Non-finite inputs are skipped.
func adamwReference(c adamwCase, w, m, v []float32) string {
	u := math.Ldexp(1, -24)
	tiny := math.Ldexp(1, -140)
	s := c.s
	b1, b2 := float64(s.Beta1), float64(s.Beta2)
	c1, c2 := float64(1-s.Beta1), float64(1-s.Beta2)
	for i := range c.w {
		g, m0, v0, w0 := float64(c.g[i]), float64(c.m[i]), float64(c.v[i]), float64(c.w[i])
		if math.IsInf(g, 0) || math.IsNaN(g) || math.Abs(g) > 1e30 {
			continue
		}
		rm := b1*m0 + c1*g
		rv := b2*v0 + c2*g*g
		if d := math.Abs(float64(m[i]) - rm); d > 3*u*(math.Abs(b1*m0)+math.Abs(c1*g))+tiny {
			return fmt.Sprintf("[%d] m = %g, float64 %g", i, m[i], rm)
		}
		if d := math.Abs(float64(v[i]) - rv); d > 4*u*(b2*v0+c2*g*g)+tiny {
			return fmt.Sprintf("[%d] v = %g, float64 %g", i, v[i], rv)
		}
		den := math.Sqrt(float64(v[i]))/float64(s.BC2Sqrt) + float64(s.Eps)
		step := float64(s.StepSize) * float64(m[i]) / den
		rw := w0*float64(s.Decay) - step
		if d := math.Abs(float64(w[i]) - rw); d > 8*u*(math.Abs(w0)+math.Abs(step))+tiny {
			return fmt.Sprintf("[%d] w = %g, float64 %g (step %g)", i, w[i], rw, step)
		}
	}
	return ""
}

// FuzzAdamW compares every SIMD level's AdamW with the twin bit for bit on
// fuzzer-chosen bit patterns (the data's quarters are w, g, m, v) and
// constants.
func FuzzAdamW(f *testing.F) {
	f.Add(float32(0.9), float32(0.999), float32(1e-3), float32(0.9995), []byte("\x00\x00\x80\x3f\x00\x00\x00\x40\x00\x00\xc0\x7f\x00\x00\x80\xff"))
	f.Add(float32(0), float32(1), float32(-2), float32(1), make([]byte, 4*4*37))
	b := make([]byte, 4*4*129)
	for i := range b {
		b[i] = byte(i*37 + i>>3)
	}
	f.Add(float32(0.5), float32(0.25), float32(3), float32(0.5), b)
	f.Fuzz(func(t *testing.T, b1, b2, step, decay float32, data []byte) {
		vals := make([]float32, len(data)/4)
		for i := range vals {
			vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
		n := len(vals) / 4
		s := AdamWStep{Decay: decay, Beta1: b1, Beta2: b2, StepSize: step, BC2Sqrt: 0.5, Eps: 1e-8}
		in := func(q int) []float32 { return clone(vals[q*n : (q+1)*n]) }
		ww, wm, wv := in(0), in(2), in(3)
		k := s.consts()
		adamwGeneric(ww, in(1), wm, wv, &k)
		for _, l := range Available() {
			if l == Generic {
				continue
			}
			w, m, v := in(0), in(2), in(3)
			tables[l].adamw(w, in(1), m, v, &k)
			for i := range w {
				if !sameFloat(w[i], ww[i]) || !sameFloat(m[i], wm[i]) || !sameFloat(v[i], wv[i]) {
					t.Fatalf("%s n=%d [%d]: w, m, v = %g, %g, %g; twin %g, %g, %g", l, n, i, w[i], m[i], v[i], ww[i], wm[i], wv[i])
				}
			}
		}
	})
}
