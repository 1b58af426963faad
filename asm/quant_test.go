package asm

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
)

// TestF16 checks F16ToF32 and F32ToF16 on every half: widening then rounding
// gives the same bits back (NaNs aside), and rounding picks the nearest half
// on random float32 values of the half range.
func TestF16(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		f := F16ToF32(uint16(h))
		if f != f {
			if g := F32ToF16(f); F16ToF32(g) == F16ToF32(g) {
				t.Fatalf("NaN %#04x rounds to non-NaN %#04x", h, g)
			}
			continue
		}
		if g := F32ToF16(f); g != uint16(h) {
			t.Fatalf("%#04x → %g → %#04x", h, f, g)
		}
	}
	r := testutil.RNG(40)
	for range 100000 {
		v := float32(math.Ldexp(r.Float64()*2-1, r.IntN(36)-24))
		h := F32ToF16(v)
		got := math.Abs(float64(F16ToF32(h)) - float64(v))
		for _, nb := range []uint16{h - 1, h + 1} {
			if nb&0x7c00 == 0x7c00 {
				continue
			}
			if d := math.Abs(float64(F16ToF32(nb)) - float64(v)); d < got {
				t.Fatalf("%g rounds to %#04x (%g), but %#04x (%g) is nearer", v, h, F16ToF32(h), nb, F16ToF32(nb))
			}
		}
	}
}

// TestQuantizeRoundTrip quantises random blocks (values of spread-out
// magnitudes) and checks each dequantised weight against the original:
// within half a step for Q8_0 (rounding to nearest), one step for Q4_0
// (the clamp at +7 can cost a full step), plus the f16 rounding of the scale.
func TestQuantizeRoundTrip(t *testing.T) {
	r := testutil.RNG(41)
	for _, qt := range []QType{Q8_0, Q4_0} {
		for nb := 1; nb <= 9; nb++ {
			x := testutil.Normal(r, nb*QBlock, math.Ldexp(1, r.IntN(20)-10))
			blocks := make([]byte, nb*qt.BlockBytes())
			Quantize(qt, blocks, x)
			y := make([]float32, len(x))
			Dequantize(qt, y, blocks)
			for b := 0; b < nb; b++ {
				var amax float64
				for _, v := range x[b*QBlock : (b+1)*QBlock] {
					amax = max(amax, math.Abs(float64(v)))
				}
				step, tol := amax/127, 0.5
				if qt == Q4_0 {
					step, tol = amax/8, 1
				}
				bound := tol*step*(1+0x1p-10) + 128*amax*0x1p-11
				for i := b * QBlock; i < (b+1)*QBlock; i++ {
					if d := math.Abs(float64(y[i]) - float64(x[i])); d > bound {
						t.Fatalf("%s block %d element %d: %g → %g (|diff| %g > %g)", qt, b, i, x[i], y[i], d, bound)
					}
				}
			}
		}
	}
}

// TestQuantizeKRoundTrip quantises random super-blocks of spread-out
// magnitudes as Q4_K and Q6_K and bounds the dequantised error: each weight
// within one step of its group's quantised scale (Q4_K: (d·sc) plus the
// rounding of the min; Q6_K: d·sc), and the relative RMS error near what
// llama.cpp's own quantiser gives (7% and 2% measured on random normal
// weights; bench/RESULTS.md).
func TestQuantizeKRoundTrip(t *testing.T) {
	r := testutil.RNG(47)
	for _, qt := range []QType{Q4_K, Q6_K} {
		for nb := 1; nb <= 5; nb++ {
			x := testutil.Normal(r, nb*256, math.Ldexp(1, r.IntN(20)-10))
			bs := make([]byte, nb*qt.BlockBytes())
			Quantize(qt, bs, x)
			y := make([]float32, len(x))
			Dequantize(qt, y, bs)
			var e, n float64
			for b := 0; b < nb; b++ {
				g := 32
				if qt == Q6_K {
					g = 16
				}
				for i := b * 256; i < (b+1)*256; i++ {
					e += math.Pow(float64(y[i]-x[i]), 2)
					n += math.Pow(float64(x[i]), 2)
					var amax float64
					for _, v := range x[i/g*g : i/g*g+g] {
						amax = max(amax, math.Abs(float64(v)))
					}
					// A step is the group's range over 15 (Q4_K) or its
					// largest magnitude over 32 (Q6_K); the rounding of the
					// group scale (units d of the super-block) moves the
					// largest q by up to 16 d, Q4_K's min by up to dmin.
					var supMax float64
					for _, v := range x[b*256 : (b+1)*256] {
						supMax = max(supMax, math.Abs(float64(v)))
					}
					step := 2*amax/15 + 8*(2*supMax/15/63) + supMax/63
					if qt == Q6_K {
						step = amax/32 + 17*(supMax/32/127)
					}
					if d := math.Abs(float64(y[i] - x[i])); d > step*1.01 {
						t.Fatalf("%s block %d element %d: %g → %g (|diff| %g > step %g)", qt, b, i, x[i], y[i], d, step)
					}
				}
			}
			rel := math.Sqrt(e / n)
			if lim := map[QType]float64{Q4_K: 0.1, Q6_K: 0.03}[qt]; rel > lim {
				t.Errorf("%s nb=%d: relative RMS error %.3g > %g", qt, nb, rel, lim)
			}
		}
	}
}

