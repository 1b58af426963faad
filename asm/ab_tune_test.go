package asm

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"testing"
	"time"
	"unsafe"

	"github.com/llink-go/llink/internal/testutil"
)

// abVariant is one single-thread GEMM implementation in an A/B comparison.
type abVariant struct {
	name string
	run  func(transA bool, m, n, k int, alpha float32, a []float32, lda int, b *bOperand, beta float32, c []float32, ldc int)
}

// abBench runs one shape's A/B comparison as a sub-benchmark: each
// iteration calls every variant once, in turn, on one locked thread (so the
// variants see the same machine load), and the thread CPU time of each is
// summed. It reports each variant's GFLOP per thread CPU-second
// ("<name>-GFLOP/cpu-s") and each variant's rate relative to variant 0, the
// baseline ("<name>/<baseline>"); compare across -count runs with benchstat.
func abBench(b *testing.B, m, n, k int, transB bool, vs []abVariant) {
	b.Run(fmt.Sprintf("%dx%dx%d", m, n, k), func(b *testing.B) {
		r := testutil.RNG(1)
		a, bb := testutil.Uniform(r, m*k), testutil.Uniform(r, k*n)
		c := make([]float32, m*n)
		bo := bOperand{f32: bb, ld: n, trans: transB}
		if transB {
			bo.ld = k
		}
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for _, v := range vs { // warm-up: buffers and caches
			v.run(false, m, n, k, 1, a, k, &bo, 0, c, n)
		}
		spent := make([]time.Duration, len(vs))
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			for j, v := range vs {
				t0, ok := threadCPU()
				w0 := time.Now()
				v.run(false, m, n, k, 1, a, k, &bo, 0, c, n)
				t1, _ := threadCPU()
				if !ok {
					t0, t1 = 0, time.Since(w0)
				}
				spent[j] += t1 - t0
			}
		}
		flops := 2 * float64(m) * float64(n) * float64(k) * float64(b.N)
		for j, v := range vs {
			b.ReportMetric(flops/spent[j].Seconds()/1e9, v.name+"-GFLOP/cpu-s")
			if j > 0 {
				b.ReportMetric(spent[0].Seconds()/spent[j].Seconds(), v.name+"/"+vs[0].name)
			}
		}
	})
}

// tuneGate skips a tuning benchmark unless LLINK_TUNE is set (they take
// minutes, so `make bench` leaves them out) and returns the level to tune:
// LLINK_TUNE_LEVEL if it names an available level, else the active one.
func tuneGate(b *testing.B) *kernels {
	if os.Getenv("LLINK_TUNE") == "" {
		b.Skip("set LLINK_TUNE=1 to run the tuning comparisons")
	}
	if l, err := ParseLevel(os.Getenv("LLINK_TUNE_LEVEL")); err == nil && tables[l] != nil {
		return tables[l]
	}
	return cur
}

// BenchmarkTuneLoopOrder compares gemmSerial's loop order with BLIS's order
// (gemmSerialBLIS) on one thread (a tuning aid: set LLINK_TUNE=1, and
// LLINK_TUNE_LEVEL to pick a level other than the active one).
func BenchmarkTuneLoopOrder(b *testing.B) {
	kr := tuneGate(b)
	vs := []abVariant{
		{"blis-order", func(transA bool, m, n, k int, alpha float32, a []float32, lda int, b *bOperand, beta float32, c []float32, ldc int) {
			gemmSerialBLIS(kr, transA, m, n, k, alpha, a, lda, b, beta, c, ldc)
		}},
		{"gemmSerial", func(transA bool, m, n, k int, alpha float32, a []float32, lda int, b *bOperand, beta float32, c []float32, ldc int) {
			gemmSerial(kr, transA, m, n, k, alpha, a, lda, b, beta, c, ldc)
		}},
	}
	for _, n := range []int{1024, 2048} {
		abBench(b, n, n, n, false, vs)
	}
	abBench(b, 512, 2048, 2048, true, vs)
	abBench(b, 128, 256, 1024, true, vs)
}

