package asm

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/llink-go/llink/internal/race"
	"github.com/llink-go/llink/internal/testutil"
)

// The fused bf16 matvec kernels of every level against a float64 reference
// and the Go twin, on every k in 0..2000, every start offset,
// m = 1..4 rows of x and a few rows of B with padded strides. Every operand
// sits in a buffer of NaN sentinels, so a read past any row end poisons a
// result and a write outside C overwrites a sentinel.

// bf16NaN is a quiet bf16 NaN (the sentinel of B's buffer).
const bf16NaN = 0x7fc1

// bf16Case is one kernel call's operands.
type bf16Case struct {
	m, n, k, ldx, ldb, ldc int
	x, c, cbuf             []float32
	b, bbuf                []uint16
	cOff                   int
}

// newBF16Case draws x (normal) and B (normal, rounded to bf16) at element
// offset off inside NaN-filled buffers, and a NaN-filled C.
func newBF16Case(r *rand.Rand, m, n, k, off int) *bf16Case {
	g := &bf16Case{m: m, n: n, k: k, ldx: k + r.IntN(3), ldb: k + r.IntN(3), ldc: n + r.IntN(3)}
	nan := float32(math.NaN())
	xbuf := make([]float32, off+need(m, k, g.ldx)+vecGuard)
	for i := range xbuf {
		xbuf[i] = nan
	}
	g.x = xbuf[off : off+need(m, k, g.ldx)]
	g.bbuf = make([]uint16, vecGuard+off+need(n, k, g.ldb)+vecGuard)
	for i := range g.bbuf {
		g.bbuf[i] = bf16NaN
	}
	g.b = g.bbuf[vecGuard+off : vecGuard+off+need(n, k, g.ldb)]
	for i := 0; i < m; i++ {
		copy(g.x[i*g.ldx:i*g.ldx+k], testutil.Normal(r, k, 1))
	}
	for j := 0; j < n; j++ {
		for p, v := range testutil.Normal(r, k, 1) {
			g.b[j*g.ldb+p] = F32ToBF16(v)
		}
	}
	g.cOff = vecGuard + (off*7+3)%16
	g.cbuf = make([]float32, g.cOff+need(m, n, g.ldc)+vecGuard)
	for i := range g.cbuf {
		g.cbuf[i] = nan
	}
	g.c = g.cbuf[g.cOff : g.cOff+need(m, n, g.ldc)]
	return g
}

func (g *bf16Case) run(f bf16mvKernel) {
	f(g.m, g.n, g.k, g.x, g.ldx, g.b, g.ldb, g.c, g.ldc)
}

// check compares C with the float64 reference (any summation order of k
// products is within (k+1)·u·Σ|terms|) and, when twin is not nil, with the
// twin's C under the same bound twice over; it also checks that only the
// m×n elements of C were written. With dot set (a bf16 dot-product level),
// the reference rounds x to bf16 as the kernel does (bf16Operand).
func (g *bf16Case) check(twin []float32, dot bool) string {
	u := math.Ldexp(1, -24)
	for idx, v := range g.cbuf {
		i, j := (idx-g.cOff)/max(g.ldc, 1), (idx-g.cOff)%max(g.ldc, 1)
		inC := idx >= g.cOff && idx < g.cOff+len(g.c) && j < g.n
		if !inC {
			if v == v {
				return fmt.Sprintf("wrote outside C: cbuf[%d] = %g", idx, v)
			}
			continue
		}
		var ref, mag float64
		for p := 0; p < g.k; p++ {
			t := bf16Operand(g.x[i*g.ldx+p], dot) * float64(BF16ToF32(g.b[j*g.ldb+p]))
			ref, mag = ref+t, mag+math.Abs(t)
		}
		bound := float64(g.k+1) * u * mag
		if d := math.Abs(float64(v) - ref); v != v || d > bound {
			return fmt.Sprintf("C[%d,%d] = %g, want %g (bound %g)", i, j, v, ref, bound)
		}
		if twin != nil {
			w := twin[idx-g.cOff]
			if d := math.Abs(float64(v) - float64(w)); d > 2*bound {
				return fmt.Sprintf("C[%d,%d] = %g, twin %g (bound %g)", i, j, v, w, 2*bound)
			}
		}
	}
	return ""
}

// bf16Ks is the k sweep: every k in 0..2000 (vecLengths in -short mode).
func bf16Ks() []int {
	if testing.Short() {
		return vecLengths()
	}
	ks := make([]int, 2001)
	for k := range ks {
		ks[k] = k
	}
	return ks
}

