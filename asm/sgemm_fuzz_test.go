package asm

import (
	"math"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
)

// FuzzSgemm is a differential fuzz target for SGEMM: fuzzer-chosen shapes
// (m, n ≤ 64, k ≤ 64), transposes, leading-dimension padding, α, β and the
// bf16 B path, run on every level against the float64 reference with the
// tolerance and NaN guard bands of gemmCase.run (2(k+4)u·Σ|terms|).
func FuzzSgemm(f *testing.F) {
	f.Add(uint8(5), uint8(17), uint8(33), uint8(0), uint8(0), float32(1.5), float32(0), uint64(1))
	f.Add(uint8(12), uint8(32), uint8(7), uint8(3), uint8(0x5a), float32(-0.75), float32(0.5), uint64(2))
	f.Add(uint8(1), uint8(64), uint8(64), uint8(4), uint8(0xff), float32(1), float32(1), uint64(3))
	f.Add(uint8(63), uint8(1), uint8(0), uint8(7), uint8(0x21), float32(0.3), float32(-1.25), uint64(4))
	f.Fuzz(func(t *testing.T, m, n, k, flags, pads uint8, alpha, beta float32, seed uint64) {
		g := gemmCase{
			transA: flags&1 != 0, transB: flags&2 != 0,
			m: 1 + int(m)%64, n: 1 + int(n)%64, k: int(k) % 65,
			alpha: finiteCoef(alpha), beta: finiteCoef(beta),
		}
		ac, bc := g.k, g.n
		if g.transA {
			ac = g.m
		}
		if g.transB {
			bc = g.k
		}
		g.lda = max(ac, 1) + int(pads&3)
		g.ldb = max(bc, 1) + int(pads>>2&3)
		g.ldc = g.n + int(pads>>4&7)
		bf16 := flags&4 != 0
		for _, l := range Available() {
			restore := SetLevel(l)
			msg := g.run(testutil.RNG(seed), bf16)
			restore()
			if msg != "" {
				t.Fatalf("%s: %v bf16=%v: %s", l, g, bf16, msg)
			}
		}
	})
}

// finiteCoef maps a fuzzer-chosen α or β to a finite value of moderate size
// (the GEMM contract is about finite scalars; huge ones only test overflow).
func finiteCoef(v float32) float32 {
	if v != v || math.IsInf(float64(v), 0) || math.Abs(float64(v)) > 1e4 {
		return float32(math.Mod(float64(math.Float32bits(v)), 7)) - 3
	}
	return v
}