// gemmSerialBLIS is the former gemmSerial, BLIS's loop order (packed B block
// kc×2048 in L3, A block 504×kc in L2, the B micro-panel in L1 while the A
// micro-panels stream from L2), kept as the A/B baseline.
func gemmSerialBLIS(kr *kernels, transA bool, m, n, k int, alpha float32, a []float32, lda int, b *bOperand, beta float32, c []float32, ldc int) {
	mr, nr := kr.mr, kr.nr
	const kc0 = 256
	bl := blocking{
		mc: max(caches.L2/2/(kc0*4)/mr*mr, mr),
		kc: kc0,
		nc: max(min(caches.L3/4/(kc0*4), 4096)/nr*nr, nr),
	}.balanced(m, n, k, mr, nr)
	buf := bufPool.Get().(*gemmBuf)
	defer bufPool.Put(buf)
	buf.ensure(min(bl.mc, ceilDiv(m, mr)*mr)*min(bl.kc, k), min(bl.kc, k)*min(bl.nc, ceilDiv(n, nr)*nr), mr*nr)
	tile := buf.tile[:mr*nr]
	for jc := 0; jc < n; jc += bl.nc {
		nc := min(bl.nc, n-jc)
		for pc := 0; pc < k; pc += bl.kc {
			kc := min(bl.kc, k-pc)
			packB(kr, buf.b, b, pc, jc, kc, nc)
			bet := beta
			if pc > 0 {
				bet = 1
			}
			for ic := 0; ic < m; ic += bl.mc {
				mc := min(bl.mc, m-ic)
				packA(kr, buf.a, transA, a, lda, ic, pc, mc, kc)
				for jr := 0; jr < nc; jr += nr {
					nrr := min(nr, nc-jr)
					pb := unsafe.Pointer(&buf.b[jr*kc])
					for ir := 0; ir < mc; ir += mr {
						mrr := min(mr, mc-ir)
						kg, rows := edgeKernel(kr, mrr)
						pa := unsafe.Pointer(&buf.a[ir*kc])
						ci := (ic+ir)*ldc + jc + jr
						if mrr == rows && nrr == nr {
							kg(kc, pa, pb, unsafe.Pointer(&c[ci]), ldc, alpha, bet)
							continue
						}
						kg(kc, pa, pb, unsafe.Pointer(&tile[0]), nr, alpha, 0)
						for i := 0; i < mrr; i++ {
							dst := c[ci+i*ldc : ci+i*ldc+nrr]
							src := tile[i*nr : i*nr+nrr]
							if bet == 0 {
								copy(dst, src)
							} else {
								for j := range dst {
									dst[j] = src[j] + bet*dst[j]
								}
							}
						}
					}
				}
			}
		}
	}
}

// BenchmarkTuneFuseB compares gemmSerial with B packed by the fused kernel
// against B packed in a separate pass.
func BenchmarkTuneFuseB(b *testing.B) {
	kr := tuneGate(b)
	run := func(off bool) func(transA bool, m, n, k int, alpha float32, a []float32, lda int, b *bOperand, beta float32, c []float32, ldc int) {
		return func(transA bool, m, n, k int, alpha float32, a []float32, lda int, b *bOperand, beta float32, c []float32, ldc int) {
			noFuseB = off
			defer func() { noFuseB = false }()
			gemmSerial(kr, transA, m, n, k, alpha, a, lda, b, beta, c, ldc)
		}
	}
	vs := []abVariant{{"packB-pass", run(true)}, {"fused-packB", run(false)}}
	for _, n := range []int{512, 1024, 2048} {
		abBench(b, n, n, n, false, vs)
	}
}

