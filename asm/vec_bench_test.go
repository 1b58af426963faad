package asm

import (
	"fmt"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
)

// BenchmarkVec runs every vector kernel on every level at 64, 1024 and 16384
// elements. Throughput is reported as bytes touched per second (inputs +
// outputs, via b.SetBytes); exp, the activations and AdamW also report
// elements/s.
func BenchmarkVec(b *testing.B) {
	for _, n := range []int{64, 1024, 16384} {
		r := testutil.RNG(1)
		x := testutil.Normal(r, n, 3)
		y := testutil.Normal(r, n, 3)
		dst := make([]float32, n)
		h := make([]uint16, n)
		F32ToBF16Slice(h, x)
		am, av := make([]float32, n), make([]float32, n)
		st := AdamWStep{Decay: 0.999999, Beta1: 0.9, Beta2: 0.999, StepSize: 1e-4, BC2Sqrt: 0.1, Eps: 1e-8}
		var sink float32
		ops := []struct {
			name  string
			bytes int // per element
			elems bool
			f     func()
		}{
			{"Dot", 8, false, func() { sink += Dot(x, y) }},
			{"Sum", 4, false, func() { sink += Sum(x) }},
			{"Max", 4, false, func() { sink += Max(x) }},
			{"Axpy", 12, false, func() { Axpy(1e-7, x, dst) }},
			{"Scale", 8, false, func() { Scale(1, dst) }},
			{"Add", 12, false, func() { Add(dst, x, y) }},
			{"Mul", 12, false, func() { Mul(dst, x, y) }},
			{"Exp", 8, true, func() { Exp(dst, x) }},
			{"SiLU", 8, true, func() { SiLU(dst, x) }},
			{"SiLU32", 8, true, func() { SwiGLU32(dst, x, nil) }},
			{"SwiGLU32", 12, true, func() { SwiGLU32(dst, x, y) }},
			{"SwiGLUBackward", 20, true, func() { SwiGLUBackward(dst, am, false, false, y, x, y) }},
			{"GELU", 8, true, func() { GELU(dst, x) }},
			{"GELUTanh", 8, true, func() { GELUTanh(dst, x) }},
			{"BF16ToF32", 6, false, func() { BF16ToF32Slice(dst, h) }},
			{"F32ToBF16", 6, false, func() { F32ToBF16Slice(h, x) }},
			{"Softmax", 8, true, func() { copy(dst, x); Softmax(dst) }},
			{"RMSNorm", 12, false, func() { RMSNorm(dst, x, y, 1e-5) }},
			{"LayerNorm", 16, false, func() { LayerNorm(dst, x, y, y, 1e-5) }},
			{"AdamW", 28, true, func() { AdamW(dst, y, am, av, st) }},
		}
		for _, op := range ops {
			for _, l := range Available() {
				b.Run(fmt.Sprintf("%s/%s/n=%d", op.name, l, n), func(b *testing.B) {
					defer SetLevel(l)()
					b.SetBytes(int64(op.bytes * n))
					for b.Loop() {
						op.f()
					}
					if op.elems {
						b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
					}
				})
			}
		}
		_ = sink
	}
}
