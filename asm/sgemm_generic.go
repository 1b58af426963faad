package asm

import "unsafe"

// The pure-Go micro-kernel: a 4×8 register tile.
const (
	genericMR = 4
	genericNR = 8
)

// gemmGeneric is the reference micro-kernel (see microKernel):
//
//	for i < MR, j < NR: C[i*ldc+j] = alpha*Σ_p a[p*MR+i]*b[p*NR+j] + beta*C[i*ldc+j]
func gemmGeneric(kc int, a, b, c unsafe.Pointer, ldc int, alpha, beta float32) {
	const mr, nr = genericMR, genericNR
	pa := unsafe.Slice((*float32)(a), kc*mr)
	pb := unsafe.Slice((*float32)(b), kc*nr)
	var acc [mr][nr]float32
	for p := 0; p < kc; p++ {
		av := (*[mr]float32)(pa[p*mr:])
		bv := (*[nr]float32)(pb[p*nr:])
		for i := 0; i < mr; i++ {
			ai := av[i]
			for j := 0; j < nr; j++ {
				acc[i][j] += ai * bv[j]
			}
		}
	}
	pc := unsafe.Slice((*float32)(c), (mr-1)*ldc+nr)
	for i := 0; i < mr; i++ {
		row := pc[i*ldc : i*ldc+nr]
		if beta == 0 {
			for j := range row {
				row[j] = alpha * acc[i][j]
			}
		} else {
			for j := range row {
				row[j] = alpha*acc[i][j] + beta*row[j]
			}
		}
	}
}
