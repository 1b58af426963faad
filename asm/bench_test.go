package asm

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
	"unsafe"

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

// cpuClock measures one benchmark's thread CPU time, so that single-thread
// rates can also be read per CPU-second ("GFLOP/cpu-s"): on a machine shared
// with other jobs the wall clock counts the time the thread waited for a
// core, the CPU time does not (caches and clock speed still suffer).
type cpuClock struct{ t0 time.Duration }

// startCPU locks the goroutine to its thread and starts the clock.
func startCPU() cpuClock {
	runtime.LockOSThread()
	t, _ := threadCPU()
	return cpuClock{t}
}

// report adds flops/CPU-second to b's metrics and unlocks the thread.
func (c cpuClock) report(b *testing.B, flops float64) {
	t, ok := threadCPU()
	runtime.UnlockOSThread()
	if ok && t > c.t0 {
		b.ReportMetric(flops/(t-c.t0).Seconds()/1e9, "GFLOP/cpu-s")
	}
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
					clk := startCPU()
					p0, _ := processCPU()
					for i := 0; i < b.N; i++ {
						Sgemm(false, s.transB, s.m, s.n, s.k, 1, a, s.k, bb, ldb, 0, c, s.n)
					}
					flops := 2 * float64(s.m) * float64(s.n) * float64(s.k) * float64(b.N)
					b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
					if p1, ok := processCPU(); ok && p1 > p0 {
						b.ReportMetric(flops/(p1-p0).Seconds()/1e9, "GFLOP/proc-cpu-s")
					}
					if th == 1 {
						clk.report(b, flops)
					} else {
						runtime.UnlockOSThread()
					}
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
			clk := startCPU()
			for i := 0; i < b.N; i++ {
				pk.run(iters)
			}
			flops := float64(pk.flops) * iters * float64(b.N)
			b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			clk.report(b, flops)
		})
	}
}

// BenchmarkPeakThreads runs the AVX-512 FMA and (where present) the bf16
// dot-product throughput loops on 1 and 2 locked threads at once and
// reports the total GFLOP/s and each thread's GFLOP per thread CPU-second:
// whether the cores share a ceiling (SMT siblings under the virtual
// machine, a power limit) that two-thread GEMMs cannot pass. Quiet machine
// only for the wall rate.
func BenchmarkPeakThreads(b *testing.B) {
	type loop struct {
		name  string
		run   func(int)
		flops float64 // per iteration
	}
	var loops []loop
	if pk, ok := peakKernels()[AVX512]; ok && tables[AVX512] != nil {
		loops = append(loops, loop{"fma", pk.run, float64(pk.flops)})
	}
	if bf16DotPeakLoop != nil && cur.bf16nn != nil {
		loops = append(loops, loop{"bf16dot", bf16DotPeakLoop, 24 * 64})
	}
	for _, l := range loops {
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/t%d", l.name, th), func(b *testing.B) {
				const iters = 1 << 16
				perCPU := make([]float64, th)
				var wg sync.WaitGroup
				for w := range th {
					wg.Add(1)
					go func() {
						defer wg.Done()
						clk := startCPU()
						defer runtime.UnlockOSThread()
						for i := 0; i < b.N; i++ {
							l.run(iters)
						}
						if t, ok := threadCPU(); ok && t > clk.t0 {
							perCPU[w] = l.flops * iters * float64(b.N) / (t - clk.t0).Seconds() / 1e9
						}
					}()
				}
				wg.Wait()
				b.ReportMetric(l.flops*iters*float64(b.N*th)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				mean := 0.0
				for _, v := range perCPU {
					mean += v / float64(th)
				}
				b.ReportMetric(mean, "GFLOP/cpu-s/thread")
			})
		}
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
			p0, _ := processCPU()
			for i := 0; i < b.N; i++ {
				impl.Sgemm(blas.NoTrans, tb, s.m, s.n, s.k, 1, a, s.k, bb, ldb, 0, c, s.n)
			}
			flops := 2 * float64(s.m) * float64(s.n) * float64(s.k) * float64(b.N)
			b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			if p1, ok := processCPU(); ok && p1 > p0 {
				b.ReportMetric(flops/(p1-p0).Seconds()/1e9, "GFLOP/proc-cpu-s")
			}
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

// gemvCopies is how many copies of the weights the matvec benchmarks cycle
// through, so each call reads its matrix from DRAM rather than from a cache
// that still holds it from the previous call (4 × 32 MiB bf16 > any L3).
const gemvCopies = 4

