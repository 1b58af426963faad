package autograd

import (
	"math"
	"runtime"
	"testing"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/tensor"
)

// swigluBackwardRef is the SwiGLU backward pass one element at a time (the
// σ through the same vector exp kernel): the definition asm.SwiGLUBackward, which the op runs, must
// match bit for bit. The float32 conversions keep the compiler from fusing
// a product and a sum into one multiply-add (Go does on arm64), which the
// vector passes do not do either.
func swigluBackwardRef(dg, du []float32, addG, addU bool, dy, g, u []float32) {
	var e [swigluChunk]float32
	for lo := 0; lo < len(g); lo += swigluChunk {
		x := g[lo:min(lo+swigluChunk, len(g))]
		for j, v := range x {
			e[j] = -v
		}
		asm.Exp(e[:len(x)], e[:len(x)])
		for j := range x {
			i, s := lo+j, 1/(1+e[j])
			if dg != nil {
				v := float32(float32(float32(dy[i]*u[i])*s) * (1 + float32(g[i]*(1-s))))
				if addG {
					v += dg[i]
				}
				dg[i] = v
			}
			if du != nil {
				v := float32(float32(dy[i]*g[i]) * s)
				if addU {
					v += du[i]
				}
				du[i] = v
			}
		}
	}
}

// sameSwiGLUBackward compares asm.SwiGLUBackward with its reference bit for
// bit on one input, written (add false) and accumulated onto old (add
// true), and returns both gradients of the vector pass.
func sameSwiGLUBackward(t *testing.T, dy, g, u, old []float32, add bool) (dg, du []float32) {
	t.Helper()
	n := len(g)
	dg, du = append([]float32(nil), old...), append([]float32(nil), old...)
	wg, wu := append([]float32(nil), old...), append([]float32(nil), old...)
	asm.SwiGLUBackward(dg, du, add, add, dy, g, u)
	swigluBackwardRef(wg, wu, add, add, dy, g, u)
	if i := sameBits(dg, wg); i >= 0 {
		t.Fatalf("n=%d add=%v: dgate[%d] = %g, want %g (g %g, u %g, dy %g)", n, add, i, dg[i], wg[i], g[i], u[i], dy[i])
	}
	if i := sameBits(du, wu); i >= 0 {
		t.Fatalf("n=%d add=%v: dup[%d] = %g, want %g", n, add, i, du[i], wu[i])
	}
	// One gradient alone (the other input needs none).
	only := append([]float32(nil), old...)
	asm.SwiGLUBackward(nil, only, false, add, dy, g, u)
	if i := sameBits(only, wu); i >= 0 {
		t.Fatalf("n=%d add=%v: dup alone [%d] = %g, want %g", n, add, i, only[i], wu[i])
	}
	return dg, du
}

// checkSwiGLUBackward compares asm.SwiGLUBackward with its reference on one
// input in both accumulate modes, and with a float64 evaluation.
func checkSwiGLUBackward(t *testing.T, dy, g, u, old []float32) {
	t.Helper()
	for _, add := range []bool{false, true} {
		dg, du := sameSwiGLUBackward(t, dy, g, u, old, add)
		for i := range g {
			s := 1 / (1 + math.Exp(-float64(g[i])))
			wantG := float64(dy[i]) * float64(u[i]) * s * (1 + float64(g[i])*(1-s))
			wantU := float64(dy[i]) * float64(g[i]) * s
			if add {
				wantG += float64(old[i])
				wantU += float64(old[i])
			}
			for _, c := range []struct {
				got  float32
				want float64
			}{{dg[i], wantG}, {du[i], wantU}} {
				if d := math.Abs(float64(c.got) - c.want); d > 1e-5*(1+math.Abs(c.want)) {
					t.Fatalf("n=%d add=%v: element %d is %g, float64 %g", len(g), add, i, c.got, c.want)
				}
			}
		}
	}
}