func TestBF16MatVec(t *testing.T) {
	gen := tables[Generic]
	for _, l := range Available() {
		kr := tables[l]
		t.Run(l.String(), func(t *testing.T) {
			r := testutil.RNG(21)
			for _, k := range bf16Ks() {
				for _, off := range vecOffsets() {
					m := 1 + (k+off)%bf16MaxM
					n := 1 + (k*3+off)%4
					g := newBF16Case(r, m, n, k, off)
					g.run(gen.bf16mv)
					twin := append([]float32(nil), g.c...)
					for i := range g.c {
						g.c[i] = float32(math.NaN())
					}
					g.run(kr.bf16mv)
					if msg := g.check(twin, false); msg != "" {
						t.Fatalf("m=%d n=%d k=%d off=%d ldx=%d ldb=%d ldc=%d: %s", m, n, k, off, g.ldx, g.ldb, g.ldc, msg)
					}
				}
			}
		})
	}
}

// TestBF16MatVecRows runs every m = 1..4 on every k up to 300 with more rows
// of B, so each unrolled loop and the row loop see every residue.
// On amd64 it runs with and without the m = 1 row grouping (bf16QuadBytes).
func TestBF16MatVecRows(t *testing.T) {
	for _, quad := range []bool{true, false} {
		restore := setBF16Quad(quad)
		for _, l := range Available() {
			kr := tables[l]
			t.Run(fmt.Sprintf("%s/quad=%v", l, quad), func(t *testing.T) {
				r := testutil.RNG(22)
				for m := 1; m <= bf16MaxM; m++ {
					for k := 0; k <= 300; k += 1 + k/40 {
						g := newBF16Case(r, m, 9, k, k%16)
						g.run(kr.bf16mv)
						if msg := g.check(nil, false); msg != "" {
							t.Fatalf("m=%d k=%d: %s", m, k, msg)
						}
					}
				}
			})
		}
		restore()
	}
}

// TestSgemmBF16SmallM checks the public entry points on the shapes they
// route to the fused kernels (m ≤ 4, B transposed), with alpha and beta,
// threads, and rows of B split between threads: SgemmBF16, and SgemmBF16Dot
// (whose reference rounds A to bf16 on a level with the bf16 dot product).
// Every m and both entry points come up in any 8 consecutive cases, every
// third case is large enough to be split over threads, and half the n and k
// are awkward sizes around the kernels' blocks; -short and the race detector
// (which slows the pure-Go reference and twins twentyfold) run fewer cases.
func TestSgemmBF16SmallM(t *testing.T) {
	cases := 150
	switch {
	case race.Enabled:
		cases = 12
	case testing.Short():
		cases = 40
	}
	awkward := []int{1, 3, 7, 15, 17, 31, 33, 63, 65, 127, 129, 257}
	size := func(r *rand.Rand, limit int) int {
		if r.IntN(2) == 0 {
			return awkward[r.IntN(len(awkward))]
		}
		return 1 + r.IntN(limit)
	}
	forEachLevel(t, func(t *testing.T) {
		r := testutil.RNG(23)
		for _, th := range []int{1, 2, 3} {
			restore := SetThreads(th)
			for c := range cases {
				g := gemmCase{transB: true, m: 1 + c%bf16MaxM, n: size(r, 700), k: size(r, 1200) - r.IntN(2), dot: c/bf16MaxM%2 == 0}
				if c%3 == 2 { // large enough to be split over threads
					g.n, g.k = 300+r.IntN(600), 600+r.IntN(700)
				}
				g.lda, g.ldb, g.ldc = max(g.k, 1)+r.IntN(3), max(g.k, 1)+r.IntN(3), g.n+r.IntN(3)
				g.alpha = []float32{1, 1, 1.5, -0.75}[r.IntN(4)]
				g.beta = []float32{0, 0, 0.5, 1}[r.IntN(4)]
				if msg := g.run(r, true); msg != "" {
					restore()
					t.Fatalf("threads=%d %v: %s", th, g, msg)
				}
			}
			restore()
		}
	})
}

