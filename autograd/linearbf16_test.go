package autograd

import (
	"fmt"
	"math"
	"testing"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/tensor"
)

// bf16Weight returns a random bf16 weight [out, in].
func bf16Weight(seed uint64, out, in int) *tensor.BF16 {
	return tensor.ToBF16(tensor.FromSlice(testutil.Uniform(testutil.RNG(seed), out*in), out, in))
}

// TestLinearBF16DotGradient checks LinearBF16Dot's gradient by finite
// differences on the generic level, where its products are float32 (the
// bf16 rounding of the dot-product levels is not differentiable), x an
// intermediate whose gradient accumulates.
func TestLinearBF16DotGradient(t *testing.T) {
	defer asm.SetLevel(asm.Generic)()
	w := bf16Weight(9, 5, 4)
	f := func(tp *Tape, x []*Var) *Var {
		h := tp.Scale(x[0], 1.5)
		return tp.Add(tp.LinearBF16Dot(h, w), tp.LinearBF16Dot(h, w))
	}
	res, err := Check(f, ins(randT(testutil.RNG(3), 2, 3, 4)), CheckOpts{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("score %.2e", res.Score)
}

// TestLinearBF16Dot checks on every level that LinearBF16Dot's output and
// input gradient are asm.SgemmBF16Dot's bit for bit (x·wᵀ, and dy·w with w
// as stored, accumulated over two uses of x), and that both stay within
// bf16 rounding of the float32 LinearBF16: the relative error norm of y
// and dx under 2⁻⁷ (rounding each operand to bf16 costs 2⁻⁹ per product at
// most).
func TestLinearBF16Dot(t *testing.T) {
	for _, l := range asm.Available() {
		for _, s := range []struct{ rows, out, in int }{{1, 3, 7}, {3, 17, 15}, {7, 33, 31}, {17, 15, 129}, {129, 31, 33}, {33, 130, 1030}, {13, 1031, 70}} {
			t.Run(fmt.Sprintf("%s/%dx%dx%d", l, s.rows, s.out, s.in), func(t *testing.T) {
				defer asm.SetLevel(l)()
				w := bf16Weight(uint64(s.rows), s.out, s.in)
				r := testutil.RNG(uint64(s.in))
				xv := tensor.FromSlice(testutil.Normal(r, s.rows*s.in, 1), s.rows, s.in)
				dyv := tensor.FromSlice(testutil.Normal(r, s.rows*s.out, 1), s.rows, s.out)
				run := func(f func(tp *Tape, x *Var) *Var) (y, dx []float32) {
					x := NewParam("x", tensor.FromSlice(append([]float32(nil), xv.Data()...), s.rows, s.in))
					tp := NewTape()
					h := tp.Scale(x, 1)
					out := tp.Add(f(tp, h), f(tp, h))
					tp.BackwardWith(out, tensor.Scale(0.5, dyv))
					return append([]float32(nil), out.Data()...), x.Grad.Data()
				}
				yDot, dxDot := run(func(tp *Tape, x *Var) *Var { return tp.LinearBF16Dot(x, w) })
				yF32, dxF32 := run(func(tp *Tape, x *Var) *Var { return tp.LinearBF16(x, w, nil) })

				wantY := make([]float32, s.rows*s.out)
				asm.SgemmBF16Dot(false, true, s.rows, s.out, s.in, 1, xv.Data(), s.in, w.Data(), s.in, 0, wantY, s.out)
				dy := tensor.Scale(0.5, dyv).Data()
				wantDx := make([]float32, s.rows*s.in)
				asm.SgemmBF16Dot(false, false, s.rows, s.in, s.out, 1, dy, s.out, w.Data(), s.in, 0, wantDx, s.in)
				asm.SgemmBF16Dot(false, false, s.rows, s.in, s.out, 1, dy, s.out, w.Data(), s.in, 1, wantDx, s.in)
				for i := range wantY {
					if yDot[i] != 2*wantY[i] {
						t.Fatalf("y[%d] = %g, want 2·%g", i, yDot[i], wantY[i])
					}
				}
				for i := range wantDx {
					if dxDot[i] != wantDx[i] {
						t.Fatalf("dx[%d] = %g, want %g", i, dxDot[i], wantDx[i])
					}
				}
				for _, c := range []struct {
					name      string
					got, want []float32
				}{{"y", yDot, yF32}, {"dx", dxDot, dxF32}} {
					if e := relErr(c.got, c.want); e > 1.0/128 {
						t.Errorf("%s: relative error %.2e against float32, want ≤ 2⁻⁷", c.name, e)
					}
				}
			})
		}
	}
}

// relErr returns ‖got − want‖ / ‖want‖.
func relErr(got, want []float32) float64 {
	var d, n float64
	for i, w := range want {
		e := float64(got[i]) - float64(w)
		d += e * e
		n += float64(w) * float64(w)
	}
	return math.Sqrt(d / n)
}
