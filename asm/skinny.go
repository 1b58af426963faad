package asm

import (
	"math"
	"unsafe"
)

// The skinny GEMM: products with at most skinnyN columns — LoRA's rank-16
// products h = x·Aᵀ, dh = g·B and dB = gᵀ·h — on a level that has the
// skinny kernels (AVX-512). The 12×32 micro-kernel wastes half of every
// FMA on 16 columns, and packing A (its whole x or g) costs more than the
// 16 multiply-adds per element it then feeds; the skinny kernels read A
// where it is stored (either way round) and one 16-float row of B per step.
// They sum in the micro-kernel's order — from +0 over each KC block (the
// same balanced blocks), one fused multiply-add per step in k order — and
// apply α and β as gemmSerial's edge tiles do (α·acc, then + β·C in a second
// rounding), so every output has the bits the packed path gave it.

// skinnyN is the column count up to which gemm takes the skinny path.
const skinnyN = 16

// skinnyKernel computes rows rows of C (rows is the kernel's: 16, 8, 4, 2 or
// 1) over kc steps:
//
//	acc[i][j] = +0; for p < kc: acc[i][j] = fma(A(i,p), B(p,j), acc[i][j])
//	C(i,j) = α·acc[i][j]               when β == ±0 (C not read)
//	C(i,j) = α·acc[i][j] + β·C(i,j)    otherwise, each operation rounded
//
// for the columns j whose bit is set in mask (bit j: column j < 16; the
// others are neither read nor written), with A(i,p) = a[i*ai+p*ap], B(p,j) =
// b[p*ldb+j], C(i,j) = c[i*ldc+j] (strides in floats).
type skinnyKernel func(kc int, a unsafe.Pointer, ai, ap int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int, alpha, beta float32, mask uint64)

// skinnyKernelRows are the row counts of a level's skinny kernels, in the
// order of kernels.skinny.
var skinnyKernelRows = [...]int{16, 8, 4, 2, 1}

// skinnyGeneric is the skinny kernels' Go twin: rows rows, the same
// operations in the same order, each fused multiply-add rounded once
// (fma32), so it gives the kernels' bits.
func skinnyGeneric(rows, kc int, a unsafe.Pointer, ai, ap int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int, alpha, beta float32, mask uint64) {
	at := func(p unsafe.Pointer, i int) *float32 { return (*float32)(unsafe.Add(p, 4*i)) }
	for i := 0; i < rows; i++ {
		var acc [skinnyN]float32
		for p := 0; p < kc; p++ {
			av := *at(a, i*ai+p*ap)
			for j := range acc {
				if mask>>j&1 != 0 {
					acc[j] = fma32(av, *at(b, p*ldb+j), acc[j])
				}
			}
		}
		for j := range acc {
			if mask>>j&1 == 0 {
				continue
			}
			d := at(c, i*ldc+j)
			t := float32(alpha * acc[j])
			if beta == 0 {
				*d = t
			} else {
				*d = t + float32(beta**d)
			}
		}
	}
}

// fma32 returns x·y + z rounded once to float32 (as VFMADD231PS): the
// product is exact in float64, the sum is rounded to float64 to odd (its
// last bit set when inexact) and then to float32, which rounds as the
// exact sum would (odd rounding with 29 spare bits cannot create a false
// tie).
func fma32(x, y, z float32) float32 {
	p := float64(float64(x) * float64(y)) // exact: 24 + 24 bits
	zz := float64(z)
	s := p + zz
	if math.IsInf(s, 0) || math.IsNaN(s) || s == 0 {
		return float32(s)
	}
	// The rounding error of s (TwoSum), exact.
	bv := s - p
	e := (p - (s - bv)) + (zz - bv)
	if bits := math.Float64bits(s); e != 0 && bits&1 == 0 {
		if (e > 0) == (s > 0) {
			bits++
		} else {
			bits--
		}
		s = math.Float64frombits(bits)
	}
	return float32(s)
}

// gemmSkinny computes C = alpha·op(A)·op(B) + beta·C for n ≤ skinnyN with
// B float32, on kr.skinny: op(B) transposed into a k×16 buffer first when
// stored transposed, the rows of C split over up to t threads.
func gemmSkinny(kr *kernels, transA bool, m, n, k int, alpha float32, a []float32, lda int, b *bOperand, beta float32, c []float32, ldc int, t int) {
	kc := kr.blocks().balanced(m, n, k, kr.mr, kr.nr).kc
	ai, ap := lda, 1
	if transA {
		ai, ap = 1, lda
	}
	bm, ldb := b.f32, b.ld
	if b.trans {
		buf := bufPool.Get().(*gemmBuf)
		defer bufPool.Put(buf)
		buf.ensure(0, k*skinnyN, 0)
		packTLanes(kr, buf.b, skinnyN, b.f32, nil, b.ld, n, k)
		bm, ldb = buf.b[:k*skinnyN], skinnyN
	}
	mask := uint64(1)<<n - 1
	// Each block of rows runs through all of k (its C rows stay in L1,
	// its A rows stream once; op(B), k×16, stays in L2).
	rows := func(i0, i1 int) {
		for i := i0; i < i1; {
			r, f := skinnyPick(kr, i1-i)
			for pc := 0; pc < k; pc += kc {
				bet := beta
				if pc > 0 {
					bet = 1
				}
				f(min(kc, k-pc), unsafe.Pointer(&a[i*ai+pc*ap]), ai, ap, unsafe.Pointer(&bm[pc*ldb]), ldb, unsafe.Pointer(&c[i*ldc]), ldc, alpha, bet, mask)
			}
			i += r
		}
	}
	if t <= 1 || 2*m*n*k < parallelFlops {
		rows(0, m)
		return
	}
	step := ceilDiv(ceilDiv(m, t), skinnyN) * skinnyN
	parts := ceilDiv(m, step)
	parallel(parts, func(w int) { rows(w*step, min((w+1)*step, m)) })
}

// skinnyPick returns the largest of kr's skinny kernels with at most left
// rows, and its row count.
func skinnyPick(kr *kernels, left int) (int, skinnyKernel) {
	for i, r := range skinnyKernelRows {
		if r <= left {
			return r, kr.skinny[i]
		}
	}
	panic("asm: skinnyPick with no rows left")
}
