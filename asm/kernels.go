package asm

import (
	"fmt"
	"os"
	"unsafe"
)

// microKernel computes, for one MR×NR tile,
//
//	C[i*ldc+j] = alpha*Σ_p a[p*MR+i]*b[p*NR+j] + beta*C[i*ldc+j]
//
// over p < kc, where a and b are packed panels. When beta == 0 the kernel
// must not read C (it may hold NaN). kc ≥ 1.
type microKernel func(kc int, a, b, c unsafe.Pointer, ldc int, alpha, beta float32)

// packingKernel is a microKernel that also packs one of its micro-panels
// from the source matrix (row stride ld floats) as it reads it: for B
// (gemmPackB), row p of the panel is src[p*ld : p*ld+NR] (B as stored,
// float32), stored to b[p*NR:]; for A (gemmPackA), a[p*MR+i] = src[i*ld+p]
// (A as stored). The result equals packing first, then the microKernel.
type packingKernel func(kc int, a, b, c unsafe.Pointer, ldc int, alpha, beta float32, src unsafe.Pointer, ld int)

// kernels is one level's implementation table. Entries a level does not
// accelerate point at the generic twins.
type kernels struct {
	level Level
	mr    int // micro-kernel rows
	nr    int // micro-kernel columns
	kc    int // KC block (depth of the packed panels)
	gemm  microKernel
	// gemmPackB and gemmPackA, when set, are gemm fused with the packing
	// of B (as stored, float32) or A (as stored): gemmSerial then packs
	// each B panel in its first A panel's call and each A panel in its
	// first B panel's call instead of in separate passes.
	gemmPackB packingKernel
	gemmPackA packingKernel
	// skinny, when set, are the skinny GEMM kernels (skinny.go) for the
	// row counts of skinnyKernelRows: gemm runs products of at most
	// skinnyN float32 columns on them.
	skinny []skinnyKernel

	// The packing primitives (sgemm_pack.go): packT transposes up to
	// packTMax source rows per call (0: any number), packC copies rows;
	// the bf16 forms widen bfloat16 sources.
	packT     func(dst []float32, w, lanes int, src []float32, ld, rows, kc int)
	packTBF16 func(dst []float32, w, lanes int, src []uint16, ld, rows, kc int)
	packTMax  int
	packC     func(dst []float32, w int, src []float32, ld, cols, kc int)
	packCBF16 func(dst []float32, w int, src []uint16, ld, cols, kc int)

	dot     func(x, y []float32) float32
	axpy    func(alpha float32, x, y []float32)
	scale   func(alpha float32, x []float32)
	add     func(dst, x, y []float32)
	mul     func(dst, x, y []float32)
	sum     func(x []float32) float32
	max     func(x []float32) float32
	exp     func(dst, x []float32)
	expSum  func(dst, x []float32, shift float32) float32 // softmax's fused pass
	adamw   func(w, g, m, v []float32, k *[8]float32)     // AdamW's update (adamw.go)
	silu    func(dst, x []float32)
	gelu    func(dst, x []float32)
	geluTan func(dst, x []float32)
	// swiglu32 and swigluBack, when set, are SwiGLU32's and SwiGLUBackward's
	// assembly for whole groups of 16 elements (swiglu.go); nil runs
	// swiglu32Go and swigluBackPasses on the level's own kernels.
	swiglu32   func(dst, g, u []float32)
	swigluBack func(dg, du, dy, g, u []float32, mode int)
	bf16to     func(dst []float32, src []uint16)
	tobf16     func(dst []uint16, src []float32)
	bf16mv     bf16mvKernel // fused bf16 matvec (bf16.go)
	// bf16dot, when set, is the bf16 dot-product matvec (bf16dot.go): A
	// rounded to bf16, pairs multiplied in bf16, float32 sums. SgemmBF16Dot
	// uses it; SgemmBF16 keeps A in float32 (bf16mv).
	bf16dot bf16mvKernel
	// f32dot4, when set, is the float32 matvec's four-row dot kernel
	// (f32mv.go): gemv's m = 1 product reads four streams on it, with its
	// own summation order; nil runs dot row by row.
	f32dot4 f32dot4Kernel
	// bf16tile, when set, is the bf16 dot-product GEMM's tile kernel
	// (bf16gemm.go): SgemmBF16Dot runs products of more than bf16MaxM rows
	// of A with B transposed on it.
	bf16tile func(*bf16Tile)
	// bf16nn, when set, is the tile kernel of the bf16 dot-product GEMM
	// with B not transposed (bf16nn.go): SgemmBF16Dot runs products of
	// more than bf16MaxM rows of A with B as stored on it.
	bf16nn func(*bf16NNTile)
	// bf16pair packs a pair of B's rows for bf16nn, bf16pairT a panel of
	// B stored transposed (bf16nn.go).
	bf16pair  func(dst, src *uint16, ldb, np, pstride int)
	bf16pairT func(dst, src *uint16, ldb, q16 int)
	// qdot holds the quantised-row dot kernels by QType (quant.go).
	qdot [qTypes]qdotKernel
	// kdot, when set for a type, is its int8 dot kernel (quantk.go): a
	// decoding step's activations are quantised to int8 per block (by
	// actRow) and SgemmQ multiplies the blocks in integers instead of with
	// qdot.
	kdot [qTypes]kdotKernel
	// kdot4, when set for a type, is kdot on four rows at once (SgemmQ
	// then reads four streams, quantk.go).
	kdot4 [qTypes]kdot4Kernel
	// kdotP, when set for a type (Q4_K, Q6_K, Q8_0), is its int8 kernel on the
	// packed layout of kpRows rows (quantkp.go): [QMatrix.Repack] packs
	// only for a level that has one.
	kdotP [qTypes]kdotPKernel
	// kdotP4, set with kdotP, is kdotP on four groups at once (four
	// streams).
	kdotP4 [qTypes]kdotP4Kernel
	// kpPanel, when set for a type (Q4_K, Q6_K, Q8_0), widens packed groups
	// straight into bf16nn's B panels (kpPanelGeneric is its twin;
	// quantkp.go): gemmQ's prompt path on a packed matrix.
	kpPanel [qTypes]kpPanelKernel
	// kpUnits, when set, moves a packed Q4_K super-block's quant bytes
	// back to its rows (kpUnitsGeneric is its twin; quantkp.go).
	kpUnits func(dst []byte, ds int, src []byte)
	// actRow quantises activations for kdot (quantk.go).
	actRow actRowKernel
	// dequant widens blocks as Dequantize (its twin) does.
	dequant func(t QType, dst []float32, src []byte)
	// dequantBF16, when set for a type, widens its blocks straight to bf16
	// as dequant then tobf16 do, bit for bit (twin: dequantBF16Generic);
	// the quantised prompt path (gemmQ) uses it.
	dequantBF16 [qTypes]func(dst []uint16, src []byte)

	// Dropout (dropout.go): the kept-bit mask from random draws, and the
	// products under it.
	dropMask  func(kept, draws []uint64, n int, drop uint16)
	maskScale func(dst, src []float32, s float32, kept []uint64)
	maskAdd   func(dst, src []float32, s float32, kept []uint64)
}

