package asm

import (
	"encoding/binary"
	"fmt"
	"math"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
)

// bf16NNTwin is the pure-Go bf16 dot-product GEMM with B not transposed:
// the same driver with the Go rounding and tile twin.
var bf16NNTwin = &kernels{tobf16: f32ToBF16Generic, bf16nn: bf16nnGeneric, bf16pair: bf16PairPackGeneric, bf16pairT: bf16PairPackTGeneric}

// bf16NNLevels returns the tables with a bf16nn kernel, the twin first.
func bf16NNLevels() (names []string, krs []*kernels) {
	names, krs = []string{"twin"}, []*kernels{bf16NNTwin}
	for _, l := range Available() {
		if tables[l].bf16nn != nil {
			names, krs = append(names, l.String()), append(krs, tables[l])
		}
	}
	return names, krs
}

// nnB returns g's B (n rows of k) stored k×n with row stride k·0+n+pad,
// inside bf16 NaN guards the kernels must not read into a result.
func nnB(g *bf16Case, pad int) (b []uint16, ldb int) {
	ldb = g.n + pad
	buf := make([]uint16, vecGuard+need(g.k, g.n, ldb)+vecGuard)
	for i := range buf {
		buf[i] = bf16NaN
	}
	b = buf[vecGuard : vecGuard+need(g.k, g.n, ldb)]
	for j := 0; j < g.n; j++ {
		for p := 0; p < g.k; p++ {
			b[p*ldb+j] = g.b[j*g.ldb+p]
		}
	}
	return b, ldb
}

// TestBF16NNExact checks every level's packed bf16 GEMM (B as stored and
// B transposed) against the twin bit for bit, on 1 and 2 threads, and the
// twin against a float64 reference of the bf16-rounded operands within
// (k+1)·u·Σ|terms|, on awkward shapes around the 6-row tiles, 64-column
// panels, the odd k's zero pair, the bf16NNKC passes and the bf16NNNC
// blocks, with beta 0 and 1; C sits among NaN sentinels that must stay
// untouched.
func TestBF16NNExact(t *testing.T) {
	ks := []int{1, 2, 3, 7, 15, 17, 31, 33, 127, 129, 511, 512, 513, 1025}
	ms := []int{5, 6, 7, 11, 12, 13, 17, 33}
	ns := []int{1, 3, 15, 16, 17, 63, 64, 65, 129, 513, 577}
	if testing.Short() {
		ks = []int{1, 7, 33, 513}
	}
	names, krs := bf16NNLevels()
	r := testutil.RNG(61)
	for ci, k := range ks {
		for ni, n := range ns {
			m := ms[(ci+ni)%len(ms)]
			if m*n*k > 1<<21 { // the twin emulates each product in float64
				continue
			}
			g := newBF16Case(r, m, n, k, (k+n)%16)
			tr := (ci+ni)%2 == 1
			b, ldb := g.b, g.ldb
			if !tr {
				b, ldb = nnB(g, (k+n)%3)
			}
			g.run(func(m, n, k int, x []float32, ldx int, _ []uint16, _ int, c []float32, ldc int) {
				gemmBF16Packed(bf16NNTwin, tr, m, n, k, 1, x, ldx, b, ldb, 0, c, ldc, 1)
			})
			if msg := g.check(nil, true); msg != "" {
				t.Fatalf("twin trans=%v m=%d n=%d k=%d: %s", tr, m, n, k, msg)
			}
			twin := append([]float32(nil), g.c...)
			// beta 1 adds to C: twice the product.
			acc := append([]float32(nil), twin...)
			gemmBF16Packed(bf16NNTwin, tr, m, n, k, 1, g.x, g.ldx, b, ldb, 1, acc, g.ldc, 1)
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					want, got := float64(twin[i*g.ldc+j]), float64(acc[i*g.ldc+j])
					if d := math.Abs(got - 2*want); d > 1e-6*math.Abs(want)*float64(k) {
						t.Fatalf("twin trans=%v beta=1 m=%d n=%d k=%d: C[%d,%d] = %g, want %g", tr, m, n, k, i, j, got, 2*want)
					}
				}
			}
			for li := 1; li < len(krs); li++ {
				for _, th := range []int{1, 2} {
					for i := range g.c {
						g.c[i] = float32(math.NaN())
					}
					g.run(func(m, n, k int, x []float32, ldx int, _ []uint16, _ int, c []float32, ldc int) {
						gemmBF16Packed(krs[li], tr, m, n, k, 1, x, ldx, b, ldb, 0, c, ldc, th)
					})
					if msg := g.check(nil, true); msg != "" {
						t.Fatalf("%s/%dT trans=%v m=%d n=%d k=%d: %s", names[li], th, tr, m, n, k, msg)
					}
					if msg := sameBits(g, twin); msg != "" {
						t.Fatalf("%s/%dT trans=%v m=%d n=%d k=%d: %s", names[li], th, tr, m, n, k, msg)
					}
					gemmBF16Packed(krs[li], tr, m, n, k, 1, g.x, g.ldx, b, ldb, 1, g.c, g.ldc, th)
					if msg := sameBits(g, acc); msg != "" {
						t.Fatalf("%s/%dT trans=%v beta=1 m=%d n=%d k=%d: %s", names[li], th, tr, m, n, k, msg)
					}
				}
			}
		}
	}
}

