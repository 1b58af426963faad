package asm

import (
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
)

// f32dot4Levels returns the four-row f32 dot kernels to test: the Go twin
// (on every machine) and every level's assembly.
func f32dot4Levels() map[string]f32dot4Kernel {
	ks := map[string]f32dot4Kernel{"twin": f32dot4Generic}
	for _, l := range Available() {
		if f := tables[l].f32dot4; f != nil {
			ks[l.String()] = f
		}
	}
	return ks
}

// TestF32Dot4 checks every level's four-row f32 dot kernel against the Go
// twin bit for bit, on k around the 16- and 32-element steps, row strides
// longer than k (the gap filled with NaN, which a read past k would
// carry into the result) and 0 (one row four times); and the twin against
// a float64 reference within (k+1)·u·Σ|x·w|.
func TestF32Dot4(t *testing.T) {
	ks := []int{1, 2, 3, 7, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 127, 129, 255, 300, 1000, 2048}
	r := testutil.RNG(91)
	u := math.Ldexp(1, -24)
	for name, f := range f32dot4Levels() {
		for _, k := range ks {
			for _, pad := range []int{0, 1, 5} {
				ld := k + pad
				x := testutil.Uniform(r, k)
				w := make([]float32, 4*ld)
				for i := range w {
					if i%ld < k {
						w[i] = float32(r.NormFloat64())
					} else {
						w[i] = float32(math.NaN())
					}
				}
				for _, ldw := range []int{ld, 0} {
					var got [4]float32
					f(&x[0], &w[0], ldw, k, &got[0], 256)
					for row := range 4 {
						wr := w[row*ldw : row*ldw+k]
						want := f32DotRowGeneric(x, wr)
						if !sameFloat(got[row], want) {
							t.Fatalf("%s k=%d ldw=%d row %d: %g (%#x), twin %g (%#x)", name, k, ldw, row, got[row], math.Float32bits(got[row]), want, math.Float32bits(want))
						}
						ref, abs := 0.0, 0.0
						for p := range k {
							ref += float64(x[p]) * float64(wr[p])
							abs += math.Abs(float64(x[p]) * float64(wr[p]))
						}
						if d := math.Abs(float64(want) - ref); d > float64(k+1)*u*abs {
							t.Fatalf("twin k=%d row %d: %g, float64 %g (|diff| %g > %g)", k, row, want, ref, d, float64(k+1)*u*abs)
						}
					}
				}
			}
		}
	}
}

// TestF32MatvecRows checks the float32 matvec's row walk (f32mvRows) on
// every kernel against the twin's dot of each row, bit for bit, on row
// counts around the four-row calls, every split of the rows into two
// ranges (each row's result must not depend on where a split put it), and
// alpha, beta other than 1, 0; and that rows outside the range are left
// alone.
func TestF32MatvecRows(t *testing.T) {
	r := testutil.RNG(92)
	for name, f := range f32dot4Levels() {
		for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 9, 17, 33, 131} {
			for _, k := range []int{1, 17, 33, 130} {
				ld := k + n%3
				x := testutil.Uniform(r, k)
				b := testutil.Uniform(r, n*ld)
				c0 := testutil.Uniform(r, n+1)
				for _, ab := range [][2]float32{{1, 0}, {0.5, -2}} {
					want := make([]float32, n)
					for j := range n {
						d := f32DotRowGeneric(x, b[j*ld:j*ld+k])
						if ab[1] == 0 {
							want[j] = ab[0] * d
						} else {
							want[j] = ab[0]*d + ab[1]*c0[j]
						}
					}
					for cut := 0; cut <= n; cut += max(1, n/7) {
						c := append([]float32(nil), c0...)
						f32mvRows(f, x, b, ld, 0, cut, ab[0], ab[1], c)
						f32mvRows(f, x, b, ld, cut, n, ab[0], ab[1], c)
						for j := range n {
							if !sameFloat(c[j], want[j]) {
								t.Fatalf("%s n=%d k=%d alpha,beta=%v cut %d: c[%d] = %g, want %g", name, n, k, ab, cut, j, c[j], want[j])
							}
						}
						if c[n] != c0[n] {
							t.Fatalf("%s n=%d k=%d: wrote past the rows", name, n, k)
						}
					}
				}
			}
		}
	}
}