// genericKernels returns the pure-Go table; architecture files copy it and
// replace what they accelerate.
func genericKernels() kernels {
	return kernels{
		level:   Generic,
		mr:      genericMR,
		nr:      genericNR,
		kc:      512,
		gemm:    gemmGeneric,
		dot:     dotGeneric,
		axpy:    axpyGeneric,
		scale:   scaleGeneric,
		add:     addGeneric,
		mul:     mulGeneric,
		sum:     sumGeneric,
		max:     maxGeneric,
		exp:     expGeneric,
		expSum:  expSumGeneric,
		adamw:   adamwGeneric,
		silu:    siluGeneric,
		gelu:    geluGeneric,
		geluTan: geluTanhGeneric,
		bf16to:  bf16ToF32Generic,
		tobf16:  f32ToBF16Generic,
		bf16mv:  bf16mvGeneric,
		qdot:    [qTypes]qdotKernel{Q8_0: qdotGeneric(Q8_0), Q4_0: qdotGeneric(Q4_0)},
		dequant: Dequantize,
		actRow:  actRowGeneric,

		packT:     packTGeneric,
		packTBF16: packTBF16Generic,
		packC:     packCGeneric,
		packCBF16: packCBF16With(bf16ToF32Generic),

		dropMask:  dropMaskGeneric,
		maskScale: maskedScaleGeneric,
		maskAdd:   maskedAddGeneric,
	}
}

// tables holds the implementation table of every available level.
var tables = map[Level]*kernels{}

func register(k kernels) {
	kk := k
	// The K types' dot kernels are the level's dequantisation and dot.
	kk.qdot[Q4_K] = qdotK(Q4_K, kk.dequant, kk.dot)
	kk.qdot[Q6_K] = qdotK(Q6_K, kk.dequant, kk.dot)
	tables[k.level] = &kk
	if k.level != Generic {
		available = append(available, k.level)
	}
}

// cur is the active table. It is set at init and by SetLevel only; SetLevel
// is not safe to call while kernels run on other goroutines.
var cur *kernels

func init() {
	register(genericKernels())
	registerArch()
	l, err := defaultLevel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "llink: %v; using %s\n", err, l)
	}
	cur = tables[l]
}

// Active returns the level the package-level kernels currently use.
func Active() Level { return cur.level }

// SetLevel switches every kernel to level l and returns a function restoring
// the previous level. It is meant for tests and benchmarks and must not be
// called while kernels run on other goroutines. It panics if l is not
// available on this machine.
func SetLevel(l Level) (restore func()) {
	t, ok := tables[l]
	if !ok {
		panic(fmt.Sprintf("asm: SIMD level %s is not available on this machine (have %v)", l, available))
	}
	prev := cur
	cur = t
	return func() { cur = prev }
}

// TileSize returns the active micro-kernel tile (MR rows × NR columns).
func TileSize() (mr, nr int) { return cur.mr, cur.nr }