// TestPackBF16Pairs checks the packed layout element by element: pair p of
// panel column j holds rows 2p, 2p+1 of column j, zeros past an odd kc and
// past nc; with the Go twin of the pair packing and (half of the shapes)
// the level's kernel.
func TestPackBF16Pairs(t *testing.T) {
	r := testutil.RNG(62)
	for _, kc := range []int{1, 2, 3, 16, 17, 64} {
		for _, nc := range []int{1, 15, 63, 64, 65, 129} {
			const p0, j0, pad = 3, 5, 2
			ldb := j0 + nc + pad
			b := make([]uint16, (p0+kc)*ldb)
			for i := range b {
				b[i] = uint16(r.Uint32())
			}
			q := (kc + 1) / 2
			panels := ceilDiv(nc, bf16NNNR)
			dst := make([]uint16, panels*2*bf16NNNR*q)
			for i := range dst {
				dst[i] = 0xffff
			}
			pk := bf16PairPackGeneric
			if cur.bf16pair != nil && (kc+nc)%2 == 0 {
				pk = cur.bf16pair
			}
			packBF16Pairs(pk, dst, b, ldb, p0, kc, j0, nc)
			checkPairPanels(t, dst, kc, nc, func(col, row int) uint16 { return b[(p0+row)*ldb+j0+col] })
		}
	}
}

// checkPairPanels checks packed panels dst of a kc×nc block element by
// element: pair p of panel column j holds src(col, 2p) and src(col, 2p+1)
// for column col = panel·NR + j, zeros past an odd kc and past nc.
func checkPairPanels(t *testing.T, dst []uint16, kc, nc int, src func(col, e int) uint16) {
	t.Helper()
	q := (kc + 1) / 2
	for pn := 0; pn < ceilDiv(nc, bf16NNNR); pn++ {
		for p := 0; p < q; p++ {
			for j := 0; j < bf16NNNR; j++ {
				for h := 0; h < 2; h++ {
					var want uint16
					if col, e := pn*bf16NNNR+j, 2*p+h; col < nc && e < kc {
						want = src(col, e)
					}
					if got := dst[pn*2*bf16NNNR*q+2*(p*bf16NNNR+j)+h]; got != want {
						t.Fatalf("kc=%d nc=%d: panel %d pair %d col %d half %d = %#x, want %#x", kc, nc, pn, p, j, h, got, want)
					}
				}
			}
		}
	}
}

