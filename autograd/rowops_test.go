package autograd

import (
	"fmt"
	"math"
	"runtime"
	"testing"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/tensor"
)

// The row ops (RMSNorm, CrossEntropy) run on vector kernels and over
// threads; these tests hold them to the scalar loops they replaced, bit
// for bit, since the default run's results table depends on every bit.

// formerRMSNormGrads is the former RMSNorm backward's element loop: it
// adds to dx and dw (zeroed or not). The float32 conversions keep arm64
// from fusing the products into the sums: the loop as amd64 compiled it.
func formerRMSNormGrads(x, w, dy, rstd, dx, dw []float32, n int) {
	xh, gw := make([]float32, n), make([]float32, n)
	for r := 0; r < len(x)/n; r++ {
		xr, gr, s := x[r*n:(r+1)*n], dy[r*n:(r+1)*n], rstd[r]
		for i, v := range xr {
			xh[i] = v * s
		}
		if dw != nil {
			for i := range dw {
				dw[i] += float32(gr[i] * xh[i])
			}
		}
		if w != nil {
			asm.Mul(gw, gr, w)
		} else {
			copy(gw, gr)
		}
		c := asm.Dot(gw, xh) / float32(n)
		d := dx[r*n : (r+1)*n]
		for i := range d {
			d[i] += float32(s * (gw[i] - float32(xh[i]*c)))
		}
	}
}

// formerCrossEntropy is the former loss and logits gradient (added to
// dlogits) for upstream gradient seed.
func formerCrossEntropy(logits []float32, v int, targets []int, ignore int, seed float32, dlogits []float32) float32 {
	var loss float64
	count := 0
	lse := make([]float32, len(targets))
	scratch := make([]float32, v)
	for r, t := range targets {
		if t == ignore {
			continue
		}
		row := logits[r*v : (r+1)*v]
		m := asm.Max(row)
		l := m
		if !math.IsInf(float64(m), 0) {
			for i, z := range row {
				scratch[i] = z - m
			}
			asm.Exp(scratch, scratch)
			l = m + float32(math.Log(float64(asm.Sum(scratch))))
		}
		lse[r] = l
		loss += float64(l - row[t])
		count++
	}
	s := seed * (1 / float32(count))
	for r, t := range targets {
		if t == ignore {
			continue
		}
		row, dr := logits[r*v:(r+1)*v], dlogits[r*v:(r+1)*v]
		for i, z := range row {
			scratch[i] = z - lse[r]
		}
		asm.Exp(scratch, scratch)
		asm.Axpy(s, scratch, dr)
		dr[t] -= s
	}
	return float32(loss / float64(count))
}

// wantBits wants got equal to want bit for bit on amd64. Elsewhere the
// former loops compiled differently (arm64 fuses multiply-adds in Go code),
// so there it wants them within 4 ulp of each other's magnitude.
func wantBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		for i := range want {
			if d := math.Abs(float64(got[i]) - float64(want[i])); d > 4*math.Ldexp(math.Abs(float64(want[i])), -23)+1e-30 {
				t.Fatalf("%s[%d] = %g, the former loop gives %g", what, i, got[i], want[i])
			}
		}
		return
	}
	if i := sameBits(got, want); i >= 0 {
		t.Fatalf("%s[%d] = %g (%#x), the former loop gives %g (%#x)", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
	}
}