// TestSwiGLUBackwardKernel checks the SwiGLU backward kernel against
// the element-at-a-time reference on awkward sizes.
func TestSwiGLUBackwardKernel(t *testing.T) {
	r := testutil.RNG(11)
	for _, n := range []int{1, 3, 7, 15, 17, 31, 33, 127, 129, swigluChunk, swigluChunk + 1, 3*swigluChunk + 17} {
		checkSwiGLUBackward(t, testutil.Normal(r, n, 1), testutil.Normal(r, n, 3), testutil.Normal(r, n, 1), testutil.Normal(r, n, 1))
	}
}

// FuzzSwiGLUBackward compares the kernel with its reference on
// arbitrary floats (bit for bit; NaN payloads aside).
func FuzzSwiGLUBackward(f *testing.F) {
	f.Add([]byte{0, 0, 128, 63, 0, 0, 0, 192, 0, 0, 128, 127, 0, 0, 0, 128, 1, 0, 0, 0, 0, 0, 200, 66})
	f.Fuzz(func(t *testing.T, raw []byte) {
		n := len(raw) / 16
		vals := make([]float32, 4*n)
		for i := range vals {
			vals[i] = math.Float32frombits(uint32(raw[4*i]) | uint32(raw[4*i+1])<<8 | uint32(raw[4*i+2])<<16 | uint32(raw[4*i+3])<<24)
		}
		dy, g, u, old := vals[:n], vals[n:2*n], vals[2*n:3*n], vals[3*n:]
		for _, add := range []bool{false, true} {
			sameSwiGLUBackward(t, dy, g, u, old, add)
		}
	})
}

// BenchmarkSwiGLUBackward times the backward pass on a [4096, 688] gate
// (a default-run fine-tuning step's MLP): asm.SwiGLUBackward against the
// element-at-a-time reference, in thread CPU-ns per op.
func BenchmarkSwiGLUBackward(b *testing.B) {
	r := testutil.RNG(3)
	n := 4096 * 688
	dy, g, u := testutil.Normal(r, n, 1), testutil.Normal(r, n, 3), testutil.Normal(r, n, 1)
	dg, du := make([]float32, n), make([]float32, n)
	for _, c := range []struct {
		name string
		run  func()
	}{
		{"vector", func() { asm.SwiGLUBackward(dg, du, false, true, dy, g, u) }},
		{"ref", func() { swigluBackwardRef(dg, du, false, true, dy, g, u) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			c0, ok := testutil.ThreadCPU()
			for b.Loop() {
				c.run()
			}
			if c1, _ := testutil.ThreadCPU(); ok {
				b.ReportMetric(float64(c1-c0)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}

// TestElementwiseThreads checks that the SwiGLU op (value and both
// gradients, accumulated onto zeros and onto earlier values) and the dropout op (value, mask and
// gradient) give the same bits at 2 threads, where they split their
// elementwise passes over blocks, as at 1 — on sizes with several blocks
// and a partial last chunk and mask word.
func TestElementwiseThreads(t *testing.T) {
	n := 5*(1<<16) + 1000 + 17
	r := testutil.RNG(13)
	g0, u0, dy := testutil.Normal(r, n, 3), testutil.Normal(r, n, 1), testutil.Normal(r, n, 1)
	old := testutil.Normal(r, n, 1)
	run := func(th int, accumulate bool) [][]float32 {
		defer asm.SetThreads(th)()
		gate := NewParam("g", tensor.FromSlice(append([]float32(nil), g0...), n))
		up := NewParam("u", tensor.FromSlice(append([]float32(nil), u0...), n))
		if accumulate {
			gate.Grad = tensor.FromSlice(append([]float32(nil), old...), n)
		}
		tp := NewTape()
		y := tp.SwiGLU(gate, up)
		d := tp.Dropout(y, 0.1, testutil.RNG(99))
		tp.BackwardWith(d, tensor.FromSlice(append([]float32(nil), dy...), n))
		return [][]float32{y.Data(), d.Data(), gate.Grad.Data(), up.Grad.Data()}
	}
	for _, acc := range []bool{false, true} {
		one, two := run(1, acc), run(2, acc)
		for k, name := range []string{"SwiGLU", "dropout", "dgate", "dup"} {
			if i := sameBits(two[k], one[k]); i >= 0 {
				t.Fatalf("accumulate %v: %s[%d] = %g at 2 threads, %g at 1", acc, name, i, two[k][i], one[k][i])
			}
		}
	}
}
