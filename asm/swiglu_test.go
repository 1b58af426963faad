package asm

import (
	"encoding/binary"
	"fmt"
	"math"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
)

// swigluSizes are the lengths the SwiGLU tests run: around the kernels'
// 16-lane groups and the twins' chunks.
var swigluSizes = []int{1, 3, 7, 15, 16, 17, 31, 33, 127, 129, 255, 256, 257, 1000}

// swigluInputs returns gate, up and output-gradient values of length n
// (gates spread over [−12, 12], the saturating ends included), with the
// special values placed at the front when n allows: ±0, large ±, ±Inf, NaN
// and a subnormal.
func swigluInputs(n int, seed uint64) (g, u, dy []float32) {
	r := testutil.RNG(seed)
	g, u, dy = testutil.Normal(r, n, 4), testutil.Normal(r, n, 1), testutil.Normal(r, n, 1)
	specials := []float32{0, float32(math.Copysign(0, -1)), 95, -95, 200, -200,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1e-40, -1e-40}
	if n >= 64 {
		copy(g, specials)
	}
	return g, u, dy
}

// swigluRef is silu(g)·u in float64 (u = 1 for SiLU alone).
func swigluRef(g, u float64) float64 { return g / (1 + math.Exp(-g)) * u }

// within reports whether got is within ulps float32 ulps of want's
// magnitude (plus the smallest normal, for results that underflow).
func within(got float32, want float64, ulps float64) bool {
	if math.IsNaN(want) {
		return got != got
	}
	if math.IsInf(want, 0) {
		return float64(got) == want
	}
	return math.Abs(float64(got)-want) <= ulps*math.Abs(want)*0x1p-23+0x1p-126
}

// TestSwiGLU32: on every level the kernel equals its Go twin on that
// level's exp bit for bit (silu alone and times u, dst aliasing g), and
// lies within 4 ulp of the float64 silu(g)·u.
func TestSwiGLU32(t *testing.T) {
	for _, l := range Available() {
		for _, n := range swigluSizes {
			for _, mul := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/n=%d/mul=%v", l, n, mul), func(t *testing.T) {
					defer SetLevel(l)()
					g, u, _ := swigluInputs(n, uint64(n))
					if !mul {
						u = nil
					}
					got := make([]float32, n)
					SwiGLU32(got, g, u)
					want := make([]float32, n)
					swiglu32Go(cur, want, g, u)
					inPlace := append([]float32(nil), g...)
					SwiGLU32(inPlace, inPlace, u)
					for i := range got {
						uv := 1.0
						if u != nil {
							uv = float64(u[i])
						}
						switch {
						case !sameFloat(got[i], want[i]):
							t.Fatalf("[%d] g=%g: %g, twin %g", i, g[i], got[i], want[i])
						case !sameFloat(inPlace[i], got[i]):
							t.Fatalf("[%d] g=%g: in place %g, %g", i, g[i], inPlace[i], got[i])
						case !within(got[i], swigluRef(float64(g[i]), uv), 4):
							t.Fatalf("[%d] g=%g u=%g: %g, float64 %g", i, g[i], uv, got[i], swigluRef(float64(g[i]), uv))
						}
					}
				})
			}
		}
	}
}

// swigluPasses is the SwiGLU backward pass as separate vector-kernel
// passes (the form it had in autograd before SwiGLUBackward): the
// definition SwiGLUBackward must reproduce bit for bit.
func swigluPasses(dg, du []float32, addG, addU bool, dy, g, u []float32) {
	n := len(dy)
	s, t, w, ones := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range ones {
		ones[i] = 1
	}
	copy(s, g)
	Scale(-1, s)
	Exp(s, s)
	Add(s, s, ones)
	for i, e := range s {
		s[i] = 1 / e
	}
	store := func(dst, x, y []float32, add bool) {
		if add {
			Mul(x, x, y)
			Add(dst, x, dst)
		} else {
			Mul(dst, x, y)
		}
	}
	if dg != nil {
		copy(t, s)
		Scale(-1, t)
		Add(t, t, ones)
		Mul(t, g, t)
		Add(t, ones, t)
		Mul(w, dy, u)
		Mul(w, w, s)
		store(dg, w, t, addG)
	}
	if du != nil {
		Mul(w, dy, g)
		store(du, w, s, addU)
	}
}

