package asm

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
)

// promptShapes are trainShapes' projections for a 128-token prompt (and
// the q, o shape for shorter ones), as trainShapes: rows, [out, in].
var promptShapes = func() (s []struct {
	name       string
	m, out, in int
}) {
	for _, t := range trainShapes[:4] {
		t.m = 128
		s = append(s, t)
	}
	for _, m := range []int{64, 32, 16} {
		t := trainShapes[0]
		t.name, t.m = fmt.Sprintf("q,o-m%d", m), m
		s = append(s, t)
	}
	return s
}()

// promptCopies is how many copies of a quantised weight BenchmarkPromptGEMM's
// "-dram" runs cycle through: 16 × 9.4 MB (Q4_0 at [8192, 2048]) is more
// than any L3 holds.
const promptCopies = 16

// BenchmarkPromptGEMM measures, on one thread, a prompt's products X·Wᵀ
// at the 1B shape for every weight type inference runs: bf16 on the tile
// kernel (SgemmBF16Dot's path for fewer than bf16PackedMinM rows) and on the
// packed kernel, and each quantised type through SgemmQ's prompt path, with
// its blocks in cache and ("-dram") read from DRAM as a model's are.
// Each reports GFLOP per thread CPU-second and its share of the bf16 dot
// peak measured just before it ("%dotpeak"). Run with -benchtime 3x or
// more; read under load per CPU-second.
func BenchmarkPromptGEMM(b *testing.B) {
	defer SetThreads(1)()
	for _, s := range promptShapes {
		r := testutil.RNG(9)
		wf := testutil.Normal(r, s.out*s.in, 0.02)
		x := testutil.Normal(r, s.m*s.in, 1)
		y := make([]float32, s.m*s.out)
		w := make([]uint16, len(wf))
		for i, v := range wf {
			w[i] = F32ToBF16(v)
		}
		runs := []struct {
			name string
			f    func()
		}{
			{"bf16", func() { gemmBF16Dot(cur, s.m, s.out, s.in, 1, x, s.in, w, s.in, 0, y, s.out, 1) }},
		}
		if cur.bf16nn != nil {
			runs = append(runs, struct {
				name string
				f    func()
			}{"bf16P", func() { gemmBF16Packed(cur, true, s.m, s.out, s.in, 1, x, s.in, w, s.in, 0, y, s.out, 1) }})
		}
		for _, qt := range allQTypes {
			// promptCopies copies, cycled through by the "-dram" runs so
			// that, as in a whole model, every call reads its blocks from
			// DRAM; the others reuse the first, which the cache keeps.
			blocks := make([]byte, s.out*s.in/qt.BlockWeights()*qt.BlockBytes())
			Quantize(qt, blocks, wf)
			qms := make([]*QMatrix, promptCopies)
			for i := range qms {
				qm, err := NewQMatrix(qt, s.out, s.in, append([]byte(nil), blocks...))
				if err != nil {
					b.Fatal(err)
				}
				qms[i] = qm
			}
			next := 0
			runs = append(runs, struct {
				name string
				f    func()
			}{qt.String(), func() { SgemmQ(s.m, x, s.in, qms[0], y, s.out) }}, struct {
				name string
				f    func()
			}{qt.String() + "-dram", func() {
				next = (next + 1) % promptCopies
				SgemmQ(s.m, x, s.in, qms[next], y, s.out)
			}})
			if kpBytes(qt) != 0 {
				// The packed layout (QMatrix.Repack): its groups widened
				// straight into the packed kernel's panels (kpPanel).
				pqms := make([]*QMatrix, promptCopies)
				for i := range pqms {
					pqms[i] = &QMatrix{Type: qt, Rows: s.out, Cols: s.in, Blocks: append([]byte(nil), blocks...)}
					forcePack(pqms[i])
				}
				runs = append(runs, struct {
					name string
					f    func()
				}{qt.String() + "-packed-dram", func() {
					next = (next + 1) % promptCopies
					SgemmQ(s.m, x, s.in, pqms[next], y, s.out)
				}})
			}
		}
		for _, run := range runs {
			b.Run(fmt.Sprintf("%s/%s", s.name, run.name), func(b *testing.B) {
				benchDotGEMM(b, 2*float64(s.m)*float64(s.out)*float64(s.in), run.f)
			})
		}
	}
}

// benchDotGEMM runs f b.N times on a locked thread and reports GFLOP (flops
// per call) per thread CPU-second and its share of the bf16 dot peak
// measured just before ("%dotpeak").
func benchDotGEMM(b *testing.B, flops float64, f func()) {
	dot, _ := dotPeakPerCPU()
	b.ResetTimer()
	clk := startCPU()
	for i := 0; i < b.N; i++ {
		f()
	}
	t, ok := threadCPU()
	runtime.UnlockOSThread()
	if ok && t > clk.t0 {
		g := flops * float64(b.N) / (t - clk.t0).Seconds() / 1e9
		b.ReportMetric(g, "GFLOP/cpu-s")
		if dot > 0 {
			b.ReportMetric(100*g/dot, "%dotpeak")
		}
	}
}
