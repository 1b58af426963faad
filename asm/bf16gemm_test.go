package asm

import (
	"encoding/binary"
	"fmt"
	"math"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
)

// bf16GemmTwin is the pure-Go bf16 dot-product GEMM: the same driver with
// the Go rounding and tile twins.
var bf16GemmTwin = &kernels{tobf16: f32ToBF16Generic, bf16tile: bf16tileGeneric}

// bf16GemmLevels returns the tables with a bf16 GEMM tile kernel, the twin
// first (so the twin is checked against the reference on every machine).
func bf16GemmLevels() (names []string, krs []*kernels) {
	names, krs = []string{"twin"}, []*kernels{bf16GemmTwin}
	for _, l := range Available() {
		if tables[l].bf16tile != nil {
			names, krs = append(names, l.String()), append(krs, tables[l])
		}
	}
	return names, krs
}

// gemmDotKernel adapts gemmBF16Dot (alpha 1, beta 0, t threads) to the
// bf16mvKernel signature the bf16 test cases run.
func gemmDotKernel(kr *kernels, t int) bf16mvKernel {
	return func(m, n, k int, x []float32, ldx int, b []uint16, ldb int, c []float32, ldc int) {
		gemmBF16Dot(kr, m, n, k, 1, x, ldx, b, ldb, 0, c, ldc, t)
	}
}

// TestBF16GemmExact checks the bf16 GEMM of every level that has one
// against the twin bit for bit, on 1 and 2 threads, and the twin (and so
// the kernels) against a float64 reference of the bf16-rounded operands
// within (k+1)·u·Σ|terms|, on awkward shapes around the 4-row tiles, the
// 32-element steps, the bf16KC passes and the bf16NB blocks; C sits among
// NaN sentinels that must stay untouched.
func TestBF16GemmExact(t *testing.T) {
	ks := []int{1, 2, 3, 7, 15, 17, 31, 32, 33, 63, 64, 65, 127, 129, 255, 1023, 1024, 1025, 2100}
	ms := []int{5, 6, 7, 8, 9, 15, 17, 33}
	ns := []int{1, 2, 3, 4, 5, 7, 17, 33, 129, 257}
	if testing.Short() {
		ks = []int{1, 7, 33, 129, 1025}
	}
	names, krs := bf16GemmLevels()
	r := testutil.RNG(43)
	for ci, k := range ks {
		for ni, n := range ns {
			m := ms[(ci+ni)%len(ms)]
			if m*n*k > 1<<21 { // the twin emulates each product in float64
				continue
			}
			g := newBF16Case(r, m, n, k, (k+n)%16)
			g.run(gemmDotKernel(bf16GemmTwin, 1))
			if msg := g.check(nil, true); msg != "" {
				t.Fatalf("twin m=%d n=%d k=%d: %s", m, n, k, msg)
			}
			twin := append([]float32(nil), g.c...)
			for li := 1; li < len(krs); li++ {
				for _, th := range []int{1, 2} {
					for i := range g.c {
						g.c[i] = float32(math.NaN())
					}
					g.run(gemmDotKernel(krs[li], th))
					if msg := g.check(nil, true); msg != "" {
						t.Fatalf("%s/%dT m=%d n=%d k=%d: %s", names[li], th, m, n, k, msg)
					}
					if msg := sameBits(g, twin); msg != "" {
						t.Fatalf("%s/%dT m=%d n=%d k=%d: %s", names[li], th, m, n, k, msg)
					}
				}
			}
		}
	}
}

// sameBits compares the m×n elements of g.c with twin bit for bit.
func sameBits(g *bf16Case, twin []float32) string {
	for i := 0; i < g.m; i++ {
		for j := 0; j < g.n; j++ {
			got, want := g.c[i*g.ldc+j], twin[i*g.ldc+j]
			if math.Float32bits(got) != math.Float32bits(want) {
				return fmt.Sprintf("C[%d,%d] = %g (%#x), twin %g (%#x)", i, j, got, math.Float32bits(got), want, math.Float32bits(want))
			}
		}
	}
	return ""
}