// FuzzBF16MatVec differentially fuzzes every level's bf16mv against a
// float64 reference on fuzzer-chosen shapes and raw bit patterns (NaNs,
// infinities, subnormals): a NaN term must give NaN; where no partial sum can
// overflow, the result must be within (k+1)·u·Σ|terms| (plus the subnormal
// rounding floor) of the reference. Levels with a bf16 dot-product kernel
// (bf16dot.go) fuzz it too: its reference rounds x to bf16 and reads
// subnormal operands as zero, its floor is the smallest normal (results are
// flushed to zero), and its results must equal the Go twin's bit for bit.
func FuzzBF16MatVec(f *testing.F) {
	f.Add(uint8(1), uint8(2), uint8(3), []byte("\x00\x00\x80\x3f\x00\x00\x00\x40\x80\x3f\xc0\x7f\x00\x00\x80\xff"))
	for s := uint8(0); s < 12; s++ {
		b := make([]byte, 6*(int(s)*11+7))
		for i := range b {
			b[i] = byte(i*53 + int(s)*7)
		}
		f.Add(s, s*5, s*3, b)
	}
	f.Fuzz(func(t *testing.T, shape, off, pad uint8, data []byte) {
		m := 1 + int(shape%bf16MaxM)
		n := 1 + int(shape/bf16MaxM%3)
		// Split data into m float32 rows and n bf16 rows of equal length k.
		k := len(data) / (4*m + 2*n)
		o := int(off % 16)
		ldx, ldb, ldc := k+int(pad%3), k+int(pad/3%3), n+int(pad/9%3)
		x := make([]float32, o+need(m, k, ldx))[o:]
		b := make([]uint16, o+need(n, k, ldb))[o:]
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
		u := math.Ldexp(1, -24)
		type kernel struct {
			name string
			f    bf16mvKernel
			dot  bool
		}
		var ks []kernel
		for _, l := range Available() {
			ks = append(ks, kernel{l.String(), tables[l].bf16mv, false})
			if tables[l].bf16dot != nil {
				ks = append(ks, kernel{l.String() + "/dot", tables[l].bf16dot, true})
			}
		}
		for _, kn := range ks {
			l, dot := kn.name, kn.dot
			c := make([]float32, need(m, n, ldc))
			kn.f(m, n, k, x, ldx, b, ldb, c, ldc)
			floor := math.Ldexp(1, -149)
			if dot {
				twin := make([]float32, len(c))
				bf16mvDotGeneric(m, n, k, x, ldx, b, ldb, twin, ldc)
				for i := range c {
					if math.Float32bits(c[i]) != math.Float32bits(twin[i]) {
						t.Fatalf("%s m=%d n=%d k=%d: C[%d] = %g (%#x), twin %g (%#x)", l, m, n, k, i, c[i], math.Float32bits(c[i]), twin[i], math.Float32bits(twin[i]))
					}
				}
				floor = math.Ldexp(1, -126)
			}
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					var ref, mag float64
					nan := false
					for p := 0; p < k; p++ {
						xv, bv := bf16Operand(x[i*ldx+p], dot), float64(BF16ToF32(b[j*ldb+p]))
						if dot {
							bv = float64(bf16DAZ(b[j*ldb+p]))
						}
						tm := xv * bv
						nan = nan || tm != tm
						ref, mag = ref+tm, mag+math.Abs(tm)
					}
					got := float64(c[i*ldc+j])
					switch {
					case nan:
						if got == got {
							t.Fatalf("%s m=%d n=%d k=%d: C[%d,%d] = %g, want NaN (a term is NaN)", l, m, n, k, i, j, got)
						}
					case mag < 1e37:
						bound := float64(k+1)*u*mag + float64(k+1)*floor
						if math.Abs(got-ref) > bound {
							t.Fatalf("%s m=%d n=%d k=%d: C[%d,%d] = %g, want %g (bound %g)", l, m, n, k, i, j, got, ref, bound)
						}
					}
				}
			}
		}
	})
}

// bf16Operand is x as a bf16 matvec multiplies it: itself, or for the bf16
// dot-product kernels rounded to bf16 with a subnormal read as zero.
func bf16Operand(x float32, dot bool) float64 {
	if dot {
		return float64(bf16DAZ(F32ToBF16(x)))
	}
	return float64(x)
}

// TestDecodeKernelsDoNotAllocate: a decoding step calls these thousands of
// times per token, so a heap allocation per call (a variadic length check
// whose slice escaped did) costs more than the small kernels themselves.
func TestDecodeKernelsDoNotAllocate(t *testing.T) {
	if race.Enabled {
		t.Skip("the race detector adds allocations of its own")
	}
	r := testutil.RNG(24)
	x, y := testutil.Normal(r, 64, 1), testutil.Normal(r, 64, 1)
	w := make([]uint16, 64*64)
	F32ToBF16Slice(w, testutil.Normal(r, 64*64, 1))
	c := make([]float32, 64)
	for name, f := range map[string]func(){
		"Dot":    func() { Dot(x, y) },
		"Axpy":   func() { Axpy(0.5, x, y) },
		"Scale":  func() { Scale(0.5, y) },
		"Add":    func() { Add(y, x, y) },
		"bf16mv": func() { cur.bf16mv(1, 64, 64, x, 64, w, 64, c, 64) },
		"bf16dot": func() {
			if cur.bf16dot != nil {
				cur.bf16dot(1, 64, 64, x, 64, w, 64, c, 64)
			}
		},
	} {
		if n := testing.AllocsPerRun(50, f); n != 0 {
			t.Errorf("%s: %g allocations per call", name, n)
		}
	}
}
