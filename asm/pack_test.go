package asm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
)

// packCase is one call of a packing primitive: packT (transpose `rows`
// source rows into `lanes` of each w-float destination row) or packC (copy
// kc source rows of `rows` values into w-float destination rows), on float32
// or bfloat16 source, with source and destination offsets so the kernels
// see every alignment.
type packCase struct {
	trans, bf16            bool
	w, lanes, rows, kc, ld int
	srcOff, dstOff         int
}

func (c packCase) String() string {
	return fmt.Sprintf("trans=%v bf16=%v w=%d lanes=%d rows=%d kc=%d ld=%d off=%d/%d",
		c.trans, c.bf16, c.w, c.lanes, c.rows, c.kc, c.ld, c.srcOff, c.dstOff)
}

// srcLen is the number of source elements the case reads.
func (c packCase) srcLen() int {
	if c.trans {
		return need(c.rows, c.kc, c.ld)
	}
	return need(c.kc, c.rows, c.ld)
}

// run packs with the packing primitives of kernel table kr and checks
// every destination float against the definition; floats the call must not
// write (lanes ≥ `lanes` in packT, everything outside the kc rows) must keep
// their NaN sentinel. It returns "" or the first difference. Transposes
// wider than kr.packTMax are not the level's to take: "" without a call.
func (c packCase) run(r *rand.Rand, kr *kernels) string {
	if c.trans && kr.packTMax > 0 && c.lanes > kr.packTMax {
		return ""
	}
	n := c.srcOff + c.srcLen() + 16
	src := testutil.Uniform(r, n)
	var src16 []uint16
	if c.bf16 {
		src16 = make([]uint16, n)
		for i, v := range src {
			src16[i] = F32ToBF16(v)
			src[i] = BF16ToF32(src16[i])
		}
	}
	nan := float32(math.NaN())
	buf := make([]float32, c.dstOff+c.kc*c.w+2*guard)
	for i := range buf {
		buf[i] = nan
	}
	dst := buf[guard+c.dstOff : guard+c.dstOff+c.kc*c.w]
	s, s16 := src[c.srcOff:], []uint16(nil)
	if c.bf16 {
		s16 = src16[c.srcOff:]
	}
	switch {
	case c.trans && !c.bf16:
		kr.packT(dst, c.w, c.lanes, s, c.ld, c.rows, c.kc)
	case c.trans:
		kr.packTBF16(dst, c.w, c.lanes, s16, c.ld, c.rows, c.kc)
	case !c.bf16:
		kr.packC(dst, c.w, s, c.ld, c.rows, c.kc)
	default:
		kr.packCBF16(dst, c.w, s16, c.ld, c.rows, c.kc)
	}
	for i, v := range buf {
		j := i - guard - c.dstOff
		if j < 0 || j >= len(dst) {
			if !math.IsNaN(float64(v)) {
				return fmt.Sprintf("wrote buf[%d] outside the destination", i)
			}
			continue
		}
		p, x := j/c.w, j%c.w
		written := c.lanes
		if !c.trans {
			written = c.w
		}
		var want float32
		switch {
		case x >= written:
			if !math.IsNaN(float64(v)) {
				return fmt.Sprintf("wrote dst[%d*w+%d] beyond the lanes", p, x)
			}
			continue
		case x >= c.rows:
			want = 0
		case c.trans:
			want = s[x*c.ld+p]
		default:
			want = s[p*c.ld+x]
		}
		if math.Float32bits(v) != math.Float32bits(want) {
			return fmt.Sprintf("dst[%d*w+%d] = %g, want %g", p, x, v, want)
		}
	}
	return ""
}

// randomPackCase draws a case with kc in 0..2000 (biased towards multiples
// of 16 ± 1), offsets 0..15 and the panel widths the SGEMM levels use.
func randomPackCase(r *rand.Rand) packCase {
	c := packCase{trans: r.IntN(2) == 0, bf16: r.IntN(3) == 0, srcOff: r.IntN(16), dstOff: r.IntN(16)}
	switch r.IntN(3) {
	case 0:
		c.kc = r.IntN(2001)
	case 1:
		c.kc = max(0, 16*r.IntN(20)+r.IntN(3)-1)
	default:
		c.kc = r.IntN(40)
	}
	widths := []int{12, 16, 32, 4, 6, 8, 1 + r.IntN(32)}
	if c.trans {
		widths = []int{12, 16, 32, 1 + r.IntN(32)}
	}
	c.w = widths[r.IntN(len(widths))]
	c.lanes = c.w
	if c.trans {
		c.lanes = min(c.w, 16)
		if r.IntN(4) == 0 {
			c.lanes = 1 + r.IntN(c.lanes)
		}
	}
	c.rows = c.lanes
	if r.IntN(2) == 0 {
		c.rows = r.IntN(c.lanes + 1)
	}
	inner := c.rows // contiguous extent of a source row
	if c.trans {
		inner = c.kc
	}
	c.ld = max(inner, 1) + r.IntN(3)*r.IntN(40)
	return c
}

// packLevels returns every level's kernel table, the pure-Go one first.
func packLevels() []*kernels {
	var ks []*kernels
	for _, l := range Available() { // Generic first
		ks = append(ks, tables[l])
	}
	return ks
}