// TestPackBF16PairsT checks the packing of a transposed B element by
// element (pair p of panel column j holds elements 2p, 2p+1 of row j, zeros
// past an odd kc and past nc), with the Go twin of the gathering kernel and
// the level's.
func TestPackBF16PairsT(t *testing.T) {
	r := testutil.RNG(64)
	kinds := []func(dst, src *uint16, ldb, q16 int){bf16PairPackTGeneric}
	if cur.bf16pairT != nil {
		kinds = append(kinds, cur.bf16pairT)
	}
	for _, pk := range kinds {
		for _, kc := range []int{1, 2, 3, 17, 31, 32, 33, 64, 65, 97} {
			for _, nc := range []int{1, 15, 63, 64, 65, 129} {
				const p0, j0, pad = 3, 5, 2
				ldb := p0 + kc + pad
				b := make([]uint16, (j0+nc)*ldb)
				for i := range b {
					b[i] = uint16(r.Uint32())
				}
				q := (kc + 1) / 2
				panels := ceilDiv(nc, bf16NNNR)
				dst := make([]uint16, panels*2*bf16NNNR*q)
				for i := range dst {
					dst[i] = 0xffff
				}
				packBF16PairsT(pk, dst, b, ldb, p0, kc, j0, nc)
				checkPairPanels(t, dst, kc, nc, func(col, e int) uint16 { return b[(j0+col)*ldb+p0+e] })
			}
		}
	}
}

// TestSgemmBF16DotNN runs the public entry with B not transposed: with
// alpha 1 and beta 0 it equals the level's bf16nn GEMM bit for bit (or, on
// a level without one, SgemmBF16), with other alpha and beta alpha·(that) +
// beta·C to float32 rounding; and it agrees with the transposed-B product
// of the same matrices to the summation-order bound.
func TestSgemmBF16DotNN(t *testing.T) {
	r := testutil.RNG(63)
	const m, n, k = 13, 200, 1100
	g := newBF16Case(r, m, n, k, 3)
	b, ldb := nnB(g, 1)
	want := make([]float32, len(g.c))
	if cur.bf16nn != nil {
		gemmBF16Packed(cur, false, m, n, k, 1, g.x, g.ldx, b, ldb, 0, want, g.ldc, 1)
	} else {
		SgemmBF16(false, false, m, n, k, 1, g.x, g.ldx, b, ldb, 0, want, g.ldc)
	}
	tr := make([]float32, len(g.c))
	SgemmBF16Dot(false, true, m, n, k, 1, g.x, g.ldx, g.b, g.ldb, 0, tr, g.ldc)
	for _, ab := range [][2]float32{{1, 0}, {0.5, 0}, {-2, 0.25}, {1, 1}} {
		alpha, beta := ab[0], ab[1]
		c0 := testutil.Normal(r, len(g.c), 1)
		c := append([]float32(nil), c0...)
		SgemmBF16Dot(false, false, m, n, k, alpha, g.x, g.ldx, b, ldb, beta, c, g.ldc)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				idx := i*g.ldc + j
				var mag float64
				for p := 0; p < k; p++ {
					mag += math.Abs(bf16Operand(g.x[i*g.ldx+p], cur.bf16nn != nil) * float64(BF16ToF32(g.b[j*g.ldb+p])))
				}
				aw, bc := float64(alpha)*float64(want[idx]), float64(beta)*float64(c0[idx])
				if alpha == 1 && beta == 0 && c[idx] != want[idx] {
					t.Fatalf("C[%d,%d] = %g, want %g bit for bit", i, j, c[idx], want[idx])
				}
				if d := math.Abs(float64(c[idx]) - (aw + bc)); d > 1e-6*(math.Abs(float64(alpha))*mag+math.Abs(bc)) {
					t.Fatalf("alpha=%g beta=%g: C[%d,%d] = %g, want %g", alpha, beta, i, j, c[idx], aw+bc)
				}
				if d := math.Abs(float64(want[idx]) - float64(tr[idx])); d > 2*float64(k+1)*math.Ldexp(1, -24)*mag {
					t.Fatalf("C[%d,%d] = %g, transposed-B kernel %g", i, j, want[idx], tr[idx])
				}
			}
		}
	}
}

