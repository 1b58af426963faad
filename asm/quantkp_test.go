package asm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
)

// forcePack packs w whatever the active level (Repack packs only for a
// level with packed kernels; the layout and its twin work on every level).
func forcePack(w *QMatrix) {
	w.Blocks, w.packed = packK(w.Type, w.Rows, w.Cols, w.Blocks), true
}

// kdotPTwins holds kdotPGeneric of each type with a packed layout.
var kdotPTwins = [qTypes]kdotPKernel{Q4_K: kdotPGeneric(Q4_K), Q6_K: kdotPGeneric(Q6_K), Q8_0: kdotPGeneric(Q8_0)}

// rawKBlocks returns the blocks of n·256 random weights of qt (n K blocks,
// 8n Q8_0 blocks): quantised normal weights with a random scale, or (raw)
// random bytes, every bit pattern.
func rawKBlocks(r *rand.Rand, qt QType, n int, raw bool) []byte {
	bs := make([]byte, n*kpRowBytes(qt))
	if raw {
		for i := range bs {
			bs[i] = byte(r.Uint32())
		}
		return bs
	}
	Quantize(qt, bs, testutil.Normal(r, n*256, math.Pow(10, float64(r.IntN(5)-3))))
	return bs
}

// TestKPackRoundTrip checks that packing then unpacking gives the blocks
// back byte for byte (quantised weights and raw bytes: every bit is kept),
// row by row (rowBlocks, as DequantizeRows and the prompt path read them)
// and whole (Unpack), that the packed size is packedLen, and that
// DequantizeRows gives the same floats on either layout.
func TestKPackRoundTrip(t *testing.T) {
	forEachLevel(t, testKPackRoundTrip)
}

func testKPackRoundTrip(t *testing.T) {
	r := testutil.RNG(51)
	for _, qt := range kpTypes {
		for _, rows := range []int{1, 3, 7, 15, 16, 17, 31, 33, 48, 70} {
			for _, nb := range []int{1, 2, 3, 9} {
				for _, raw := range []bool{false, true} {
					cols := 256 * nb
					orig := rawKBlocks(r, qt, rows*nb, raw)
					w, err := NewQMatrix(qt, rows, cols, bytes.Clone(orig))
					if err != nil {
						t.Fatal(err)
					}
					want := make([]float32, rows*cols)
					w.DequantizeRows(want, 0, rows)
					forcePack(w)
					if len(w.Blocks) != packedLen(qt, rows, cols) || !w.Packed() {
						t.Fatalf("%s %d×%d: packed %d bytes, want %d", qt, rows, cols, len(w.Blocks), packedLen(qt, rows, cols))
					}
					rb := w.rowBytes()
					r0 := r.IntN(rows)
					r1 := r0 + 1 + r.IntN(rows-r0)
					if got := w.rowBlocks(nil, r0, r1); !bytes.Equal(got, orig[r0*rb:r1*rb]) {
						t.Fatalf("%s %d×%d raw=%v: rows %d..%d unpacked differ", qt, rows, cols, raw, r0, r1)
					}
					got := make([]float32, rows*cols)
					w.DequantizeRows(got[r0*cols:r1*cols], r0, r1)
					for i := r0 * cols; i < r1*cols; i++ {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%s %d×%d: packed DequantizeRows[%d] = %g, want %g", qt, rows, cols, i, got[i], want[i])
						}
					}
					w.Unpack()
					if w.Packed() || !bytes.Equal(w.Blocks, orig) {
						t.Fatalf("%s %d×%d raw=%v: Unpack differs from the stored blocks", qt, rows, cols, raw)
					}
				}
			}
		}
	}
}

// TestKPUnits checks every level's kpUnits kernel against its twin on
// random bytes, row strides from the tightest up, the bytes between the
// rows left untouched.
func TestKPUnits(t *testing.T) {
	r := testutil.RNG(55)
	for _, l := range Available() {
		f := tables[l].kpUnits
		if f == nil {
			continue
		}
		for _, pad := range []int{0, 4, 77} {
			ds := 4*kp4Units + pad
			src := make([]byte, 64*kp4Units)
			for i := range src {
				src[i] = byte(r.Uint32())
			}
			want, got := make([]byte, kpRows*ds), make([]byte, kpRows*ds)
			for i := range want {
				want[i] = byte(i)
				got[i] = byte(i)
			}
			kpUnitsGeneric(want, ds, src)
			f(got, ds, src)
			if !bytes.Equal(got, want) {
				t.Fatalf("%s ds=%d: units differ from the twin", l, ds)
			}
		}
	}
}

