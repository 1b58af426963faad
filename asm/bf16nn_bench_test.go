package asm

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
)

// trainShapes are the frozen-weight products of one Stage B micro-batch at
// the Llama-3.2-1B shape (8 prompts of 80 tokens: 640 rows; the LM head on
// the 8×16 answer rows): name, rows, and the weight's [out, in].
var trainShapes = []struct {
	name       string
	m, out, in int
}{
	{"q,o", 640, 2048, 2048},
	{"k,v", 640, 512, 2048},
	{"gate,up", 640, 8192, 2048},
	{"down", 640, 2048, 8192},
	{"head", 128, 128256, 2048},
}

// dotPeakPerCPU runs the bf16 dot-product and FMA throughput loops on a
// locked thread and returns their GFLOP per thread CPU-second (0 when
// missing).
func dotPeakPerCPU() (dot, fma float64) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const iters, reps = 1 << 14, 400
	if bf16DotPeakLoop != nil && cur.bf16nn != nil {
		t0, _ := threadCPU()
		for range reps {
			bf16DotPeakLoop(iters)
		}
		if t1, ok := threadCPU(); ok && t1 > t0 {
			dot = 24 * 64 * iters * reps / (t1 - t0).Seconds() / 1e9
		}
	}
	if pk, ok := peakKernels()[AVX512]; ok && tables[AVX512] != nil {
		t0, _ := threadCPU()
		for range reps {
			pk.run(iters)
		}
		if t1, ok := threadCPU(); ok && t1 > t0 {
			fma = float64(pk.flops) * iters * reps / (t1 - t0).Seconds() / 1e9
		}
	}
	return dot, fma
}

// BenchmarkBF16TrainGEMM measures, on one thread and in one run, the bf16
// dot-product and FMA peaks and the Stage B step's frozen-weight GEMMs:
// x·Wᵀ on the tile kernel (fwd) and packed (fwdP), dy·W with W as stored
// (bwd, packed in k pairs per call) and dy·W through a transposed copy of
// W on the tile kernel (bwdT, as training ran it before the pair packing,
// at twice the weights' memory).
// Each reports GFLOP per thread CPU-second and its share of the bf16 dot
// peak measured just before it ("%dotpeak"). Run with -benchtime 3x or
// more; read under load per CPU-second.
func BenchmarkBF16TrainGEMM(b *testing.B) {
	if cur.bf16nn == nil {
		b.Skip("no bf16 dot-product GEMM on this level")
	}
	defer SetThreads(1)()
	b.Run("peak", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			dot, fma := dotPeakPerCPU()
			b.ReportMetric(dot, "dot-GFLOP/cpu-s")
			b.ReportMetric(fma, "fma-GFLOP/cpu-s")
		}
	})
	for _, s := range trainShapes {
		var w, wt []uint16
		var x, dy, y, dx []float32
		setup := func() { // once per shape, in the first sub-benchmark that runs
			if w != nil {
				return
			}
			r := testutil.RNG(7)
			w = make([]uint16, s.out*s.in)
			for i, v := range testutil.Normal(r, len(w), 0.02) {
				w[i] = F32ToBF16(v)
			}
			wt = make([]uint16, len(w))
			for o := 0; o < s.out; o++ {
				for i := 0; i < s.in; i++ {
					wt[i*s.out+o] = w[o*s.in+i]
				}
			}
			x = testutil.Normal(r, s.m*s.in, 1)
			dy = testutil.Normal(r, s.m*s.out, 1)
			y = make([]float32, s.m*s.out)
			dx = make([]float32, s.m*s.in)
		}
		runs := []struct {
			dir string
			f   func()
		}{
			{"fwd", func() { gemmBF16Dot(cur, s.m, s.out, s.in, 1, x, s.in, w, s.in, 0, y, s.out, 1) }},
			{"fwdP", func() { gemmBF16Packed(cur, true, s.m, s.out, s.in, 1, x, s.in, w, s.in, 0, y, s.out, 1) }},
			{"bwd", func() { gemmBF16Packed(cur, false, s.m, s.in, s.out, 1, dy, s.out, w, s.in, 0, dx, s.in, 1) }},
			{"bwdT", func() { gemmBF16Dot(cur, s.m, s.in, s.out, 1, dy, s.out, wt, s.out, 0, dx, s.in, 1) }},
		}
		for _, run := range runs {
			b.Run(fmt.Sprintf("%s/%s", s.name, run.dir), func(b *testing.B) {
				setup()
				benchDotGEMM(b, 2*float64(s.m)*float64(s.out)*float64(s.in), run.f)
			})
		}
	}
}
