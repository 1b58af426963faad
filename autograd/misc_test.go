package autograd

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/tensor"
)

func TestDropoutReproducible(t *testing.T) {
	x := Const(tensor.Full(1, 100, 100))
	a := (*Tape)(nil).Dropout(x, 0.25, testutil.RNG(1))
	b := (*Tape)(nil).Dropout(x, 0.25, testutil.RNG(1))
	if tensor.MaxAbsDiff(a.Value, b.Value) != 0 {
		t.Fatal("same seed gave different masks")
	}
	zeros := 0
	for _, v := range a.Data() {
		switch v {
		case 0:
			zeros++
		case 1 / 0.75:
		default:
			t.Fatalf("survivor scaled to %g, want %g", v, 1/0.75)
		}
	}
	if f := float64(zeros) / 1e4; math.Abs(f-0.25) > 0.02 {
		t.Fatalf("dropped fraction %g, want ≈0.25", f)
	}
	if (*Tape)(nil).Dropout(x, 0.5, nil) != x {
		t.Fatal("dropout without an RNG must be the identity")
	}
}

// TestRoPELlama3 checks the llama3 frequency bands (Llama-3.2 config):
// short wavelengths unchanged, long ones slowed by the factor, the band in
// between strictly in between, and the frequencies still decreasing.
func TestRoPELlama3(t *testing.T) {
	sc := &RoPEScaling{Factor: 32, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPos: 8192}
	plain := RoPEInvFreq(64, 500000, nil)
	scaled := RoPEInvFreq(64, 500000, sc)
	var hi, lo, mid int
	for i := range plain {
		wave := 2 * math.Pi / float64(plain[i])
		p, s := float64(plain[i]), float64(scaled[i])
		switch {
		case wave < 8192/4:
			hi++
			if s != p {
				t.Errorf("high-frequency %d changed: %g → %g", i, p, s)
			}
		case wave > 8192:
			lo++
			if math.Abs(s-p/32) > 1e-6*p {
				t.Errorf("low-frequency %d: %g, want %g", i, s, p/32)
			}
		default:
			mid++
			if !(s < p && s > p/32) {
				t.Errorf("medium frequency %d: %g not in (%g, %g)", i, s, p/32, p)
			}
		}
		if i > 0 && scaled[i] >= scaled[i-1] {
			t.Errorf("scaled frequencies not decreasing at %d", i)
		}
	}
	if hi == 0 || lo == 0 || mid == 0 {
		t.Fatalf("bands high/mid/low = %d/%d/%d; want all non-empty", hi, mid, lo)
	}
	// Rotate-half at position p equals a rotation of each (i, i+D/2) pair.
	cos, sin := RoPETables(nil, plain[:2], []int{3})
	x := Const(tensor.FromSlice([]float32{1, 2, 3, 4}, 1, 1, 1, 4))
	y := (*Tape)(nil).RoPE(x, cos, sin).Data()
	for i := 0; i < 2; i++ {
		a := 3 * float64(plain[i])
		x1, x2 := float64(1+i), float64(3+i)
		w1, w2 := x1*math.Cos(a)-x2*math.Sin(a), x2*math.Cos(a)+x1*math.Sin(a)
		if math.Abs(float64(y[i])-w1) > 1e-6 || math.Abs(float64(y[i+2])-w2) > 1e-6 {
			t.Fatalf("pair %d: got (%g, %g), want (%g, %g)", i, y[i], y[i+2], w1, w2)
		}
	}
}