// FuzzBF16NN feeds arbitrary float32 rows of A and bf16 rows of B (NaN,
// Inf, subnormals; B as stored or transposed) to every packed bf16 GEMM
// level and the twin, with beta 0 and 1: bit for bit equal.
func FuzzBF16NN(f *testing.F) {
	f.Add(uint8(1), uint8(0), []byte("\x00\x00\x80\x3f\x00\x00\x00\x40\x80\x3f\xc0\x7f\x00\x00\x80\xff\x01\x00\x80\x00"))
	for s := uint8(0); s < 8; s++ {
		b := make([]byte, 40*(int(s)*13+5))
		for i := range b {
			b[i] = byte(i*37 + int(s)*11)
		}
		f.Add(s*7, s|s<<7, b)
	}
	_, krs := bf16NNLevels()
	f.Fuzz(func(t *testing.T, shape, pad uint8, data []byte) {
		m := 5 + int(shape%10)
		n := 1 + int(shape/10%7)*21
		k := len(data) / (4*m + 2*n + 4*m*n)
		if k == 0 {
			return
		}
		tr := pad&0x80 != 0 // B stored n×k
		lda, ldb, ldc := k+int(pad%3), n+int(pad/3%3), n+int(pad/9%3)
		rows, cols := k, n
		if tr {
			ldb, rows, cols = k+int(pad/3%3), n, k
		}
		a := make([]float32, need(m, k, lda))
		b := make([]uint16, need(rows, cols, ldb))
		c0 := make([]float32, need(m, n, ldc))
		pos := 0
		for i := 0; i < m; i++ {
			for p := 0; p < k; p++ {
				a[i*lda+p] = math.Float32frombits(binary.LittleEndian.Uint32(data[pos:]))
				pos += 4
			}
		}
		for p := 0; p < rows; p++ {
			for j := 0; j < cols; j++ {
				b[p*ldb+j] = binary.LittleEndian.Uint16(data[pos:])
				pos += 2
			}
		}
		for i := range c0 { // the gaps between C's rows must stay untouched
			c0[i] = float32(math.NaN())
		}
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				c0[i*ldc+j] = math.Float32frombits(binary.LittleEndian.Uint32(data[pos:]))
				pos += 4
			}
		}
		for _, beta := range []float32{0, 1} {
			twin := append([]float32(nil), c0...)
			gemmBF16Packed(bf16NNTwin, tr, m, n, k, 1, a, lda, b, ldb, beta, twin, ldc, 1)
			for _, kr := range krs[1:] {
				c := append([]float32(nil), c0...)
				gemmBF16Packed(kr, tr, m, n, k, 1, a, lda, b, ldb, beta, c, ldc, 2)
				for i := range c {
					if math.Float32bits(c[i]) != math.Float32bits(twin[i]) {
						t.Fatal(fmt.Sprintf("%s trans=%v beta=%g m=%d n=%d k=%d: C[%d] = %g (%#x), twin %g (%#x)", kr.level, tr, beta, m, n, k, i, c[i], math.Float32bits(c[i]), twin[i], math.Float32bits(twin[i])))
					}
				}
			}
		}
	})
}

// TestSgemmBF16DotPackedT runs the public entry with B transposed on
// bf16PackedMinM rows: on a level with the packed kernel it equals
// gemmBF16Packed bit for bit, and the tile kernel's product (fewer rows'
// path) to the summation-order bound.
func TestSgemmBF16DotPackedT(t *testing.T) {
	if cur.bf16nn == nil {
		t.Skip("no packed bf16 GEMM on this level")
	}
	r := testutil.RNG(65)
	m, n, k := bf16PackedMinM, 70, 301
	g := newBF16Case(r, m, n, k, 5)
	want := make([]float32, len(g.c))
	gemmBF16Packed(cur, true, m, n, k, 1, g.x, g.ldx, g.b, g.ldb, 0, want, g.ldc, 1)
	tile := make([]float32, len(g.c))
	gemmBF16Dot(cur, m, n, k, 1, g.x, g.ldx, g.b, g.ldb, 0, tile, g.ldc, 1)
	SgemmBF16Dot(false, true, m, n, k, 1, g.x, g.ldx, g.b, g.ldb, 0, g.c, g.ldc)
	if msg := sameBits(g, want); msg != "" {
		t.Fatal(msg)
	}
	if msg := g.check(tile, true); msg != "" {
		t.Fatal(msg)
	}
}
