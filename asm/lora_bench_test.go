package asm

import (
	"fmt"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
)

// loraCalls are the six GEMMs of a LoRA op (autograd's lora, rank r) on
// rows input rows with in inputs and out outputs: the forward's h = x·Aᵀ
// and y += s·h·Bᵀ, the backward's dB += s·gᵀ·h, dh = s·g·B, dA += dhᵀ·x
// and dx = dh·A.
func loraCalls(rows, in, out, r int) []struct {
	name    string
	run     func(x, a, bm, g, h, y []float32)
	m, n, k int
} {
	type call = struct {
		name    string
		run     func(x, a, bm, g, h, y []float32)
		m, n, k int
	}
	return []call{
		{"h=xAt", func(x, a, bm, g, h, y []float32) { Sgemm(false, true, rows, r, in, 1, x, in, a, in, 0, h, r) }, rows, r, in},
		{"y+=hBt", func(x, a, bm, g, h, y []float32) { Sgemm(false, true, rows, out, r, 0.5, h, r, bm, r, 1, y, out) }, rows, out, r},
		{"dB+=gth", func(x, a, bm, g, h, y []float32) { Sgemm(true, false, out, r, rows, 0.5, g, out, h, r, 1, bm, r) }, out, r, rows},
		{"dh=gB", func(x, a, bm, g, h, y []float32) { Sgemm(false, false, rows, r, out, 0.5, g, out, bm, r, 0, h, r) }, rows, r, out},
		{"dA+=dhtx", func(x, a, bm, g, h, y []float32) { Sgemm(true, false, r, in, rows, 1, h, r, x, in, 1, a, in) }, r, in, rows},
		{"dx=dhA", func(x, a, bm, g, h, y []float32) { Sgemm(false, false, rows, in, r, 1, h, r, a, in, 0, x, in) }, rows, in, r},
	}
}

// BenchmarkLoRAGEMM times each of a LoRA op's six GEMMs at the default
// run's direct-FT shape (16 prompts of ~263 tokens through the tiny
// decoder's 256→256 and 256→688 / 688→256 projections) and at the 1B
// Stage B step's (a micro-batch of 8 × 80 tokens, 2048→2048 and
// 2048→8192), one thread, in GFLOP per thread CPU-second, on the skinny
// path and on the packed path it replaced (n ≤ 16 only; the others are the
// same code twice).
func BenchmarkLoRAGEMM(b *testing.B) {
	for _, s := range []struct {
		name          string
		rows, in, out int
	}{
		{"tiny256x256", 4208, 256, 256},
		{"tiny256x688", 4208, 256, 688},
		{"tiny688x256", 4208, 688, 256},
		{"1b2048x2048", 640, 2048, 2048},
		{"1b2048x8192", 640, 2048, 8192},
	} {
		r := testutil.RNG(1)
		const rank = 16
		x := testutil.Uniform(r, s.rows*s.in)
		a := testutil.Uniform(r, rank*s.in)
		bm := testutil.Uniform(r, s.out*rank)
		g := testutil.Uniform(r, s.rows*s.out)
		h := testutil.Uniform(r, s.rows*rank)
		y := testutil.Uniform(r, s.rows*s.out)
		for _, c := range loraCalls(s.rows, s.in, s.out, rank) {
			for _, packed := range []bool{false, true} {
				path := "skinny"
				if packed {
					path = "packed"
				}
				b.Run(fmt.Sprintf("%s/%s/%s", s.name, c.name, path), func(b *testing.B) {
					defer SetThreads(1)()
					noSkinny = packed
					defer func() { noSkinny = false }()
					clk := startCPU()
					for i := 0; i < b.N; i++ {
						c.run(x, a, bm, g, h, y)
					}
					clk.report(b, 2*float64(c.m)*float64(c.n)*float64(c.k)*float64(b.N))
				})
			}
		}
	}
}