// BenchmarkTuneFuseA compares gemmSerial with A packed by the fused kernel
// against A packed in a separate pass.
func BenchmarkTuneFuseA(b *testing.B) {
	kr := tuneGate(b)
	run := func(off bool) func(transA bool, m, n, k int, alpha float32, a []float32, lda int, b *bOperand, beta float32, c []float32, ldc int) {
		return func(transA bool, m, n, k int, alpha float32, a []float32, lda int, b *bOperand, beta float32, c []float32, ldc int) {
			noFuseA = off
			defer func() { noFuseA = false }()
			gemmSerial(kr, transA, m, n, k, alpha, a, lda, b, beta, c, ldc)
		}
	}
	vs := []abVariant{{"packA-pass", run(true)}, {"fused-packA", run(false)}}
	for _, n := range []int{512, 1024, 2048} {
		abBench(b, n, n, n, false, vs)
	}
	abBench(b, 512, 2048, 2048, true, vs)
	abBench(b, 128, 256, 1024, true, vs)
}

// BenchmarkTuneKC compares KC/NC choices of gemmSerial (A block rows fixed).
func BenchmarkTuneKC(b *testing.B) {
	kr := tuneGate(b)
	run := func(bl *blocking) func(transA bool, m, n, k int, alpha float32, a []float32, lda int, b *bOperand, beta float32, c []float32, ldc int) {
		return func(transA bool, m, n, k int, alpha float32, a []float32, lda int, b *bOperand, beta float32, c []float32, ldc int) {
			blockOverride = bl
			defer func() { blockOverride = nil }()
			gemmSerial(kr, transA, m, n, k, alpha, a, lda, b, beta, c, ldc)
		}
	}
	vs := []abVariant{{"default", run(nil)}}
	for _, b := range []blocking{{4092, 256, 512}, {4092, 384, 320}, {4092, 256, 256}} {
		bl := b
		vs = append(vs, abVariant{fmt.Sprintf("kc%d nc%d", bl.kc, bl.nc), run(&bl)})
	}
	for _, n := range []int{1024, 2048} {
		abBench(b, n, n, n, false, vs)
	}
	abBench(b, 512, 2048, 2048, true, vs)
	abBench(b, 128, 256, 1024, true, vs)
}

// BenchmarkTunePeakShare measures each shape's share of the AVX-512 FMA
// peak, one thread, wall clock: each iteration runs the peak loop and then
// the GEMM, so clock drift between them cancels, and the metric "%peak" is
// the median of the per-iteration ratios (set LLINK_TUNE=1).
func BenchmarkTunePeakShare(b *testing.B) {
	tuneGate(b)
	pk, ok := peakKernels()[AVX512]
	if !ok || tables[AVX512] == nil {
		b.Skip("no AVX-512")
	}
	defer SetLevel(AVX512)()
	defer SetThreads(1)()
	for _, s := range []struct {
		m, n, k int
		transB  bool
	}{{1024, 1024, 1024, false}, {2048, 2048, 2048, false}, {512, 2048, 2048, true}} {
		b.Run(fmt.Sprintf("%dx%dx%d", s.m, s.n, s.k), func(b *testing.B) {
			r := testutil.RNG(1)
			a, bb := testutil.Uniform(r, s.m*s.k), testutil.Uniform(r, s.k*s.n)
			c := make([]float32, s.m*s.n)
			ldb := s.n
			if s.transB {
				ldb = s.k
			}
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			flops := 2 * float64(s.m*s.n*s.k)
			Sgemm(false, s.transB, s.m, s.n, s.k, 1, a, s.k, bb, ldb, 0, c, s.n) // warm-up
			ratios := make([]float64, 0, b.N)
			var gflops, peaks float64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				const iters = 1 << 16
				w0 := time.Now()
				for range 40 {
					pk.run(iters)
				}
				peak := float64(pk.flops) * iters * 40 / time.Since(w0).Seconds() / 1e9
				w0 = time.Now()
				Sgemm(false, s.transB, s.m, s.n, s.k, 1, a, s.k, bb, ldb, 0, c, s.n)
				g := flops / time.Since(w0).Seconds() / 1e9
				ratios = append(ratios, g/peak)
				gflops, peaks = gflops+g, peaks+peak
			}
			sort.Float64s(ratios)
			b.ReportMetric(100*ratios[len(ratios)/2], "%peak")
			b.ReportMetric(gflops/float64(b.N), "GFLOP/s")
			b.ReportMetric(peaks/float64(b.N), "peak-GFLOP/s")
		})
	}
}