// TestSwiGLUBackward: on every level, for each of the gradients wanted,
// written or added, the kernel equals the separate passes, its twin and the
// chunked passes of levels without it on that level bit for bit, and the
// float64 derivatives within 8 ulp of their terms' size.
func TestSwiGLUBackward(t *testing.T) {
	for _, l := range Available() {
		for _, n := range swigluSizes {
			for mode := 1; mode < 16; mode++ {
				if mode&1 == 0 && mode&2 != 0 || mode&4 == 0 && mode&8 != 0 {
					continue
				}
				t.Run(fmt.Sprintf("%s/n=%d/mode=%d", l, n, mode), func(t *testing.T) {
					defer SetLevel(l)()
					g, u, dy := swigluInputs(n, uint64(n+mode))
					r := testutil.RNG(uint64(mode))
					old := testutil.Normal(r, 2*n, 1)
					grads := func() (dg, du []float32) {
						if mode&1 != 0 {
							dg = append([]float32(nil), old[:n]...)
						}
						if mode&4 != 0 {
							du = append([]float32(nil), old[n:]...)
						}
						return dg, du
					}
					dg, du := grads()
					SwiGLUBackward(dg, du, mode&2 != 0, mode&8 != 0, dy, g, u)
					pg, pu := grads()
					swigluPasses(pg, pu, mode&2 != 0, mode&8 != 0, dy, g, u)
					tg, tu := grads()
					swigluBackGo(cur, tg, tu, dy, g, u, mode)
					qg, qu := grads()
					swigluBackPasses(cur, qg, qu, dy, g, u, mode)
					for i := range n {
						gi, ui, yi := float64(g[i]), float64(u[i]), float64(dy[i])
						s := 1 / (1 + math.Exp(-gi))
						for _, c := range []struct {
							name            string
							got, pass, twin []float32
							chunked         []float32 // swigluBackPasses
							add             bool
							prev            float32 // what the gradient held before
							want, magnitude float64
						}{
							{"dg", dg, pg, tg, qg, mode&2 != 0, old[i], yi * ui * s * (1 + gi*(1-s)), math.Abs(yi * ui * s * (1 + math.Abs(gi)*(1-s)))},
							{"du", du, pu, tu, qu, mode&8 != 0, old[n+i], yi * gi * s, math.Abs(yi * gi * s)},
						} {
							if c.got == nil {
								continue
							}
							want, mag := c.want, c.magnitude
							if c.add {
								want += float64(c.prev)
								mag += math.Abs(want)
							}
							switch {
							case !sameFloat(c.got[i], c.pass[i]):
								t.Fatalf("%s[%d] g=%g: %g, passes %g", c.name, i, g[i], c.got[i], c.pass[i])
							case !sameFloat(c.got[i], c.twin[i]):
								t.Fatalf("%s[%d] g=%g: %g, twin %g", c.name, i, g[i], c.got[i], c.twin[i])
							case !sameFloat(c.got[i], c.chunked[i]):
								t.Fatalf("%s[%d] g=%g: %g, chunked passes %g", c.name, i, g[i], c.got[i], c.chunked[i])
							case math.IsNaN(gi) || math.IsInf(gi, 0):
							case math.Abs(float64(c.got[i])-want) > 8*mag*0x1p-23+0x1p-126:
								t.Fatalf("%s[%d] g=%g: %g, float64 %g", c.name, i, g[i], c.got[i], want)
							}
						}
					}
				})
			}
		}
	}
}

// FuzzSwiGLU: on fuzzer-chosen bit patterns (NaN, infinities, subnormals,
// huge values) every level's SwiGLU32 and SwiGLUBackward against their Go
// twins on that level's exp, bit for bit.
func FuzzSwiGLU(f *testing.F) {
	f.Add(uint8(5), []byte("\x00\x00\x80\x3f\x00\x00\x00\xc0\x00\x00\xc0\x7f\x00\x00\x80\xff\x01\x00\x00\x00\xff\xff\x7f\x7f"))
	f.Add(uint8(15), make([]byte, 4*3*37))
	b := make([]byte, 4*3*41)
	for i := range b {
		b[i] = byte(i*53 + 7)
	}
	f.Add(uint8(9), b)
	f.Fuzz(func(t *testing.T, mode uint8, data []byte) {
		vals := make([]float32, len(data)/4)
		for i := range vals {
			vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
		n := len(vals) / 3
		g, u, dy := vals[:n], vals[n:2*n], vals[2*n:3*n]
		m := int(mode % 16)
		if m&1 == 0 {
			m &^= 2
		}
		if m&4 == 0 {
			m &^= 8
		}
		for _, l := range Available() {
			restore := SetLevel(l)
			got, want := make([]float32, n), make([]float32, n)
			SwiGLU32(got, g, u)
			swiglu32Go(cur, want, g, u)
			for i := range got {
				if !sameFloat(got[i], want[i]) {
					restore()
					t.Fatalf("%s: SwiGLU32 [%d] g=%g u=%g: %g, twin %g", l, i, g[i], u[i], got[i], want[i])
				}
			}
			dg, du, tg, tu := append([]float32(nil), u...), append([]float32(nil), g...), append([]float32(nil), u...), append([]float32(nil), g...)
			if m&1 == 0 {
				dg, tg = nil, nil
			}
			if m&4 == 0 {
				du, tu = nil, nil
			}
			SwiGLUBackward(dg, du, m&2 != 0, m&8 != 0, dy, g, u)
			if m != 0 {
				swigluBackGo(cur, tg, tu, dy, g, u, m)
			}
			for i := range n {
				if dg != nil && !sameFloat(dg[i], tg[i]) || du != nil && !sameFloat(du[i], tu[i]) {
					restore()
					t.Fatalf("%s: SwiGLUBackward mode %d [%d] g=%g: %v %v, twin %v %v", l, m, i, g[i], dg, du, tg, tu)
				}
			}
			restore()
		}
	})
}