// qCase draws a quantised row of nb blocks and an x row, each followed by
// poison (NaN in x, blocks whose scale is NaN) so a kernel that reads past
// the row gives NaN.
func qCase(r *rand.Rand, qt QType, nb int) (x []float32, blocks []byte, ref, mag float64) {
	bw, bb := qt.BlockWeights(), qt.BlockBytes()
	xs := append(testutil.Normal(r, nb*bw, 1), make([]float32, 2*bw)...)
	for i := nb * bw; i < len(xs); i++ {
		xs[i] = float32(math.NaN())
	}
	w := testutil.Normal(r, (nb+2)*bw, 0.05)
	bs := make([]byte, (nb+2)*bb)
	Quantize(qt, bs, w)
	for b := nb; b < nb+2; b++ {
		binary.LittleEndian.PutUint16(bs[b*bb+scaleOffset(qt):], 0x7e00) // NaN scale
	}
	deq := make([]float32, nb*bw)
	Dequantize(qt, deq, bs[:nb*bb])
	for p, v := range deq {
		tm := float64(xs[p]) * float64(v)
		ref, mag = ref+tm, mag+math.Abs(tm)
	}
	return xs, bs, ref, mag
}

// scaleOffset is where a block's f16 scale d sits.
func scaleOffset(qt QType) int {
	if qt == Q6_K {
		return 208
	}
	return 0
}

// qBound is the float32 error bound of a quantised dot product of nb blocks:
// each block sums its products (dequantised weights for the K types: one
// more rounding each), is scaled and added once more.
func qBound(qt QType, nb int, mag float64) float64 {
	return float64(qt.BlockWeights()+nb+4) * 0x1p-24 * mag
}

// allQTypes are the quantised formats.
var allQTypes = []QType{Q8_0, Q4_0, Q4_K, Q6_K}

// TestQDot checks every level's quantised dot kernels against the float64
// dot of the dequantised weights and the Go twin, on block counts around the
// two-block unroll, reading nothing past the row.
func TestQDot(t *testing.T) {
	for _, l := range Available() {
		for _, qt := range allQTypes {
			t.Run(fmt.Sprintf("%s/%s", l, qt), func(t *testing.T) {
				r := testutil.RNG(42)
				for _, nb := range []int{0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 33, 64, 256} {
					x, bs, ref, mag := qCase(r, qt, nb)
					got := float64(tables[l].qdot[qt](x, bs, nb))
					twin := float64(qdotGeneric(qt)(x, bs, nb))
					bound := qBound(qt, nb, mag)
					if math.Abs(got-ref) > bound || got != got {
						t.Fatalf("nb=%d: %g, want %g (bound %g)", nb, got, ref, bound)
					}
					if math.Abs(got-twin) > 2*bound {
						t.Fatalf("nb=%d: %g, twin %g (bound %g)", nb, got, twin, 2*bound)
					}
				}
			})
		}
	}
}