// TestSgemmBF16DotGemm runs the public entry on a prompt-sized product: with
// alpha 1 and beta 0 it must equal the level's bf16 GEMM bit for bit (or,
// on a level without one, SgemmBF16), and with other alpha and beta
// alpha·(that) + beta·C to float32 rounding (of the terms' magnitudes: a
// blocked kernel adds alpha·partial sums to beta·C).
func TestSgemmBF16DotGemm(t *testing.T) {
	r := testutil.RNG(44)
	const m, n, k = 11, 300, 1100
	g := newBF16Case(r, m, n, k, 3)
	want := make([]float32, len(g.c))
	if cur.bf16tile != nil {
		gemmBF16Dot(cur, m, n, k, 1, g.x, g.ldx, g.b, g.ldb, 0, want, g.ldc, 1)
	} else {
		SgemmBF16(false, true, m, n, k, 1, g.x, g.ldx, g.b, g.ldb, 0, want, g.ldc)
	}
	for _, ab := range [][2]float32{{1, 0}, {0.5, 0}, {-2, 0.25}, {1, 1}} {
		alpha, beta := ab[0], ab[1]
		c0 := testutil.Normal(r, len(g.c), 1)
		c := append([]float32(nil), c0...)
		SgemmBF16Dot(false, true, m, n, k, alpha, g.x, g.ldx, g.b, g.ldb, beta, c, g.ldc)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				idx := i*g.ldc + j
				aw, bc := float64(alpha)*float64(want[idx]), float64(beta)*float64(c0[idx])
				var mag float64 // the partial sums of a blocked kernel are bounded by it
				for p := 0; p < k; p++ {
					mag += math.Abs(float64(g.x[i*g.ldx+p]) * float64(BF16ToF32(g.b[j*g.ldb+p])))
				}
				if d := math.Abs(float64(c[idx]) - (aw + bc)); d > 1e-6*(math.Abs(float64(alpha))*mag+math.Abs(bc)) {
					t.Fatalf("alpha=%g beta=%g: C[%d,%d] = %g, want %g", alpha, beta, i, j, c[idx], aw+bc)
				}
			}
		}
	}
}

// FuzzBF16Gemm feeds arbitrary float32 rows of A and bf16 rows of B (NaN,
// Inf, subnormals) to every bf16 GEMM level and the twin: bit for bit equal.
func FuzzBF16Gemm(f *testing.F) {
	f.Add(uint8(1), uint8(0), []byte("\x00\x00\x80\x3f\x00\x00\x00\x40\x80\x3f\xc0\x7f\x00\x00\x80\xff\x01\x00\x80\x00"))
	for s := uint8(0); s < 8; s++ {
		b := make([]byte, 24*(int(s)*13+5))
		for i := range b {
			b[i] = byte(i*37 + int(s)*11)
		}
		f.Add(s*7, s, b)
	}
	_, krs := bf16GemmLevels()
	f.Fuzz(func(t *testing.T, shape, pad uint8, data []byte) {
		m := 5 + int(shape%8)
		n := 1 + int(shape/8%9)
		k := len(data) / (4*m + 2*n)
		if k == 0 {
			return
		}
		ldx, ldb, ldc := k+int(pad%3), k+int(pad/3%3), n+int(pad/9%3)
		x := make([]float32, need(m, k, ldx))
		b := make([]uint16, need(n, k, ldb))
		pos := 0
		for i := 0; i < m; i++ {
			for p := 0; p < k; p++ {
				x[i*ldx+p] = math.Float32frombits(binary.LittleEndian.Uint32(data[pos:]))
				pos += 4
			}
		}
		for j := 0; j < n; j++ {
			for p := 0; p < k; p++ {
				b[j*ldb+p] = binary.LittleEndian.Uint16(data[pos:])
				pos += 2
			}
		}
		twin := make([]float32, need(m, n, ldc))
		gemmBF16Dot(bf16GemmTwin, m, n, k, 1, x, ldx, b, ldb, 0, twin, ldc, 1)
		for _, kr := range krs[1:] {
			c := make([]float32, len(twin))
			gemmBF16Dot(kr, m, n, k, 1, x, ldx, b, ldb, 0, c, ldc, 2)
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					got, want := c[i*ldc+j], twin[i*ldc+j]
					if math.Float32bits(got) != math.Float32bits(want) {
						t.Fatalf("%s m=%d n=%d k=%d: C[%d,%d] = %g (%#x), twin %g (%#x)", kr.level, m, n, k, i, j, got, math.Float32bits(got), want, math.Float32bits(want))
					}
				}
			}
		}
	})
}