// kpPanelRef is the float64 reference of a packed super-block's weight n
// of row r (for the stored blocks blk): (d·sc)·q − dmin·mn for Q4_K,
// (d·sc)·(q − 32) for Q6_K, d·q for Q8_0, from the block's bytes as the format defines
// them.
func kpPanelRef(t QType, blk []byte, n int) float64 {
	le := binary.LittleEndian
	if t == Q4_K {
		d, dmin := float64(F16ToF32(le.Uint16(blk))), float64(F16ToF32(le.Uint16(blk[2:])))
		g := n / 32
		sc, mn := k4Scale(g, blk[4:16])
		q := blk[16+32*(g/2)+n%32] >> (4 * (g % 2)) & 15
		return d*float64(sc)*float64(q) - dmin*float64(mn)
	}
	if t == Q8_0 {
		b := blk[34*(n/32):]
		return float64(F16ToF32(le.Uint16(b))) * float64(int8(b[2+n%32]))
	}
	h, u, l := n/128, n%128/32, n%32
	lo := blk[64*h+l+32*(u&1)] >> (4 * (u / 2)) & 15
	hi := blk[128+32*h+l] >> (2 * u) & 3
	d := float64(F16ToF32(le.Uint16(blk[208:])))
	return d * float64(int8(blk[192+n/16])) * float64(int(lo|hi<<4)-32)
}

// kpCase is kCase for the packed layout: x of nb·256 values and the
// stored blocks of nb·256 weights, followed by 256 more whose last block
// has a NaN scale (poison that no kernel may read).
func kpCase(r *rand.Rand, qt QType, nb int) (x []float32, blocks []byte) {
	if qt != Q8_0 {
		return kCase(r, qt, nb)
	}
	x, blocks = kCase(r, qt, 8*nb+7)
	return x[:256*nb], blocks
}

// TestKPPanel checks every level's kpPanel kernels against the twin bit
// for bit (quantised weights and raw bytes: NaN, Inf, subnormal halves), 1
// to 4 groups of 1 to 3 super-blocks with padding between the groups, the
// panel's other columns and the bytes past it untouched; and the twin on
// quantised weights against the float64 dequantisation within bf16's
// rounding.
func TestKPPanel(t *testing.T) {
	r := testutil.RNG(56)
	for _, qt := range kpTypes {
		pb, bb := kpBytes(qt), kpRowBytes(qt)
		for ng := 1; ng <= 4; ng++ {
			for nb := 1; nb <= 3; nb++ {
				for _, raw := range []bool{false, true} {
					pad := r.IntN(3) * 64
					gs := nb*pb + pad
					stored := rawKBlocks(r, qt, ng*kpRows*nb, raw)
					src := make([]byte, (ng-1)*gs+nb*pb)
					for s := range ng {
						copy(src[s*gs:], packK(qt, kpRows, 256*nb, stored[s*kpRows*nb*bb:(s+1)*kpRows*nb*bb]))
					}
					want := checkKPPanel(t, qt, src, gs, nb, ng)
					if raw {
						continue
					}
					for s := range ng {
						for j := range kpRows {
							blk := stored[(s*kpRows+j)*nb*bb:]
							for b := range nb {
								for n := range 256 {
									ref := kpPanelRef(qt, blk[b*bb:], n)
									got := float64(BF16ToF32(want[2*((128*b+n/2)*bf16NNNR+16*s+j)+n%2]))
									if d := math.Abs(got - ref); d > 0x1p-8*math.Abs(ref)+1e-30 {
										t.Fatalf("%s ng=%d nb=%d: twin row %d weight %d = %g, want %g", qt, ng, nb, 16*s+j, 256*b+n, got, ref)
									}
								}
							}
						}
					}
				}
			}
		}
	}
}

