package asm

import (
	"fmt"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
	"gonum.org/v1/gonum/blas"
	gonum "gonum.org/v1/gonum/blas/gonum"
)

// benchShapes are the square sizes and the transformer shapes of the issue:
// a Llama-3.2-1B MLP projection, a d=512 model's projections, an attention
// block and the decode matvec.
var benchShapes = []struct {
	name    string
	m, n, k int
	transB  bool
}{
	{"sq256", 256, 256, 256, false},
	{"sq512", 512, 512, 512, false},
	{"sq1024", 1024, 1024, 1024, false},
	{"sq2048", 2048, 2048, 2048, false},
	{"512x2048x2048", 512, 2048, 2048, true},
	{"128x256x1024", 128, 256, 1024, true},
	{"2048x8192x2048", 2048, 8192, 2048, true},
	{"1x2048x8192", 1, 2048, 8192, true},
}

func BenchmarkSgemm(b *testing.B) {
	for _, s := range benchShapes {
		for _, th := range []int{1, 2} {
			for _, l := range Available() {
				if l == Generic && s.m*s.n*s.k > 1<<30 {
					continue
				}
				b.Run(fmt.Sprintf("%s/%s/t%d", s.name, l, th), func(b *testing.B) {
					defer SetLevel(l)()
					defer SetThreads(th)()
					r := testutil.RNG(1)
					a := testutil.Uniform(r, s.m*s.k)
					bb := testutil.Uniform(r, s.k*s.n)
					c := make([]float32, s.m*s.n)
					ldb := s.n
					if s.transB {
						ldb = s.k
					}
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						Sgemm(false, s.transB, s.m, s.n, s.k, 1, a, s.k, bb, ldb, 0, c, s.n)
					}
					b.ReportMetric(2*float64(s.m)*float64(s.n)*float64(s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}

// BenchmarkFMAPeak measures the FMA throughput ceiling per level, so the
// SGEMM numbers of the same run can be read as a fraction of peak.
func BenchmarkFMAPeak(b *testing.B) {
	for l, pk := range peakKernels() {
		if _, ok := tables[l]; !ok {
			continue
		}
		b.Run(l.String(), func(b *testing.B) {
			const iters = 1 << 16
			for i := 0; i < b.N; i++ {
				pk.run(iters)
			}
			b.ReportMetric(float64(pk.flops)*iters*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkGonumSgemm is the baseline: gonum's pure-Go Sgemm, same shapes.
func BenchmarkGonumSgemm(b *testing.B) {
	impl := gonum.Implementation{}
	for _, s := range benchShapes {
		if s.m*s.n*s.k > 1<<31 {
			continue
		}
		b.Run(s.name, func(b *testing.B) {
			r := testutil.RNG(1)
			a := testutil.Uniform(r, s.m*s.k)
			bb := testutil.Uniform(r, s.k*s.n)
			c := make([]float32, s.m*s.n)
			tb, ldb := blas.NoTrans, s.n
			if s.transB {
				tb, ldb = blas.Trans, s.k
			}
			for i := 0; i < b.N; i++ {
				impl.Sgemm(blas.NoTrans, tb, s.m, s.n, s.k, 1, a, s.k, bb, ldb, 0, c, s.n)
			}
			b.ReportMetric(2*float64(s.m)*float64(s.n)*float64(s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkStreamSum reads a 256 MiB buffer with the Sum kernel: the memory
// bandwidth one thread can draw, the ceiling for decode-shaped matvecs.
func BenchmarkStreamSum(b *testing.B) {
	x := testutil.Uniform(testutil.RNG(1), 64<<20)
	b.SetBytes(int64(len(x) * 4))
	for i := 0; i < b.N; i++ {
		Sum(x)
	}
}

// BenchmarkGemvBF16 is the decode matvec with bf16 weights (1×2048×8192).
func BenchmarkGemvBF16(b *testing.B) {
	const n, k = 2048, 8192
	r := testutil.RNG(1)
	x := testutil.Uniform(r, k)
	w := make([]uint16, n*k)
	F32ToBF16Slice(w, testutil.Uniform(r, n*k))
	c := make([]float32, n)
	b.SetBytes(int64(n * k * 2))
	for i := 0; i < b.N; i++ {
		SgemmBF16(false, true, 1, n, k, 1, x, k, w, k, 0, c, n)
	}
}