// TestRMSNormSameAsFormer: value, dx and dw (gain or none, dx fresh or
// accumulating) at 1 and 2 threads on awkward shapes.
func TestRMSNormSameAsFormer(t *testing.T) {
	for _, th := range []int{1, 2} {
		for _, sh := range [][2]int{{1, 1}, {3, 7}, {17, 33}, {5, 129}, {129, 64}, {200, 515}} {
			for _, gain := range []bool{true, false} {
				t.Run(fmt.Sprintf("threads%d/%dx%d/gain%v", th, sh[0], sh[1], gain), func(t *testing.T) {
					defer asm.SetThreads(th)()
					r := testutil.RNG(uint64(81 + sh[0]*sh[1]))
					rows, n := sh[0], sh[1]
					x := NewParam("x", tensor.FromSlice(testutil.Normal(r, rows*n, 2), rows, n))
					var w *Var
					var wd []float32
					if gain {
						wd = testutil.Normal(r, n, 1)
						w = NewParam("w", tensor.FromSlice(append([]float32(nil), wd...), n))
						w.Grad = tensor.FromSlice(testutil.Normal(r, n, 1), n) // accumulates
					}
					seed := tensor.FromSlice(testutil.Normal(r, rows*n, 1), rows, n)
					wantDW := []float32(nil)
					if gain {
						wantDW = append([]float32(nil), w.Grad.Data()...)
					}
					tp := NewTape()
					y := tp.RMSNorm(x, w, 1e-5)
					rstd := make([]float32, rows)
					want := make([]float32, rows*n)
					for i := range rows {
						rstd[i] = asm.RMSNorm(want[i*n:(i+1)*n], x.Value.Row(i), wd, 1e-5)
					}
					wantBits(t, "y", y.Data(), want)
					tp.BackwardWith(y, seed)
					wantDX := make([]float32, rows*n)
					formerRMSNormGrads(x.Data(), wd, seed.Data(), rstd, wantDX, wantDW, n)
					wantBits(t, "dx", x.Grad.Data(), wantDX)
					if gain {
						wantBits(t, "dw", w.Grad.Data(), wantDW)
					}
				})
			}
		}
	}
}

// TestCrossEntropySameAsFormer: loss and logits gradient at 1 and 2
// threads, with ignored rows, a negative upstream gradient (the path that
// must not write −0) and a gradient that accumulates (logits a parameter).
func TestCrossEntropySameAsFormer(t *testing.T) {
	for _, th := range []int{1, 2} {
		for _, sh := range [][2]int{{1, 1}, {3, 7}, {17, 33}, {64, 1031}, {130, 2048}} {
			for _, c := range []struct {
				seed  float32
				param bool
			}{{1, false}, {-0.75, false}, {2.5, true}} {
				t.Run(fmt.Sprintf("threads%d/%dx%d/seed%g/param%v", th, sh[0], sh[1], c.seed, c.param), func(t *testing.T) {
					defer asm.SetThreads(th)()
					r := testutil.RNG(uint64(91 + sh[0]*sh[1]))
					rows, v := sh[0], sh[1]
					z := testutil.Normal(r, rows*v, 4)
					for i := range z {
						if r.IntN(50) == 0 {
							z[i] = -200 // exp underflows to 0 in the gradient
						}
					}
					targets := make([]int, rows)
					for i := range targets {
						targets[i] = r.IntN(v)
						if rows > 1 && r.IntN(4) == 0 {
							targets[i] = -100
						}
					}
					if rows > 1 {
						targets[0] = -100
					}
					targets[rows-1] = r.IntN(v)
					tp := NewTape()
					var logits *Var
					want := make([]float32, rows*v)
					if c.param {
						logits = NewParam("z", tensor.FromSlice(z, rows, v))
						logits.Grad = tensor.FromSlice(testutil.Normal(r, rows*v, 1), rows, v)
						copy(want, logits.Grad.Data())
					} else {
						logits = tp.Scale(NewParam("z", tensor.FromSlice(z, rows, v)), 1)
					}
					loss := tp.CrossEntropy(logits, targets, -100)
					wantLoss := formerCrossEntropy(logits.Data(), v, targets, -100, c.seed, want)
					wantBits(t, "loss", loss.Data(), []float32{wantLoss})
					tp.BackwardWith(loss, tensor.FromSlice([]float32{c.seed}, 1))
					wantBits(t, "dlogits", logits.Grad.Data(), want)
				})
			}
		}
	}
}