// BenchmarkGemvBF16 is the decode matvec with bf16 weights (m×2048×8192,
// C = x·Wᵀ, m = 1 and the 4-row kernel), per level and thread count, through
// SgemmBF16 (f32 activations) and SgemmBF16Dot ("dot": the bf16 dot product
// on the avx512bf16 level). GB/s is weight bytes read per second; compare
// with BenchmarkGemvF32 and BenchmarkReadBandwidth of the same run.
func BenchmarkGemvBF16(b *testing.B) {
	const n, k = 2048, 8192
	r := testutil.RNG(1)
	x := testutil.Uniform(r, 4*k)
	ws := make([][]uint16, gemvCopies)
	for i := range ws {
		ws[i] = make([]uint16, n*k)
		F32ToBF16Slice(ws[i], testutil.Uniform(r, n*k))
	}
	c := make([]float32, 4*n)
	// "widen" is the former path, kept as the same-run baseline: each row
	// widened into an L1 scratch buffer in 1,024-element chunks, then dotted.
	for _, l := range Available() {
		b.Run(fmt.Sprintf("widen/%s/t1", l), func(b *testing.B) {
			kr := tables[l]
			tmp := make([]float32, 1024)
			for i := 0; i < b.N; i++ {
				w := ws[i%gemvCopies]
				for j := 0; j < n; j++ {
					var s float32
					for p := 0; p < k; p += len(tmp) {
						kr.bf16to(tmp, w[j*k+p:])
						s += kr.dot(x[p:p+len(tmp)], tmp)
					}
					c[j] = s
				}
			}
			b.ReportMetric(float64(n*k*2)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
	for _, m := range []int{1, 4} {
		for _, th := range []int{1, 2} {
			for _, l := range Available() {
				for _, dot := range []bool{false, true} {
					if dot && tables[l].bf16dot == nil {
						continue
					}
					name := fmt.Sprintf("m%d/%s/t%d", m, l, th)
					if dot {
						name = "dot/" + name
					}
					b.Run(name, func(b *testing.B) {
						defer SetLevel(l)()
						defer SetThreads(th)()
						f := SgemmBF16
						if dot {
							f = SgemmBF16Dot
						}
						for i := 0; i < b.N; i++ {
							f(false, true, m, n, k, 1, x, k, ws[i%gemvCopies], k, 0, c, n)
						}
						b.ReportMetric(float64(n*k*2)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
					})
				}
			}
		}
	}
}

// BenchmarkGemvF32 is BenchmarkGemvBF16 with float32 weights (m = 1): the
// bandwidth ceiling the bf16 matvec is measured against.
func BenchmarkGemvF32(b *testing.B) {
	const n, k = 2048, 8192
	r := testutil.RNG(1)
	x := testutil.Uniform(r, k)
	ws := make([][]float32, gemvCopies)
	for i := range ws {
		ws[i] = testutil.Uniform(r, n*k)
	}
	c := make([]float32, n)
	for _, th := range []int{1, 2} {
		for _, l := range Available() {
			b.Run(fmt.Sprintf("m1/%s/t%d", l, th), func(b *testing.B) {
				defer SetLevel(l)()
				defer SetThreads(th)()
				for i := 0; i < b.N; i++ {
					Sgemm(false, true, 1, n, k, 1, x, k, ws[i%gemvCopies], k, 0, c, n)
				}
				b.ReportMetric(float64(n*k*4)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		}
	}
}

// BenchmarkSgemmLayers splits SGEMM's distance from peak into its layers, per
// level, on random data: "micro" is the micro-kernel alone on one A and one B
// micro-panel that stay in L1 (the register-blocking ceiling); "macro" the
// two inner loops of gemmSerial over a packed A block (504×512) and a packed
// B block (512×256, L2-sized), warm: each A micro-panel held while the B
// micro-panels stream past it (what cache blocking leaves); variants of it
// with C or B traffic removed; "gemm" the whole call on the same shape,
// packing and cold operands included. Read each against FMAPeak of the same
// run.
func BenchmarkSgemmLayers(b *testing.B) {
	const kc, mc, nc = 512, 504, 256
	for _, l := range Available() {
		if l == Generic {
			continue
		}
		restore := SetLevel(l)
		kr := cur
		restore()
		mr, nr := kr.mr, kr.nr
		mcl := mc / mr * mr
		r := testutil.RNG(1)
		pa, pb := testutil.Uniform(r, mcl*kc), testutil.Uniform(r, kc*nc)
		c := make([]float32, mcl*nc)
		var clk cpuClock
		flops := func(b *testing.B, m, n int) {
			f := 2 * float64(m) * float64(n) * kc * float64(b.N)
			b.ReportMetric(f/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			clk.report(b, f)
		}
		b.Run(fmt.Sprintf("micro/%s", l), func(b *testing.B) {
			clk = startCPU()
			for i := 0; i < b.N; i++ {
				kr.gemm(kc, unsafe.Pointer(&pa[0]), unsafe.Pointer(&pb[0]), unsafe.Pointer(&c[0]), nr, 1, 1)
			}
			flops(b, mr, nr)
		})
		// The macro loop, and again with one source of cache traffic
		// removed: beta = 0 (C not read), one B micro-panel for every jr
		// (B hot in L1), one C tile for every call (C hot), both.
		for _, v := range []struct {
			name         string
			sameB, sameC bool
			beta         float32
		}{{"", false, false, 1}, {"-beta0", false, false, 0}, {"-hotB", true, false, 1}, {"-hotC", false, true, 1}, {"-hotBC", true, true, 1}} {
			b.Run(fmt.Sprintf("macro%s/%s", v.name, l), func(b *testing.B) {
				clk = startCPU()
				for i := 0; i < b.N; i++ {
					for ir := 0; ir < mcl; ir += mr {
						pi := unsafe.Pointer(&pa[ir*kc])
						for jr := 0; jr+nr <= nc; jr += nr {
							pj := unsafe.Pointer(&pb[jr*kc])
							if v.sameB {
								pj = unsafe.Pointer(&pb[0])
							}
							ci := ir*nc + jr
							if v.sameC {
								ci = 0
							}
							kr.gemm(kc, pi, pj, unsafe.Pointer(&c[ci]), nc, 1, v.beta)
						}
					}
				}
				flops(b, mcl, nc/nr*nr)
			})
		}
		b.Run(fmt.Sprintf("gemm/%s", l), func(b *testing.B) {
			defer SetLevel(l)()
			defer SetThreads(1)()
			clk = startCPU()
			for i := 0; i < b.N; i++ {
				Sgemm(false, false, mcl, nc, kc, 1, pa, kc, pb, nc, 1, c, nc)
			}
			flops(b, mcl, nc)
		})
	}
}

// BenchmarkSgemmBF16 is the frozen-weight projection of training and
// prefill: C = X·Wᵀ with W stored as bf16 (n×k), one thread; on a level
// with the bf16 GEMM also SgemmBF16Dot ("/dot": X rounded to bf16,
// VDPBF16PS tiles). 128×2048×2048 and 128×8192×2048 are a 128-token
// prompt's projections at the Llama-3.2-1B shape.
func BenchmarkSgemmBF16(b *testing.B) {
	for _, s := range []struct{ m, n, k int }{{512, 2048, 2048}, {128, 256, 1024}, {128, 2048, 2048}, {128, 8192, 2048}, {128, 2048, 8192}, {32, 2048, 2048}} {
		for _, l := range Available() {
			if l == Generic {
				continue
			}
			for _, dot := range []bool{false, true} {
				if dot && tables[l].bf16tile == nil {
					continue
				}
				name := fmt.Sprintf("%dx%dx%d/%s", s.m, s.n, s.k, l)
				if dot {
					name += "/dot"
				}
				b.Run(name, func(b *testing.B) {
					defer SetLevel(l)()
					defer SetThreads(1)()
					r := testutil.RNG(1)
					a := testutil.Uniform(r, s.m*s.k)
					w := make([]uint16, s.n*s.k)
					F32ToBF16Slice(w, testutil.Uniform(r, s.n*s.k))
					c := make([]float32, s.m*s.n)
					gemm := SgemmBF16
					if dot {
						gemm = SgemmBF16Dot
					}
					clk := startCPU()
					for i := 0; i < b.N; i++ {
						gemm(false, true, s.m, s.n, s.k, 1, a, s.k, w, s.k, 0, c, s.n)
					}
					flops := 2 * float64(s.m) * float64(s.n) * float64(s.k) * float64(b.N)
					b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
					clk.report(b, flops)
				})
			}
		}
	}
}

// BenchmarkPack times the packing primitives alone on one 256-deep block
// (A: 504 rows into MR-row panels; Bᵀ: 2048 rows into NR-column panels; B:
// 256 rows copied into NR-column panels) with each SIMD level's tile: the
// level's kernels ("avx512", "avx2") against the Go twins on the same tile
// ("avx512-go", "avx2-go"), in packed floats per second.
func BenchmarkPack(b *testing.B) {
	const kc, mc, nc, ld = 256, 504, 2048, 2048
	r := testutil.RNG(1)
	src := testutil.Uniform(r, nc*ld)
	dst := alignedFloats(nc * kc)
	packed := func(b *testing.B, clk cpuClock, n int) {
		f := float64(n) * float64(b.N)
		b.ReportMetric(f/b.Elapsed().Seconds()/1e9, "Gfloat/s")
		if t, ok := threadCPU(); ok && t > clk.t0 {
			b.ReportMetric(f/(t-clk.t0).Seconds()/1e9, "Gfloat/cpu-s")
		}
		runtime.UnlockOSThread()
	}
	for _, l := range Available() {
		if l != AVX2 && l != AVX512 {
			continue
		}
		for _, twin := range []bool{true, false} {
			k := *tables[l]
			name := l.String()
			if twin {
				g := *tables[Generic]
				g.mr, g.nr = k.mr, k.nr
				k, name = g, name+"-go"
			}
			m := mc / k.mr * k.mr
			b.Run(fmt.Sprintf("A/%s", name), func(b *testing.B) {
				clk := startCPU()
				for i := 0; i < b.N; i++ {
					packA(&k, dst, false, src, ld, 0, 0, m, kc)
				}
				packed(b, clk, m*kc)
			})
			b.Run(fmt.Sprintf("Bt/%s", name), func(b *testing.B) {
				bo := bOperand{f32: src, ld: ld, trans: true}
				clk := startCPU()
				for i := 0; i < b.N; i++ {
					packB(&k, dst, &bo, 0, 0, kc, nc)
				}
				packed(b, clk, nc*kc)
			})
			b.Run(fmt.Sprintf("B/%s", name), func(b *testing.B) {
				bo := bOperand{f32: src, ld: ld}
				clk := startCPU()
				for i := 0; i < b.N; i++ {
					packB(&k, dst, &bo, 0, 0, kc, nc)
				}
				packed(b, clk, nc*kc)
			})
		}
	}
}

// BenchmarkGemvBF16Small is the bf16 matvec on the small decoder's shapes
// (rows×k: the d=256 projections and LM head of bench/llamabench -config
// small), weights warm in cache: the kernel's own speed rather than DRAM's.
func BenchmarkGemvBF16Small(b *testing.B) {
	for _, s := range []struct{ n, k int }{{256, 256}, {688, 256}, {256, 688}, {8192, 256}} {
		r := testutil.RNG(1)
		x := testutil.Uniform(r, s.k)
		w := make([]uint16, s.n*s.k)
		F32ToBF16Slice(w, testutil.Uniform(r, s.n*s.k))
		c := make([]float32, s.n)
		for _, l := range Available() {
			b.Run(fmt.Sprintf("%dx%d/%s", s.n, s.k, l), func(b *testing.B) {
				defer SetLevel(l)()
				defer SetThreads(1)()
				for i := 0; i < b.N; i++ {
					SgemmBF16(false, true, 1, s.n, s.k, 1, x, s.k, w, s.k, 0, c, s.n)
				}
				b.ReportMetric(float64(s.n*s.k*2)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		}
	}
}

// BenchmarkSgemmLD runs the 1024 and 2048 squares (AVX-512 or the best
// level, one thread) with packed leading dimensions (ld = n, a power of two:
// every row of a C tile maps to the same L1 sets) and with ld = n+16, to
// show what set aliasing of the power-of-two strides costs.
func BenchmarkSgemmLD(b *testing.B) {
	defer SetThreads(1)()
	for _, n := range []int{1024, 2048} {
		for _, pad := range []int{0, 16} {
			b.Run(fmt.Sprintf("sq%d/ld+%d", n, pad), func(b *testing.B) {
				ld := n + pad
				r := testutil.RNG(1)
				a := testutil.Uniform(r, n*ld)
				bb := testutil.Uniform(r, n*ld)
				c := make([]float32, n*ld)
				clk := startCPU()
				for i := 0; i < b.N; i++ {
					Sgemm(false, false, n, n, n, 1, a, ld, bb, ld, 0, c, ld)
				}
				flops := 2 * float64(n) * float64(n) * float64(n) * float64(b.N)
				b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				clk.report(b, flops)
			})
		}
	}
}