// checkKPPanel checks every level's kpPanel kernel of qt on ng groups at
// src (gs bytes apart, nb super-blocks each) against the twin bit for bit,
// the elements it does not write (the other columns, past the panel) kept,
// and returns the twin's panel.
func checkKPPanel(t *testing.T, qt QType, src []byte, gs, nb, ng int) []uint16 {
	t.Helper()
	size := 2*128*nb*bf16NNNR + 40
	fill := func() []uint16 {
		p := make([]uint16, size)
		for i := range p {
			p[i] = uint16(i*7919 + 1)
		}
		return p
	}
	want := fill()
	kpPanelGeneric(qt)(want, src, gs, nb, ng)
	for _, l := range Available() {
		f := tables[l].kpPanel[qt]
		if f == nil {
			continue
		}
		got := fill()
		f(got, src, gs, nb, ng)
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s %s ng=%d nb=%d: element %d = %#04x, twin %#04x", l, qt, ng, nb, i, got[i], want[i])
			}
		}
	}
	return want
}

// kdotPKernels returns the packed kernels of t to check: the twin and
// every level's.
func kdotPKernels(t QType) map[string]kdotPKernel {
	ks := map[string]kdotPKernel{"twin": kdotPTwins[t]}
	for _, l := range Available() {
		if f := tables[l].kdotP[t]; f != nil {
			ks[l.String()] = f
		}
	}
	return ks
}

// checkKDotP runs every packed kernel of qt on the packed group p (nb
// super-blocks) against the twin, bit for bit (NaN matching NaN), and
// returns the twin's results.
func checkKDotP(t *testing.T, qt QType, a *qActs, p []byte, nb int) []float32 {
	t.Helper()
	want := make([]float32, kpRows)
	kdotPTwins[qt](a, p, nb, want)
	for name, f := range kdotPKernels(qt) {
		got := make([]float32, kpRows+1)
		got[kpRows] = 42
		f(a, p, nb, got)
		for r := range kpRows {
			if math.Float32bits(got[r]) != math.Float32bits(want[r]) && !(got[r] != got[r] && want[r] != want[r]) {
				t.Fatalf("%s %s nb=%d row %d: %g, twin %g", name, qt, nb, r, got[r], want[r])
			}
		}
		if got[kpRows] != 42 {
			t.Fatalf("%s %s nb=%d: wrote past the 16 results", name, qt, nb)
		}
	}
	return want
}

// checkKDotP4 runs every level's four-group packed kernel of qt on four
// groups ld bytes apart in buf against the one-group twin on each, bit for
// bit, the results os floats apart (the floats between left untouched).
func checkKDotP4(t *testing.T, qt QType, a *qActs, buf []byte, ld, nb int) {
	t.Helper()
	pb := kpBytes(qt)
	for _, l := range Available() {
		f := tables[l].kdotP4[qt]
		if f == nil {
			continue
		}
		const os = kpRows + 3
		got := make([]float32, 4*os)
		for i := range got {
			got[i] = 42
		}
		f(a, buf, ld, nb, got, os)
		for s := range 4 {
			want := make([]float32, kpRows)
			kdotPTwins[qt](a, buf[s*ld:s*ld+nb*pb], nb, want)
			for r := range os {
				g := got[s*os+r]
				if r >= kpRows {
					if g != 42 {
						t.Fatalf("%s %s nb=%d: wrote between the groups' results", l, qt, nb)
					}
					continue
				}
				if math.Float32bits(g) != math.Float32bits(want[r]) && !(g != g && want[r] != want[r]) {
					t.Fatalf("%s %s four groups nb=%d group %d row %d: %g, twin %g", l, qt, nb, s, r, g, want[r])
				}
			}
		}
	}
}

