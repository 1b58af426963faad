package asm

import (
	"fmt"
	"os"
	"strings"

	"github.com/klauspost/cpuid/v2"
)

// Level is an instruction-set level with its own kernel implementations.
type Level int

// The kernel levels, from the pure-Go twins upwards.
const (
	Generic Level = iota // pure Go, every architecture
	AVX2                 // amd64 AVX2 + FMA3
	AVX512               // amd64 AVX-512F (+VL, DQ, BW)
	NEON                 // arm64 Advanced SIMD
	// AVX512BF16 is AVX512 with the bf16 dot product (VDPBF16PS):
	// SgemmBF16Dot's matvecs round the activations to bf16 (bf16dot.go).
	// LLINK_SIMD=avx512 keeps them float32.
	AVX512BF16
)

var levelNames = [...]string{Generic: "generic", AVX2: "avx2", AVX512: "avx512", NEON: "neon", AVX512BF16: "avx512bf16"}

// String returns the level's name as accepted by LLINK_SIMD.
func (l Level) String() string {
	if l >= 0 && int(l) < len(levelNames) {
		return levelNames[l]
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// ParseLevel parses a level name (case-insensitive) as used in LLINK_SIMD.
func ParseLevel(s string) (Level, error) {
	for i, n := range levelNames {
		if strings.EqualFold(strings.TrimSpace(s), n) {
			return Level(i), nil
		}
	}
	return Generic, fmt.Errorf("asm: unknown SIMD level %q (want one of %s)", s, strings.Join(levelNames[:], ", "))
}

// CacheSizes are the per-core data cache sizes in bytes used to pick GEMM
// block sizes. Zero means unknown.
type CacheSizes struct{ L1D, L2, L3 int }

// Caches reports the data cache sizes detected at start-up (with defaults
// filled in where the CPU did not report them).
func Caches() CacheSizes { return caches }

var caches = detectCaches()

func detectCaches() CacheSizes {
	c := CacheSizes{L1D: cpuid.CPU.Cache.L1D, L2: cpuid.CPU.Cache.L2, L3: cpuid.CPU.Cache.L3}
	if c.L1D <= 0 {
		c.L1D = 32 << 10
	}
	if c.L2 <= 0 {
		c.L2 = 512 << 10
	}
	if c.L3 <= 0 {
		c.L3 = 8 << 20
	}
	return c
}

// CPUName is the processor brand string, for reports.
func CPUName() string {
	if cpuid.CPU.BrandName != "" {
		return cpuid.CPU.BrandName
	}
	return "unknown CPU"
}

// available lists the levels this machine and build can run, lowest first.
// It is filled by the architecture files' init functions.
var available = []Level{Generic}

// Available returns every level this machine can run, lowest first. The
// highest one is the default unless LLINK_SIMD caps it.
func Available() []Level { return append([]Level(nil), available...) }

// defaultLevel picks the highest available level, capped by LLINK_SIMD.
func defaultLevel() (Level, error) {
	best := available[len(available)-1]
	env := os.Getenv("LLINK_SIMD")
	if env == "" {
		return best, nil
	}
	want, err := ParseLevel(env)
	if err != nil {
		return best, fmt.Errorf("LLINK_SIMD: %w", err)
	}
	// Cap: the highest available level not above the requested one.
	pick := Generic
	for _, l := range available {
		if l <= want {
			pick = l
		}
	}
	return pick, nil
}