// TestSgemmQ checks the public entry point on every level against the
// float64 product with the dequantised matrix: m = 1..4 (block kernels) and
// 5..9 (dequantised chunks and the level's GEMM; on avx512bf16 the bf16
// one, within the rounding of x and the weights to bf16; the K types' int8
// kernels within kRef's bound), awkward row counts, padded strides,
// one and two threads; C's padding must stay untouched.
func TestSgemmQ(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := testutil.RNG(43)
		for _, th := range []int{1, 2} {
			defer SetThreads(th)()
			for _, qt := range allQTypes {
				shapes := [][3]int{{1, 1, 32}, {1, 3, 64}, {2, 7, 96}, {3, 17, 32}, {4, 33, 160}, {1, 129, 1024}, {4, 70, 2048}, {5, 65, 64}, {7, 130, 96}, {9, 3, 256}}
				if qt.BlockWeights() != QBlock {
					shapes = [][3]int{{1, 1, 256}, {2, 7, 512}, {4, 33, 256}, {1, 129, 1024}, {5, 65, 256}, {7, 130, 768}, {9, 3, 256}}
				}
				for _, sh := range shapes {
					m, n, k := sh[0], sh[1], sh[2]
					ldx, ldc := k+r.IntN(3), n+1+r.IntN(3)
					x := testutil.Normal(r, need(m, k, ldx), 1)
					w := testutil.Normal(r, n*k, 0.05)
					blocks := make([]byte, n*k/qt.BlockWeights()*qt.BlockBytes())
					Quantize(qt, blocks, w)
					wq, err := NewQMatrix(qt, n, k, blocks)
					if err != nil {
						t.Fatal(err)
					}
					deq := make([]float32, n*k)
					wq.DequantizeRows(deq, 0, n)
					c := make([]float32, need(m, n, ldc)+1)
					for i := range c {
						c[i] = float32(math.NaN())
					}
					SgemmQ(m, x, ldx, wq, c, ldc)
					for i := 0; i < m; i++ {
						for j := 0; j < ldc && i*ldc+j < len(c); j++ {
							got := c[i*ldc+j]
							if j >= n {
								if got == got {
									t.Fatalf("%s m=%d n=%d k=%d: wrote padding C[%d,%d]", qt, m, n, k, i, j)
								}
								continue
							}
							var ref, mag float64
							for p := 0; p < k; p++ {
								tm := float64(x[i*ldx+p]) * float64(deq[j*k+p])
								ref, mag = ref+tm, mag+math.Abs(tm)
							}
							bound := qBound(qt, k/qt.BlockWeights(), mag) + float64(k+1)*0x1p-24*mag
							if m > bf16MaxM && cur.bf16tile != nil {
								bound += 0x1p-8 * mag // x and the weights rounded to bf16 (2⁻⁹ each)
							}
							if m <= bf16MaxM && cur.kdot[qt] != nil {
								var a qActs
								quantizeActs(qt, &a, x[i*ldx:i*ldx+k])
								_, kb := kRef(qt, x[i*ldx:], wq.Blocks[j*wq.rowBytes():], &a, k/qt.BlockWeights())
								bound += kb // x quantised to int8
							}
							if d := math.Abs(float64(got) - ref); !(d <= bound) {
								t.Fatalf("%s threads=%d m=%d n=%d k=%d: C[%d,%d] = %g, want %g", qt, th, m, n, k, i, j, got, ref)
							}
						}
					}
				}
			}
		}
	})
}