// TestKDotP checks the packed int8 kernels: every level's against the twin
// bit for bit, and the twin against the float64 dot of each row with its
// dequantised weights within kRef's bound, on awkward super-block counts,
// the group followed by poison (NaN-scaled super-blocks) that no kernel may
// read.
func TestKDotP(t *testing.T) {
	r := testutil.RNG(52)
	for _, qt := range kpTypes {
		bb := kpRowBytes(qt)
		for _, nb := range []int{0, 1, 2, 3, 5, 8, 17, 33} {
			for rep := 0; rep < 3; rep++ {
				x, _ := kpCase(r, qt, nb)
				var a qActs
				quantizeActs(qt, &a, x)
				rows := make([][]byte, kpRows)
				stored := make([]byte, 0, kpRows*(nb+1)*bb)
				for i := range rows {
					_, rows[i] = kpCase(r, qt, nb) // nb super-blocks and a poisoned one
					stored = append(stored, rows[i]...)
				}
				p := packK(qt, kpRows, 256*(nb+1), stored)
				// Keep super-blocks 0..nb-1 of the group, then the poison.
				pb := kpBytes(qt)
				grp := make([]byte, 0, (nb+1)*pb)
				for b := 0; b <= nb; b++ {
					grp = append(grp, p[b*pb:(b+1)*pb]...)
				}
				got := checkKDotP(t, qt, &a, grp, nb)
				// Four groups with a gap of poison between them: this
				// group and three with rotated rows.
				ld := (nb + 1 + rep) * pb
				buf := make([]byte, 3*ld+len(grp))
				for s := range 4 {
					rot := append(append([]byte(nil), stored[s*(nb+1)*bb:]...), stored[:s*(nb+1)*bb]...)
					g4 := packK(qt, kpRows, 256*(nb+1), rot)
					copy(buf[s*ld:], g4[:nb*pb])
					for b := nb; s*ld+b*pb < len(buf) && b < nb+1+rep; b++ {
						copy(buf[s*ld+b*pb:], grp[nb*pb:])
					}
				}
				checkKDotP4(t, qt, &a, buf, ld, nb)
				for i, row := range rows {
					ref, bound := kRef(qt, x, row, &a, 256*nb/qt.BlockWeights())
					if d := math.Abs(float64(got[i]) - ref); !(d <= bound) {
						t.Fatalf("twin %s nb=%d row %d: %g, want %g (bound %g)", qt, nb, i, got[i], ref, bound)
					}
				}
			}
		}
	}
}

// TestSgemmQPacked checks SgemmQ on packed matrices on every level:
// decoding steps (up to bf16MaxM rows of X) on the packed kernels against
// the float64 product with the dequantised weights (within the int8
// kernels' bound), prompts and the levels without packed kernels bit for
// bit against the same matrix unpacked (they multiply the same blocks the
// same way; prompts widened from the packed groups, kpPanel, as the stored
// layout's rows on the packed bf16 kernel), on row counts that are not multiples of the 16-row groups, one
// and two threads; C's padding must stay untouched.
func TestSgemmQPacked(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := testutil.RNG(53)
		for _, th := range []int{1, 2} {
			defer SetThreads(th)()
			for _, qt := range kpTypes {
				for _, sh := range [][3]int{{1, 1, 256}, {1, 3, 512}, {2, 7, 256}, {1, 16, 256}, {4, 17, 768}, {1, 33, 1024}, {3, 47, 256}, {1, 130, 2048}, {5, 65, 256}, {9, 33, 512},
					{64, 16, 256}, {70, 48, 512}, {65, 80, 768}, {66, 130, 256}, {64, 33, 512}} {
					m, n, k := sh[0], sh[1], sh[2]
					ldx, ldc := k+r.IntN(3), n+1+r.IntN(3)
					x := testutil.Normal(r, need(m, k, ldx), 1)
					w := randomQMatrix(t, r, qt, n, k)
					deq := make([]float32, n*k)
					w.DequantizeRows(deq, 0, n)
					stored := bytes.Clone(w.Blocks)
					want := make([]float32, need(m, n, ldc))
					// A packed matrix's prompt runs on the packed bf16
					// kernel from any number of rows where the level widens
					// packed groups (kpPanel): the stored one's product
					// from as many rows.
					minM := bf16PackedMinM
					if cur.kpPanel[qt] != nil {
						bf16PackedMinM = bf16MaxM + 1
					}
					SgemmQ(m, x, ldx, w, want, ldc)
					bf16PackedMinM = minM
					forcePack(w)
					c := make([]float32, need(m, n, ldc)+1)
					for i := range c {
						c[i] = float32(math.NaN())
					}
					SgemmQ(m, x, ldx, w, c, ldc)
					for i := 0; i < m; i++ {
						var a qActs
						quantizeActs(qt, &a, x[i*ldx:i*ldx+k])
						for j := 0; j < ldc && i*ldc+j < len(c); j++ {
							got := c[i*ldc+j]
							if j >= n {
								if got == got {
									t.Fatalf("%s m=%d n=%d k=%d: wrote padding C[%d,%d]", qt, m, n, k, i, j)
								}
								continue
							}
							if m > bf16MaxM || cur.kdotP[qt] == nil {
								if math.Float32bits(got) != math.Float32bits(want[i*ldc+j]) {
									t.Fatalf("%s threads=%d m=%d n=%d k=%d: C[%d,%d] = %g packed, %g stored", qt, th, m, n, k, i, j, got, want[i*ldc+j])
								}
								continue
							}
							var ref, mag float64
							for p := 0; p < k; p++ {
								tm := float64(x[i*ldx+p]) * float64(deq[j*k+p])
								ref, mag = ref+tm, mag+math.Abs(tm)
							}
							nb := k / qt.BlockWeights()
							_, kb := kRef(qt, x[i*ldx:], stored[j*w.rowBytes():], &a, nb)
							if d := math.Abs(float64(got) - ref); !(d <= kb+qBound(qt, nb, mag)) {
								t.Fatalf("%s threads=%d m=%d n=%d k=%d: C[%d,%d] = %g, want %g", qt, th, m, n, k, i, j, got, ref)
							}
						}
					}
				}
			}
		}
	})
}

