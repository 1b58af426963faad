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

// abRun alternates the variants round by round on one shape (so each round
// sees the same machine load) and logs each variant's median and best rate
// in GFLOP per thread CPU-second and wall-clock second, and the median of
// its per-round ratio to variant 0.
func abRun(t *testing.T, m, n, k int, transB bool, rounds int, vs []abVariant) {
	r := testutil.RNG(1)
	a, bb := testutil.Uniform(r, m*k), testutil.Uniform(r, k*n)
	c := make([]float32, m*n)
	bo := bOperand{f32: bb, ld: n, trans: transB}
	if transB {
		bo.ld = k
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	flops := 2 * float64(m) * float64(n) * float64(k)
	reps := max(1, int(1.5e10/flops))
	cpu := make([][]float64, len(vs))
	wall := make([][]float64, len(vs))
	for round := 0; round <= rounds; round++ {
		for i, v := range vs {
			t0, _ := threadCPU()
			w0 := time.Now()
			for j := 0; j < reps; j++ {
				v.run(false, m, n, k, 1, a, k, &bo, 0, c, n)
			}
			t1, ok := threadCPU()
			w1 := time.Since(w0)
			if !ok {
				t0, t1 = 0, w1
			}
			if round > 0 { // round 0 warms up
				cpu[i] = append(cpu[i], flops*float64(reps)/(t1-t0).Seconds()/1e9)
				wall[i] = append(wall[i], flops*float64(reps)/w1.Seconds()/1e9)
			}
		}
	}
	med := func(x []float64) float64 {
		y := append([]float64(nil), x...)
		sort.Float64s(y)
		return y[len(y)/2]
	}
	best := func(x []float64) float64 {
		y := 0.0
		for _, v := range x {
			y = max(y, v)
		}
		return y
	}
	for i, v := range vs {
		ratio := make([]float64, rounds)
		for j := range ratio {
			ratio[j] = cpu[i][j] / cpu[0][j]
		}
		t.Logf("%dx%dx%d %-24s cpu median %6.1f best %6.1f ratio %.3f | wall median %6.1f best %6.1f",
			m, n, k, v.name, med(cpu[i]), best(cpu[i]), med(ratio), med(wall[i]), best(wall[i]))
	}
}

// TestTuneLoopOrder compares gemmSerial's loop order with BLIS's order
// (gemmSerialBLIS) on one thread (a tuning aid: set LLINK_TUNE=1, and
// LLINK_TUNE_LEVEL to pick a level other than the active one).
func TestTuneLoopOrder(t *testing.T) {
	if os.Getenv("LLINK_TUNE") == "" {
		t.Skip("set LLINK_TUNE=1 to compare loop orders")
	}
	kr := cur
	if l, err := ParseLevel(os.Getenv("LLINK_TUNE_LEVEL")); err == nil && tables[l] != nil {
		kr = tables[l]
	}
	vs := []abVariant{
		{"blis order", func(transA bool, m, n, k int, alpha float32, a []float32, lda int, b *bOperand, beta float32, c []float32, ldc int) {
			gemmSerialBLIS(kr, transA, m, n, k, alpha, a, lda, b, beta, c, ldc)
		}},
		{"gemmSerial", func(transA bool, m, n, k int, alpha float32, a []float32, lda int, b *bOperand, beta float32, c []float32, ldc int) {
			gemmSerial(kr, transA, m, n, k, alpha, a, lda, b, beta, c, ldc)
		}},
	}
	for _, n := range []int{1024, 2048} {
		abRun(t, n, n, n, false, 20, vs)
	}
	abRun(t, 512, 2048, 2048, true, 20, vs)
	abRun(t, 128, 256, 1024, true, 20, vs)
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

// TestTuneFuseB compares gemmSerial with B packed by the fused kernel
// against B packed in a separate pass.
func TestTuneFuseB(t *testing.T) {
	if os.Getenv("LLINK_TUNE") == "" {
		t.Skip("set LLINK_TUNE=1 to compare")
	}
	kr := cur
	run := func(off bool) func(transA bool, m, n, k int, alpha float32, a []float32, lda int, b *bOperand, beta float32, c []float32, ldc int) {
		return func(transA bool, m, n, k int, alpha float32, a []float32, lda int, b *bOperand, beta float32, c []float32, ldc int) {
			noFuseB = off
			defer func() { noFuseB = false }()
			gemmSerial(kr, transA, m, n, k, alpha, a, lda, b, beta, c, ldc)
		}
	}
	vs := []abVariant{{"packB pass", run(true)}, {"fused packB", run(false)}}
	for _, n := range []int{512, 1024, 2048} {
		abRun(t, n, n, n, false, 20, vs)
	}
}

// TestTuneFuseA compares gemmSerial with A packed by the fused kernel
// against A packed in a separate pass.
func TestTuneFuseA(t *testing.T) {
	if os.Getenv("LLINK_TUNE") == "" {
		t.Skip("set LLINK_TUNE=1 to compare")
	}
	kr := cur
	run := func(off bool) func(transA bool, m, n, k int, alpha float32, a []float32, lda int, b *bOperand, beta float32, c []float32, ldc int) {
		return func(transA bool, m, n, k int, alpha float32, a []float32, lda int, b *bOperand, beta float32, c []float32, ldc int) {
			noFuseA = off
			defer func() { noFuseA = false }()
			gemmSerial(kr, transA, m, n, k, alpha, a, lda, b, beta, c, ldc)
		}
	}
	vs := []abVariant{{"packA pass", run(true)}, {"fused packA", run(false)}}
	for _, n := range []int{512, 1024, 2048} {
		abRun(t, n, n, n, false, 20, vs)
	}
	abRun(t, 512, 2048, 2048, true, 20, vs)
	abRun(t, 128, 256, 1024, true, 20, vs)
}

// TestTuneKC compares KC/NC choices of gemmSerial (A block rows fixed).
func TestTuneKC(t *testing.T) {
	if os.Getenv("LLINK_TUNE") == "" {
		t.Skip("set LLINK_TUNE=1 to compare")
	}
	kr := cur
	if l, err := ParseLevel(os.Getenv("LLINK_TUNE_LEVEL")); err == nil && tables[l] != nil {
		kr = tables[l]
	}
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
		abRun(t, n, n, n, false, 20, vs)
	}
	abRun(t, 512, 2048, 2048, true, 20, vs)
	abRun(t, 128, 256, 1024, true, 20, vs)
}

// TestTunePeakShare measures each shape's share of the FMA peak with the
// two alternating round by round on one thread (wall clock), so clock
// drift between them cancels: the median of the per-round ratios.
func TestTunePeakShare(t *testing.T) {
	if os.Getenv("LLINK_TUNE") == "" {
		t.Skip("set LLINK_TUNE=1 to measure")
	}
	pk, ok := peakKernels()[AVX512]
	if !ok || tables[AVX512] == nil {
		t.Skip("no AVX-512")
	}
	defer SetLevel(AVX512)()
	defer SetThreads(1)()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for _, s := range []struct {
		m, n, k int
		transB  bool
	}{{1024, 1024, 1024, false}, {2048, 2048, 2048, false}, {512, 2048, 2048, true}} {
		r := testutil.RNG(1)
		a, bb := testutil.Uniform(r, s.m*s.k), testutil.Uniform(r, s.k*s.n)
		c := make([]float32, s.m*s.n)
		ldb := s.n
		if s.transB {
			ldb = s.k
		}
		flops := 2 * float64(s.m*s.n*s.k)
		reps := max(1, int(1e10/flops))
		var ratios, rates, peaks []float64
		for round := 0; round <= 12; round++ {
			w0 := time.Now()
			const iters = 1 << 16
			for i := 0; i < 40; i++ {
				pk.run(iters)
			}
			peak := float64(pk.flops) * iters * 40 / time.Since(w0).Seconds() / 1e9
			w0 = time.Now()
			for i := 0; i < reps; i++ {
				Sgemm(false, s.transB, s.m, s.n, s.k, 1, a, s.k, bb, ldb, 0, c, s.n)
			}
			g := flops * float64(reps) / time.Since(w0).Seconds() / 1e9
			if round > 0 {
				ratios, rates, peaks = append(ratios, g/peak), append(rates, g), append(peaks, peak)
			}
		}
		sort.Float64s(ratios)
		sort.Float64s(rates)
		sort.Float64s(peaks)
		t.Logf("%dx%dx%d: %% of peak median %.1f%% (range %.1f–%.1f%%), GFLOP/s median %.1f, peak median %.1f",
			s.m, s.n, s.k, 100*ratios[len(ratios)/2], 100*ratios[0], 100*ratios[len(ratios)-1], rates[len(rates)/2], peaks[len(peaks)/2])
	}
}