// FuzzQDot differentially fuzzes every level's quantised dot kernels on raw
// block bytes (any scale: NaN, Inf, subnormal halves) against the float64
// value: a NaN block term gives NaN; where no partial sum can overflow, the
// result is within the float32 bound.
func FuzzQDot(f *testing.F) {
	f.Add(uint8(0), []byte("\x00\x3c\x01\x02\x03\xff\x80\x7f"), int64(1))
	f.Add(uint8(1), []byte("\x00\x7c\x11\x22\x33"), int64(2))
	f.Add(uint8(2), make([]byte, 150), int64(3))
	f.Add(uint8(3), make([]byte, 220), int64(4))
	f.Fuzz(func(t *testing.T, typ uint8, data []byte, seed int64) {
		qt := allQTypes[typ%4]
		bb, bw := qt.BlockBytes(), qt.BlockWeights()
		nb := min(len(data)/bb, 40)
		bs := data[:nb*bb]
		x := testutil.Normal(testutil.RNG(uint64(seed)), nb*bw, 1)
		// The reference in the kernels' factorised form, Σ_b d_b·Σ_i x_i·q_i
		// (as llama.cpp): an infinite scale times a zero block sum is NaN,
		// but times a zero weight in a nonzero sum it is not. The K types'
		// kernels dot the dequantised weights: so does their reference.
		var ref, mag float64
		nan := false
		unit := make([]float32, QBlock)
		if bw != QBlock {
			deq := make([]float32, nb*bw)
			Dequantize(qt, deq, bs)
			for p, v := range deq {
				tm := float64(x[p]) * float64(v)
				nan = nan || v != v
				ref, mag = ref+tm, mag+math.Abs(tm)
			}
			nan = nan || ref != ref
			nb = 0 // skip the factorised loop
		}
		for b := 0; b < nb; b++ {
			blk := append([]byte{0x00, 0x3c}, bs[b*bb+2:(b+1)*bb]...) // scale 1: the integer weights
			Dequantize(qt, unit, blk)
			d := float64(F16ToF32(binary.LittleEndian.Uint16(bs[b*bb:])))
			var s, sm float64
			for i, q := range unit {
				s += float64(x[b*QBlock+i]) * float64(q)
				sm += math.Abs(float64(x[b*QBlock+i]) * float64(q))
			}
			nan = nan || d*s != d*s
			ref, mag = ref+d*s, mag+math.Abs(d)*sm
		}
		nb = len(bs) / bb
		for _, l := range Available() {
			got := float64(tables[l].qdot[qt](x, bs, nb))
			switch {
			case nan:
				if got == got {
					t.Fatalf("%s %s nb=%d: %g, want NaN", l, qt, nb, got)
				}
			case mag < 1e30:
				if b := qBound(qt, nb, mag) + 1e-40; math.Abs(got-ref) > b {
					t.Fatalf("%s %s nb=%d: %g, want %g (bound %g)", l, qt, nb, got, ref, b)
				}
			}
		}
	})
}

// BenchmarkSgemmQ is the decoding matvec on quantised weights (m = 1,
// 2048×8192 from DRAM through gemvCopies copies, 1 and 2 threads): GB/s of
// weight bytes and Gweights/s; compare BenchmarkGemvBF16's dot/m1 lines of
// the same run (bench/ggml_matvec.sh puts ggml's beside them).
func BenchmarkSgemmQ(b *testing.B) {
	const n, k = 2048, 8192
	r := testutil.RNG(1)
	x := testutil.Uniform(r, k)
	w := testutil.Normal(r, n*k, 0.05)
	c := make([]float32, n)
	for _, qt := range []QType{Q8_0, Q4_0} {
		ws := make([]*QMatrix, gemvCopies)
		for i := range ws {
			bs := make([]byte, n*k/QBlock*qt.BlockBytes())
			Quantize(qt, bs, w)
			ws[i], _ = NewQMatrix(qt, n, k, bs)
		}
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/t%d", qt, th), func(b *testing.B) {
				defer SetThreads(th)()
				b.SetBytes(ws[0].Bytes())
				for i := 0; i < b.N; i++ {
					SgemmQ(1, x, k, ws[i%gemvCopies], c, n)
				}
				b.ReportMetric(float64(ws[0].Bytes())*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
				b.ReportMetric(float64(n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gweights/s")
			})
		}
	}
}

// qTwin is the Go twin of the quantised prompt path on a bf16 GEMM level.
var qTwin = &kernels{tobf16: f32ToBF16Generic, bf16tile: bf16tileGeneric, dequant: Dequantize,
	bf16nn: bf16nnGeneric, bf16pair: bf16PairPackGeneric, bf16pairT: bf16PairPackTGeneric}