// TestPack checks every level's packing primitives (the Go twins, the
// AVX2 transpose, the AVX-512 kernels — whatever this build and CPU have)
// against the definition on 3,000 random cases each.
func TestPack(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 600
	}
	for _, kr := range packLevels() {
		r := testutil.RNG(5)
		for i := 0; i < n; i++ {
			c := randomPackCase(r)
			if msg := c.run(r, kr); msg != "" {
				t.Fatalf("%s: case %d (%v): %s", kr.level, i, c, msg)
			}
		}
	}
}

// TestPackSweep runs every rows/lanes combination of packT and every cols/w
// of packC at kc 0..40, so each tail and row-count branch is taken.
func TestPackSweep(t *testing.T) {
	r := testutil.RNG(9)
	for _, kr := range packLevels() {
		for kc := 0; kc <= 40; kc++ {
			for _, w := range []int{32, 12} {
				for lanes := 1; lanes <= min(w, 16); lanes++ {
					for rows := 0; rows <= lanes; rows++ {
						for _, bf := range []bool{false, true} {
							c := packCase{trans: true, bf16: bf, w: w, lanes: lanes, rows: rows, kc: kc, ld: kc + 3, srcOff: kc % 16, dstOff: rows}
							if msg := c.run(r, kr); msg != "" {
								t.Fatalf("%s: %v: %s", kr.level, c, msg)
							}
						}
					}
				}
			}
			for w := 1; w <= 32; w++ {
				for cols := 0; cols <= w; cols++ {
					c := packCase{bf16: cols%2 == 1, w: w, lanes: w, rows: cols, kc: kc, ld: cols + 1, srcOff: w % 16, dstOff: kc % 16}
					if msg := c.run(r, kr); msg != "" {
						t.Fatalf("%s: %v: %s", kr.level, c, msg)
					}
				}
			}
		}
	}
}

// TestPackT8 checks the AVX2 transpose (lanes 6 and 8, the AVX2 level's
// A panels and Bᵀ half-panels) against the definition: every row count and
// kc 0..40, then 2,000 random cases with kc up to 2000 and offsets 0..15.
func TestPackT8(t *testing.T) {
	kr, ok := tables[AVX2]
	if !ok {
		t.Skip("no AVX2 level in this build or on this CPU")
	}
	r := testutil.RNG(21)
	for kc := 0; kc <= 40; kc++ {
		for _, w := range []int{6, 8, 12, 16} {
			for _, lanes := range []int{6, 8} {
				if lanes > w {
					continue
				}
				for rows := 0; rows <= lanes; rows++ {
					c := packCase{trans: true, w: w, lanes: lanes, rows: rows, kc: kc, ld: kc + 1 + rows, srcOff: kc % 16, dstOff: rows}
					if msg := c.run(r, kr); msg != "" {
						t.Fatalf("%v: %s", c, msg)
					}
				}
			}
		}
	}
	for i := 0; i < 2000; i++ {
		c := randomPackCase(r)
		c.trans, c.bf16 = true, false
		c.lanes = []int{6, 8}[r.IntN(2)]
		c.w = c.lanes + r.IntN(3)*r.IntN(9)
		c.rows = min(c.rows, c.lanes)
		c.ld = max(c.kc, 1) + r.IntN(40)
		if msg := c.run(r, kr); msg != "" {
			t.Fatalf("case %d (%v): %s", i, c, msg)
		}
	}
}

// FuzzPack runs fuzzer-chosen packing cases through the Go twins and the
// AVX-512 and AVX2 kernels (where available and where the case fits them)
// and compares each with the definition.
func FuzzPack(f *testing.F) {
	f.Add(uint16(256), uint8(12), uint8(12), uint8(12), uint8(0), uint8(0), uint8(0), uint64(1))
	f.Add(uint16(17), uint8(32), uint8(16), uint8(5), uint8(3), uint8(7), uint8(1), uint64(2))
	f.Add(uint16(1000), uint8(32), uint8(32), uint8(20), uint8(15), uint8(9), uint8(2), uint64(3))
	f.Add(uint16(3), uint8(6), uint8(6), uint8(0), uint8(1), uint8(2), uint8(3), uint64(4))
	f.Fuzz(func(t *testing.T, kc uint16, w, lanes, rows, srcOff, dstOff, flags uint8, seed uint64) {
		c := packCase{trans: flags&1 != 0, bf16: flags&2 != 0, kc: int(kc) % 2001,
			w: 1 + int(w)%32, srcOff: int(srcOff) % 16, dstOff: int(dstOff) % 16}
		c.lanes = c.w
		if c.trans {
			c.lanes = 1 + int(lanes)%min(c.w, 16)
		}
		c.rows = int(rows) % (c.lanes + 1)
		inner := c.rows
		if c.trans {
			inner = c.kc
		}
		c.ld = max(inner, 1) + int(flags>>2)
		for _, kr := range packLevels() {
			if msg := c.run(testutil.RNG(seed), kr); msg != "" {
				t.Fatalf("%s: %v: %s", kr.level, c, msg)
			}
		}
	})
}
