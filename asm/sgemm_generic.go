package asm

import "unsafe"

// The pure-Go micro-kernel: a 2×3 register tile. Go has no SIMD, so the
// tile is sized for scalar code on amd64's 15 usable float registers: six
// accumulators plus the five operands of a k step and the products the
// compiler schedules before their adds all stay in registers (a 4×4 or 3×3
// tile spills, measured in bench/RESULTS.md, "Portable level").
const (
	genericMR = 2
	genericNR = 3
)

// gemmGeneric is the reference micro-kernel (see microKernel):
//
//	for i < MR, j < NR: C[i*ldc+j] = alpha*Σ_p a[p*MR+i]*b[p*NR+j] + beta*C[i*ldc+j]
func gemmGeneric(kc int, a, b, c unsafe.Pointer, ldc int, alpha, beta float32) {
	t := genericTile(kc, a, b)
	for i := range genericMR {
		row := (*[genericNR]float32)(unsafe.Add(c, i*ldc*4))
		acc := (*[genericNR]float32)(t[i*genericNR:])
		if beta == 0 {
			for j := range row {
				row[j] = alpha * acc[j]
			}
		} else {
			for j := range row {
				row[j] = alpha*acc[j] + beta*row[j]
			}
		}
	}
}

// genericTile returns Σ_p a[p*MR+i]*b[p*NR+j] for the 2×3 tile, row-major.
// The accumulators are scalar locals, not an array, so the compiler keeps
// them in registers; the loop reads the panels through unsafe.Add (the
// kernel's contract guarantees kc steps of each), so it has no bounds
// checks, and it takes four k steps per iteration: the adds of the last
// step are scheduled after all of its products (they feed only the loop's
// phis), which the unrolling pays for once per four steps. alpha and beta
// are applied by the caller, so they are not live across the loop.
func genericTile(kc int, a, b unsafe.Pointer) [genericMR * genericNR]float32 {
	const sa, sb = genericMR * 4, genericNR * 4 // bytes per k step
	var c00, c01, c02, c10, c11, c12 float32
	p := 0
	for ; p+4 <= kc; p += 4 {
		x := (*[4 * genericMR]float32)(a)
		y := (*[4 * genericNR]float32)(b)
		a, b = unsafe.Add(a, 4*sa), unsafe.Add(b, 4*sb)
		a0, a1 := x[0], x[1]
		b0, b1, b2 := y[0], y[1], y[2]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		a0, a1 = x[2], x[3]
		b0, b1, b2 = y[3], y[4], y[5]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		a0, a1 = x[4], x[5]
		b0, b1, b2 = y[6], y[7], y[8]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		a0, a1 = x[6], x[7]
		b0, b1, b2 = y[9], y[10], y[11]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
	}
	for ; p < kc; p++ {
		x := (*[genericMR]float32)(a)
		y := (*[genericNR]float32)(b)
		a, b = unsafe.Add(a, sa), unsafe.Add(b, sb)
		a0, a1 := x[0], x[1]
		b0, b1, b2 := y[0], y[1], y[2]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
	}
	return [genericMR * genericNR]float32{c00, c01, c02, c10, c11, c12}
}