// randomQMatrix quantises a random n×k matrix (normal, σ 0.05) as qt.
func randomQMatrix(t testing.TB, r *rand.Rand, qt QType, n, k int) *QMatrix {
	blocks := make([]byte, n*k/qt.BlockWeights()*qt.BlockBytes())
	Quantize(qt, blocks, testutil.Normal(r, n*k, 0.05))
	w, err := NewQMatrix(qt, n, k, blocks)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestDequantKernels checks every level's dequantisation against
// Dequantize bit for bit on block counts around nothing in particular (the
// kernels go one block at a time) and scales from subnormal halves up.
func TestDequantKernels(t *testing.T) {
	r := testutil.RNG(45)
	for _, qt := range allQTypes {
		bw := qt.BlockWeights()
		for _, nb := range []int{1, 2, 3, 7, 15, 17, 31, 33, 64} {
			x := testutil.Normal(r, nb*bw, math.Ldexp(1, r.IntN(40)-30))
			bs := make([]byte, nb*qt.BlockBytes())
			Quantize(qt, bs, x)
			want := make([]float32, nb*bw)
			Dequantize(qt, want, bs)
			for _, l := range Available() {
				got := make([]float32, nb*bw+bw)
				got[nb*bw] = 42 // a sentinel past the end
				tables[l].dequant(qt, got[:nb*bw], bs)
				for i, v := range want {
					if math.Float32bits(got[i]) != math.Float32bits(v) {
						t.Fatalf("%s %s nb=%d: element %d = %g, want %g", l, qt, nb, i, got[i], v)
					}
				}
				if got[nb*bw] != 42 {
					t.Fatalf("%s %s nb=%d: wrote past dst", l, qt, nb)
				}
			}
		}
	}
}

// TestGemmQPromptExact checks the quantised prompt path of every bf16 GEMM
// level against its Go twin bit for bit, on awkward m, n and block counts,
// one and two threads, on the tile kernel and (from bf16PackedMinM rows)
// the packed one; and the twin against dequantise-then-float32 within the
// bf16 rounding of x and the weights.
func TestGemmQPromptExact(t *testing.T) {
	_, krs := bf16GemmLevels()
	r := testutil.RNG(46)
	for _, qt := range allQTypes {
		pm := bf16PackedMinM
		shapes := [][3]int{{5, 1, 32}, {7, 3, 64}, {15, 65, 96}, {17, 129, 32}, {33, 7, 1056}, {6, 130, 2080},
			{pm, 1, 32}, {pm + 1, 67, 544}, {pm + 7, 129, 1056}}
		if qt.BlockWeights() != QBlock {
			shapes = [][3]int{{5, 1, 256}, {7, 3, 512}, {17, 65, 256}, {6, 130, 2048}, {pm, 3, 256}, {pm + 5, 129, 768}}
		}
		for _, sh := range shapes {
			m, n, k := sh[0], sh[1], sh[2]
			ldx, ldc := k+r.IntN(3), n+r.IntN(3)
			x := testutil.Normal(r, need(m, k, ldx), 1)
			w := randomQMatrix(t, r, qt, n, k)
			twin := make([]float32, need(m, n, ldc))
			gemmQ(qTwin, m, x, ldx, w, twin, ldc, 1)
			deq := make([]float32, n*k)
			Dequantize(qt, deq, w.Blocks)
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					var ref, mag float64
					for p := 0; p < k; p++ {
						tm := float64(x[i*ldx+p]) * float64(deq[j*k+p])
						ref, mag = ref+tm, mag+math.Abs(tm)
					}
					if d := math.Abs(float64(twin[i*ldc+j]) - ref); !(d <= 0x1p-8*mag+float64(k+1)*0x1p-24*mag) {
						t.Fatalf("twin %s m=%d n=%d k=%d: C[%d,%d] = %g, want %g (dequantised, f32)", qt, m, n, k, i, j, twin[i*ldc+j], ref)
					}
				}
			}
			for _, kr := range krs[1:] {
				for _, th := range []int{1, 2} {
					c := make([]float32, len(twin))
					gemmQ(kr, m, x, ldx, w, c, ldc, th)
					for i := 0; i < m; i++ {
						for j := 0; j < n; j++ {
							if got, want := c[i*ldc+j], twin[i*ldc+j]; math.Float32bits(got) != math.Float32bits(want) {
								t.Fatalf("%s/%dT %s m=%d n=%d k=%d: C[%d,%d] = %g, twin %g", kr.level, th, qt, m, n, k, i, j, got, want)
							}
						}
					}
				}
			}
		}
	}
}

