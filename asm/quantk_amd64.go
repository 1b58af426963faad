//go:build !purego

package asm

import "unsafe"

// kdotQ4KVNNI and kdotQ6KVNNI return kdotGeneric(Q4_K / Q6_K) of nb ≥ 1
// super-blocks at b with the quantised activations q, d, bsum (qActs),
// bit for bit; perm is &kPerm.
//
//go:noescape
func kdotQ4KVNNI(q *int8, d *float32, bsum *int16, b *byte, nb int, perm *uint16) float32

//go:noescape
func kdotQ6KVNNI(q *int8, d *float32, bsum *int16, b *byte, nb int, perm *uint16) float32

// q8dotQ4VNNI and q8dotQ8VNNI return kdotGeneric(Q4_0 / Q8_0) of the
// first 4·n4 ≥ 4 blocks of a row of nb ≥ 4·n4 blocks at b, without
// q8Tail's part; perm is &kPerm.
//
//go:noescape
func q8dotQ4VNNI(q *int8, d *float32, negs *int32, b *byte, n4 int, perm *uint16) float32

//go:noescape
func q8dotQ8VNNI(q *int8, d *float32, negs *int32, b *byte, n4 int, perm *uint16) float32

// actRowAVX512 is actRowGeneric on n values (a multiple of bw), bit for
// bit.
//
//go:noescape
func actRowAVX512(x *float32, n int, bw int, perm *int32, q *int8, d *float32, csum *int32)

// kdotVNNI installs the int8 kernels and the activation quantisation into
// k.
func kdotVNNI(k *kernels) {
	k.actRow = func(x []float32, bw int, perm *[16]int32, q []int8, d []float32, csum []int32) {
		n := len(x) / bw * bw
		if n == 0 {
			return
		}
		_, _, _ = q[n-1], d[n/bw-1], csum[n/16-1]
		actRowAVX512(unsafe.SliceData(x), n, bw, &perm[0], unsafe.SliceData(q), unsafe.SliceData(d), unsafe.SliceData(csum))
	}
	for _, t := range []QType{Q8_0, Q4_0} {
		f, bb := q8dotQ8VNNI, t.BlockBytes()
		if t == Q4_0 {
			f = q8dotQ4VNNI
		}
		k.kdot[t] = func(a *qActs, b []byte, nb int) float32 {
			var s float32
			if n4 := nb / 4; n4 > 0 {
				_, _, _, _ = a.q[128*n4-1], a.d[4*n4-1], a.negSum[4*n4-1], b[4*n4*bb-1]
				s = f(unsafe.SliceData(a.q), unsafe.SliceData(a.d), unsafe.SliceData(a.negSum), unsafe.SliceData(b), n4, &kPerm.idx4[0][0])
			}
			return s + q8Tail(t, a, b, nb)
		}
	}
	for _, t := range []QType{Q4_K, Q6_K} {
		f, bb := kdotQ4KVNNI, t.BlockBytes()
		if t == Q6_K {
			f = kdotQ6KVNNI
		}
		k.kdot[t] = func(a *qActs, b []byte, nb int) float32 {
			if nb == 0 {
				return 0
			}
			_, _, _, _ = a.q[256*nb-1], a.d[nb-1], a.bsum[16*nb-1], b[nb*bb-1]
			return f(unsafe.SliceData(a.q), unsafe.SliceData(a.d), unsafe.SliceData(a.bsum), unsafe.SliceData(b), nb, &kPerm.idx4[0][0])
		}
	}
}