// FuzzF32Dot4 runs every level's four-row f32 dot kernel and the twin on
// rows made of the fuzzer's raw bits (NaNs, infinities, subnormals,
// overflowing products included) and wants the same results.
func FuzzF32Dot4(f *testing.F) {
	f.Add(uint8(0), []byte("\x00\x00\x80\x3f\x00\x00\x00\x40\x80\x3f\xc0\x7f\x00\x00\x80\xff\x00\x00\x80\x7f"))
	for s := range uint8(8) {
		b := make([]byte, 4*5*(int(s)*9+3))
		for i := range b {
			b[i] = byte(i*29 + int(s)*13)
		}
		f.Add(s, b)
	}
	f.Fuzz(func(t *testing.T, pad uint8, data []byte) {
		// data holds x and four rows of k floats each.
		k := len(data) / 20
		if k == 0 {
			return
		}
		ld := k + int(pad%4)
		x := make([]float32, k)
		w := make([]float32, 4*ld)
		for p := range k {
			x[p] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*p:]))
			for r := range 4 {
				w[r*ld+p] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*(k*(r+1)+p):]))
			}
		}
		var want [4]float32
		f32dot4Generic(&x[0], &w[0], ld, k, &want[0], 0)
		for name, fk := range f32dot4Levels() {
			var got [4]float32
			fk(&x[0], &w[0], ld, k, &got[0], int(pad)*64)
			for r := range 4 {
				if !sameFloat(got[r], want[r]) {
					t.Fatalf("%s k=%d row %d: %g (%#x), twin %g (%#x)", name, k, r, got[r], math.Float32bits(got[r]), want[r], math.Float32bits(want[r]))
				}
			}
		}
	})
}

// BenchmarkF32Matvec is the float32 decoding matvec (m = 1, 2048×8192 and
// 8192×2048 from DRAM through gemvCopies copies, one locked thread, GB per
// thread CPU-second): one dot per row (dot) against the four-row kernel
// with 0, 1, 2 and 4 KiB in-row prefetch, alternating per copy.
func BenchmarkF32Matvec(b *testing.B) {
	kr := cur
	if kr.f32dot4 == nil {
		b.Skip("no four-row f32 kernel on " + kr.level.String())
	}
	for _, s := range [][2]int{{2048, 8192}, {8192, 2048}} {
		n, k := s[0], s[1]
		r := testutil.RNG(93)
		x := testutil.Uniform(r, k)
		ws := make([][]float32, gemvCopies)
		for i := range ws {
			ws[i] = testutil.Uniform(r, n*k)
		}
		c := make([]float32, n)
		type variant struct {
			name string
			run  func(w []float32)
		}
		vs := []variant{{"dot", func(w []float32) {
			for j := range n {
				c[j] = kr.dot(x, w[j*k:(j+1)*k])
			}
		}}}
		for _, pf := range []int{0, 1, 2, 4} {
			vs = append(vs, variant{fmt.Sprintf("4rows+pf%dk", pf), func(w []float32) {
				saved := f32StreamPF
				f32StreamPF = pf << 10
				f32mvRows(kr.f32dot4, x, w, k, 0, n, 1, 0, c)
				f32StreamPF = saved
			}})
		}
		b.Run(fmt.Sprintf("%dx%d", n, k), func(b *testing.B) {
			spent := make([]float64, len(vs))
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			for i, it := 0, 0; i < b.N; i++ {
				for j, v := range vs {
					t0, _ := threadCPU()
					v.run(ws[it%gemvCopies])
					t1, _ := threadCPU()
					spent[j] += (t1 - t0).Seconds()
					it++
				}
			}
			for j, v := range vs {
				b.ReportMetric(float64(4*n*k)*float64(b.N)/spent[j]/1e9, v.name+"-GB/cpu-s")
			}
		})
	}
}