// FuzzDequant feeds raw block bytes (any scale) to every level's
// dequantisation: bit for bit Dequantize's, NaN for NaN (VCVTPH2PS quiets
// a signalling NaN scale; F16ToF32 keeps its payload).
func FuzzDequant(f *testing.F) {
	f.Add(uint8(0), []byte("\x00\x3c\x01\x02\x03\xff\x80\x7f"))
	f.Add(uint8(1), []byte("\x01\x00\x11\x22\x33\xf0\x0f"))
	f.Fuzz(func(t *testing.T, typ uint8, data []byte) {
		qt := allQTypes[typ%4]
		nb := min(len(data)/qt.BlockBytes(), 64)
		bs := data[:nb*qt.BlockBytes()]
		want := make([]float32, nb*qt.BlockWeights())
		Dequantize(qt, want, bs)
		for _, l := range Available() {
			got := make([]float32, len(want))
			tables[l].dequant(qt, got, bs)
			for i, v := range want {
				if v != v && got[i] != got[i] {
					continue
				}
				if math.Float32bits(got[i]) != math.Float32bits(v) {
					t.Fatalf("%s %s nb=%d: element %d = %g (%#x), want %g (%#x)", l, qt, nb, i, got[i], math.Float32bits(got[i]), v, math.Float32bits(v))
				}
			}
		}
		checkDequantBF16(t, qt, bs)
	})
}

// dequantBF16Generic is the twin of the dequantBF16 kernels: Dequantize,
// then F32ToBF16.
func dequantBF16Generic(t QType, dst []uint16, src []byte) {
	f := make([]float32, len(dst))
	Dequantize(t, f, src)
	f32ToBF16Generic(dst, f)
}

// checkDequantBF16 runs every level's dequantBF16 kernel of qt on the
// blocks bs against the twin, bit for bit (NaN for NaN), checks that it
// writes nothing past the blocks' weights, and checks the twin against the
// float64 product d·q within bf16's rounding.
func checkDequantBF16(t *testing.T, qt QType, bs []byte) {
	t.Helper()
	nw := len(bs) / qt.BlockBytes() * qt.BlockWeights()
	want := make([]uint16, nw)
	dequantBF16Generic(qt, want, bs)
	f := make([]float32, nw)
	Dequantize(qt, f, bs) // d·q, exact in float32 (an f16 times a byte)
	for i, v := range f {
		if w := float64(BF16ToF32(want[i])); v == v && w != float64(v) && !(math.Abs(w-float64(v)) <= 0x1p-8*math.Abs(float64(v))) {
			t.Fatalf("twin %s: element %d = %g, want %g (float64)", qt, i, w, v)
		}
	}
	isNaN := func(h uint16) bool { return h&0x7fff > 0x7f80 }
	for _, l := range Available() {
		k := tables[l].dequantBF16[qt]
		if k == nil {
			continue
		}
		got := make([]uint16, nw+1)
		got[nw] = 0x1234 // a sentinel past the end
		k(got[:nw], bs)
		for i, v := range want {
			if got[i] != v && !(isNaN(got[i]) && isNaN(v)) {
				t.Fatalf("%s %s: element %d = %#04x, twin %#04x", l, qt, i, got[i], v)
			}
		}
		if got[nw] != 0x1234 {
			t.Fatalf("%s %s: wrote past dst", l, qt)
		}
	}
}

// TestDequantBF16 checks the dequantisation-to-bf16 kernels against their
// twin on awkward block counts: quantised blocks at scales from subnormal
// halves up, and raw bytes (any scale: NaN, Inf).
func TestDequantBF16(t *testing.T) {
	r := testutil.RNG(47)
	for _, qt := range []QType{Q8_0, Q4_0} {
		for _, nb := range []int{0, 1, 2, 3, 7, 15, 17, 31, 33, 64} {
			x := testutil.Normal(r, nb*QBlock, math.Ldexp(1, r.IntN(40)-30))
			bs := make([]byte, nb*qt.BlockBytes())
			Quantize(qt, bs, x)
			checkDequantBF16(t, qt, bs)
			for i := range bs {
				bs[i] = byte(r.Uint32())
			}
			checkDequantBF16(t, qt, bs)
		}
	}
}