// TestRepack checks that Repack packs exactly when the active level has
// packed kernels for the type and the matrix has a whole group of rows.
func TestRepack(t *testing.T) {
	r := testutil.RNG(54)
	for _, qt := range allQTypes {
		for _, n := range []int{15, 16} {
			w := randomQMatrix(t, r, qt, n, 256)
			want := cur.kdotP[qt] != nil && n >= kpRows
			if got := w.Repack(); got != want || w.Packed() != want {
				t.Fatalf("%s %d rows on %s: Repack = %v, want %v", qt, n, cur.level, got, want)
			}
		}
	}
}

// FuzzKDotP fuzzes the packed layout and kernels on raw block bytes (any
// scales, NaN, Inf, subnormal halves; any mins and nibbles) and
// activations of any magnitude: pack then unpack gives the bytes back, and
// every level's packed kernel and panel widening equal their twins bit for
// bit.
func FuzzKDotP(f *testing.F) {
	f.Add(uint8(0), make([]byte, 144*16), int64(1), 0.0)
	f.Add(uint8(1), make([]byte, 210*16), int64(2), 3.0)
	f.Add(uint8(0), bytes.Repeat([]byte("\xff\x7b\x00\x7c\x3f\xff\x80\x11"), 600), int64(3), -30.0)
	f.Add(uint8(1), bytes.Repeat([]byte("\x00\x7c\x11\x22\x33\x00\xfc"), 1000), int64(5), 1.0)
	f.Add(uint8(2), bytes.Repeat([]byte("\x00\x7c\x81\x7f\x33\x00\xfc\x01\x3c"), 1000), int64(7), -2.0)
	f.Fuzz(func(t *testing.T, typ uint8, data []byte, seed int64, e float64) {
		qt := kpTypes[int(typ)%len(kpTypes)]
		nb := min(len(data)/(kpRows*kpRowBytes(qt)), 4)
		if nb == 0 {
			return
		}
		if e != e || math.Abs(e) > 40 {
			e = 0
		}
		stored := data[:kpRows*nb*kpRowBytes(qt)]
		p := packK(qt, kpRows, 256*nb, stored)
		w := &QMatrix{Type: qt, Rows: kpRows, Cols: 256 * nb, Blocks: p, packed: true}
		if !bytes.Equal(w.rowBlocks(nil, 0, kpRows), stored) {
			t.Fatalf("%s nb=%d: unpacked blocks differ", qt, nb)
		}
		x := testutil.Normal(testutil.RNG(uint64(seed)), 256*nb, math.Pow(10, e))
		var a qActs
		quantizeActs(qt, &a, x)
		checkKDotP(t, qt, &a, p, nb)
		// Four groups: this one and three with its rows rotated.
		buf := make([]byte, 0, 4*len(p))
		for s := range 4 {
			off := s * nb * kpRowBytes(qt)
			rot := append(append([]byte(nil), stored[off:]...), stored[:off]...)
			buf = append(buf, packK(qt, kpRows, 256*nb, rot)...)
		}
		checkKDotP4(t, qt, &a, buf, len(p), nb)
		checkKPPanel(t, qt, p, len(p), nb, 1)
		checkKPPanel(t, qt, buf, len(p), nb, 4)
	})
}

