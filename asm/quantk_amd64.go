//go:build !purego

package asm

import "unsafe"

// kdotQ4KVNNI and kdotQ6KVNNI return kdotGeneric(Q4_K / Q6_K) of nb ≥ 1
// super-blocks at b with the quantised activations q, d, bsum (kActs),
// bit for bit; perm is &kPerm.
//
//go:noescape
func kdotQ4KVNNI(q *int8, d *float32, bsum *int16, b *byte, nb int, perm *uint16) float32

//go:noescape
func kdotQ6KVNNI(q *int8, d *float32, bsum *int16, b *byte, nb int, perm *uint16) float32

// kdotVNNI installs the int8 K kernels into k.
func kdotVNNI(k *kernels) {
	for _, t := range []QType{Q4_K, Q6_K} {
		f, bb := kdotQ4KVNNI, t.BlockBytes()
		if t == Q6_K {
			f = kdotQ6KVNNI
		}
		k.kdot[t] = func(a *kActs, b []byte, nb int) float32 {
			if nb == 0 {
				return 0
			}
			_, _, _, _ = a.q[256*nb-1], a.d[nb-1], a.bsum[16*nb-1], b[nb*bb-1]
			return f(unsafe.SliceData(a.q), unsafe.SliceData(a.d), unsafe.SliceData(a.bsum), unsafe.SliceData(b), nb, &kPerm.idx4[0][0])
		}
	}
}