// TestLoRAMatchesComposition checks the fused LoRA op against the ops it
// replaces (same dropout mask from the same generator): values and every
// gradient, for odd sizes, with and without dropout; LoRAOnto against LoRA
// bit for bit.
func TestLoRAMatchesComposition(t *testing.T) {
	for _, c := range []struct {
		rows, in, r, out int
		p                float32
	}{{1, 3, 1, 2, 0}, {7, 17, 4, 9, 0.05}, {33, 31, 8, 15, 0.3}, {129, 64, 16, 33, 0.1}} {
		r := testutil.RNG(uint64(c.rows))
		xv, wv := tensor.RandN(r, 1, c.rows, c.in), tensor.RandN(r, 1, c.out, c.in)
		av, bv := tensor.RandN(r, 1, c.r, c.in), tensor.RandN(r, 1, c.out, c.r)
		run := func(op string) []*tensor.Tensor {
			x, w, a, b := NewParam("x", xv.Clone()), NewParam("w", wv.Clone()), NewParam("a", av.Clone()), NewParam("b", bv.Clone())
			tp := NewTape()
			h := tp.Scale(x, 1.25)
			y := tp.Linear(h, w, nil)
			var z *Var
			switch op {
			case "LoRA":
				z = tp.LoRA(y, h, a, b, 0.5, c.p, testutil.RNG(3))
			case "LoRAOnto":
				z = tp.LoRAOnto(y, h, a, b, 0.5, c.p, testutil.RNG(3))
			default:
				z = tp.Add(y, tp.Scale(tp.Linear(tp.Linear(tp.Dropout(h, c.p, testutil.RNG(3)), a, nil), b, nil), 0.5))
			}
			tp.Backward(tp.Sum(tp.Mul(z, z)))
			return []*tensor.Tensor{z.Value.Clone(), x.Grad, w.Grad, a.Grad, b.Grad}
		}
		got, onto, want := run("LoRA"), run("LoRAOnto"), run("composed")
		for i, name := range []string{"value", "dx", "dw", "da", "db"} {
			// Same products in another order (the scale inside the
			// GEMMs): float32 rounding only, relative to the magnitudes.
			if msg := closeTo(got[i].Data(), want[i].Data(), 1e-5); msg != "" {
				t.Errorf("%+v: %s differs from the composed ops: %s", c, name, msg)
			}
			// Onto y's buffer: the same operations, so the same bits.
			if j := sameBits(onto[i].Data(), got[i].Data()); j >= 0 {
				t.Errorf("%+v: LoRAOnto's %s[%d] = %g, LoRA's %g", c, name, j, onto[i].Data()[j], got[i].Data()[j])
			}
		}
	}
}

// closeTo reports the first element of got farther than tol·max|want| from
// want ("" if none).
func closeTo(got, want []float32, tol float64) string {
	var scale float64
	for _, w := range want {
		scale = max(scale, math.Abs(float64(w)))
	}
	for i := range want {
		if d := math.Abs(float64(got[i]) - float64(want[i])); !(d <= tol*scale) {
			return fmt.Sprintf("element %d: %g vs %g (scale %g)", i, got[i], want[i], scale)
		}
	}
	return ""
}

// TestSegment checks that segments change no bit of the gradients, free
// the intermediates' gradients between them (nil afterwards, while the
// input's stays), and lower the arena's high-water mark.
func TestSegment(t *testing.T) {
	in := segmentInputs(testutil.RNG(4), 64, 256)
	run := func(seg bool) ([][]float32, int) {
		xs := make([]*Var, len(in))
		for i, v := range in {
			xs[i] = NewParam("x", v.Clone())
		}
		tp := NewTape()
		h0 := tp.Scale(xs[0], 1) // an intermediate from before the first segment
		xs0 := xs[0]
		xs[0] = h0
		out := segmentNet(seg)(tp, xs)
		tp.BackwardWith(out, tensor.RandN(testutil.RNG(5), 1, out.Shape()...))
		if h0.Grad == nil {
			t.Fatalf("seg %v: the gradient of a Var from before the first segment is gone", seg)
		}
		grads := [][]float32{slices.Clone(h0.Grad.Data())}
		for _, p := range append([]*Var{xs0}, xs[1:]...) {
			grads = append(grads, slices.Clone(p.Grad.Data()))
		}
		if seg {
			// vars[0:2] are h0 and segmentNet's first Scale, from before
			// the first segment; the last is the Reshape after the last.
			for i, v := range tp.vars[2 : tp.nv-1] {
				if v.Grad != nil {
					t.Errorf("intermediate %d %v kept its gradient after the backward pass", i+2, v.Shape())
				}
			}
		}
		return grads, tp.Arena().Bytes()
	}
	want, plain := run(false)
	got, segmented := run(true)
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("gradient %d differs with segments", i)
		}
	}
	if segmented >= plain {
		t.Errorf("arena high-water mark %d bytes with segments, %d without", segmented, plain)
	}
	t.Logf("arena %d bytes with segments, %d without", segmented, plain)
}