// BenchmarkKDotP is BenchmarkKDot's decoding matvec (m = 1, 2048×8192 from
// DRAM through gemvCopies copies, 1 and 2 threads) on the packed layout
// (packed) against the stored one's four-row int8 kernels (int8x4), the two
// alternating per copy set; on one thread also per thread CPU-second.
func BenchmarkKDotP(b *testing.B) {
	const n, k = 2048, 8192
	r := testutil.RNG(1)
	x := testutil.Uniform(r, k)
	c := make([]float32, n)
	for _, qt := range kpTypes {
		if cur.kdotP[qt] == nil {
			b.Skipf("no packed %s kernel on %s", qt, cur.level)
		}
		ws := make([]*QMatrix, gemvCopies)
		ps := make([]*QMatrix, gemvCopies)
		for i := range ws {
			ws[i] = randomQMatrix(b, r, qt, n, k)
			ps[i] = &QMatrix{Type: qt, Rows: n, Cols: k, Blocks: bytes.Clone(ws[i].Blocks)}
			ps[i].Repack()
		}
		for _, th := range []int{1, 2} {
			for _, mode := range []string{"int8x4", "packed"} {
				b.Run(fmt.Sprintf("%s/%s/t%d", qt, mode, th), func(b *testing.B) {
					defer SetThreads(th)()
					set := ws
					if mode == "packed" {
						set = ps
					}
					benchGemvQ(b, x, set, c, k, n, th)
				})
			}
		}
	}
}

// BenchmarkKDotPKernel is the packed four-group kernel alone (kdotP4 on
// the four groups of a 64×8192 matrix, in L2, the activations quantised
// once, one thread, GB of weights per thread CPU-second): its instruction
// throughput, without BenchmarkKDotPL2's quantisation of the activations
// per call (a third of that benchmark's time at this size), to set
// against the read probe's rate.
func BenchmarkKDotPKernel(b *testing.B) {
	const n, k = 64, 8192
	r := testutil.RNG(2)
	for _, qt := range kpTypes {
		b.Run(qt.String(), func(b *testing.B) {
			w := randomQMatrix(b, r, qt, n, k)
			if !w.Repack() {
				b.Skipf("no packed %s kernel on %s", qt, cur.level)
			}
			var a qActs
			quantizeActs(qt, &a, testutil.Uniform(r, k))
			c := make([]float32, n)
			nb := k / 256
			kp4 := cur.kdotP4[qt]
			b.SetBytes(int64(len(w.Blocks)))
			clk := startCPU()
			for i := 0; i < b.N; i++ {
				kp4(&a, w.Blocks, nb*kpBytes(qt), nb, c, kpRows)
			}
			if t, ok := threadCPU(); ok && t > clk.t0 {
				b.ReportMetric(float64(len(w.Blocks))*float64(b.N)/(t-clk.t0).Seconds()/1e9, "GB/cpu-s")
			}
			runtime.UnlockOSThread()
		})
	}
}

// BenchmarkKDotPL2 is BenchmarkKDotL2 (64×8192, in L2, one thread, GB of
// weights per thread CPU-second) on the stored layout's kernels and the
// packed ones, alternating: the kernels' instruction throughput apart from
// DRAM.
func BenchmarkKDotPL2(b *testing.B) {
	const n, k = 64, 8192
	r := testutil.RNG(2)
	x := testutil.Uniform(r, k)
	c := make([]float32, n)
	for _, qt := range kpTypes {
		w := randomQMatrix(b, r, qt, n, k)
		p := &QMatrix{Type: qt, Rows: n, Cols: k, Blocks: bytes.Clone(w.Blocks)}
		if !p.Repack() {
			b.Skipf("no packed %s kernel on %s", qt, cur.level)
		}
		for _, mode := range []string{"int8x4", "packed"} {
			b.Run(qt.String()+"/"+mode, func(b *testing.B) {
				defer SetThreads(1)()
				m := w
				if mode == "packed" {
					m = p
				}
				b.SetBytes(m.Bytes())
				clk := startCPU()
				for i := 0; i < b.N; i++ {
					SgemmQ(1, x, k, m, c, n)
				}
				if t, ok := threadCPU(); ok && t > clk.t0 {
					b.ReportMetric(float64(m.Bytes())*float64(b.N)/(t-clk.t0).Seconds()/1e9, "GB/cpu-s")
				}
				runtime.UnlockOSThread()
			})
		}
	}
}
