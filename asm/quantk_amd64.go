//go:build !purego

package asm

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// kdotQ4KVNNI and kdotQ6KVNNI return kdotGeneric(Q4_K / Q6_K) of nb ≥ 1
// super-blocks at b with the quantised activations q, d, bsum (qActs),
// bit for bit; perm is &kPerm.
//
//go:noescape
func kdotQ4KVNNI(q *int8, d *float32, bsum *int16, b *byte, nb int, perm *uint16) float32

//go:noescape
func kdotQ6KVNNI(q *int8, d *float32, bsum *int16, b *byte, nb int, perm *uint16) float32

// kdotQ4KVNNI4 and kdotQ6KVNNI4 are kdotQ4KVNNI and kdotQ6KVNNI on the
// four rows at b, b+ld, b+2ld and b+3ld, out[r] row r's result.
//
//go:noescape
func kdotQ4KVNNI4(q *int8, d *float32, bsum *int16, b *byte, ld, nb int, perm *uint16, out *float32)

//go:noescape
func kdotQ6KVNNI4(q *int8, d *float32, bsum *int16, b *byte, ld, nb int, perm *uint16, out *float32)

// q8dotQ4VNNI and q8dotQ8VNNI return kdotGeneric(Q4_0 / Q8_0) of the
// first 4·n4 ≥ 4 blocks of a row of nb ≥ 4·n4 blocks at b, without
// q8Tail's part; perm is &kPerm.
//
//go:noescape
func q8dotQ4VNNI(q *int8, d *float32, negs *int32, b *byte, n4 int, perm *uint16) float32

//go:noescape
func q8dotQ8VNNI(q *int8, d *float32, negs *int32, b *byte, n4 int, perm *uint16) float32

// q8dotQ4VBMI is q8dotQ4VNNI reading the activations' spread scales and
// offset corrections (qActs.dx16, neg16) and gathering the blocks'
// nibbles and scales with VBMI permutes; perm is &q4VBMIPerm.
//
//go:noescape
func q8dotQ4VBMI(q *int8, dx16 *float32, neg16 *int32, b *byte, n4 int, perm *byte) float32

// q8dotQ4VBMI4 is q8dotQ4VBMI on the four rows at b, b+ld, b+2ld and
// b+3ld, out[r] row r's result.
//
//go:noescape
func q8dotQ4VBMI4(q *int8, dx16 *float32, neg16 *int32, b *byte, ld, n4 int, perm *byte, out *float32)

// q4VBMIPerm holds q8dotQ4VBMI's permutations of four Q4_0 blocks (72
// bytes, read as bytes 0-63 and 8-71): nib takes block s's 16 nibble bytes
// (2+18s..17+18s) into bytes 16s..16s+15 (block 3's from the second load,
// index 64 + its offset there); sc takes block l/4's f16 scale (word 9·(l/4))
// into word l < 16.
var q4VBMIPerm = func() (p struct {
	nib [64]uint8
	sc  [32]uint16
}) {
	for s := range 4 {
		for i := range 16 {
			src := 2 + 18*s + i
			if s == 3 {
				src = 64 + src - 8
			}
			p.nib[16*s+i] = uint8(src)
		}
	}
	for l := range 16 {
		p.sc[l] = uint16(9 * (l / 4))
	}
	return p
}()

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
	k.kdot[Q8_0], k.kdot[Q4_0] = q8kdotVNNI(Q8_0), q8kdotVNNI(Q4_0)
	kdotPVNNI(k)
	if cpu.X86.HasAVX512VBMI {
		k.kdot[Q4_0], k.kdot4[Q4_0] = q4kdotVBMI, q4kdot4VBMI
	}
	for _, t := range []QType{Q4_K, Q6_K} {
		f, f4, bb := kdotQ4KVNNI, kdotQ4KVNNI4, t.BlockBytes()
		if t == Q6_K {
			f, f4 = kdotQ6KVNNI, kdotQ6KVNNI4
		}
		k.kdot[t] = func(a *qActs, b []byte, nb int) float32 {
			if nb == 0 {
				return 0
			}
			_, _, _, _ = a.q[256*nb-1], a.d[nb-1], a.bsum[16*nb-1], b[nb*bb-1]
			return f(unsafe.SliceData(a.q), unsafe.SliceData(a.d), unsafe.SliceData(a.bsum), unsafe.SliceData(b), nb, &kPerm.idx4[0][0])
		}
		k.kdot4[t] = func(a *qActs, b []byte, ld, nb int, c []float32, cs int) {
			_ = c[3*cs]
			var out [4]float32
			if nb > 0 {
				_, _, _, _ = a.q[256*nb-1], a.d[nb-1], a.bsum[16*nb-1], b[3*ld+nb*bb-1]
				f4(unsafe.SliceData(a.q), unsafe.SliceData(a.d), unsafe.SliceData(a.bsum), unsafe.SliceData(b), ld, nb, &kPerm.idx4[0][0], &out[0])
			}
			for r, v := range out {
				c[r*cs] = v
			}
		}
	}
}

// q8kdotVNNI returns the Q8_0 or Q4_0 int8 kernel (q8dotQ8VNNI,
// q8dotQ4VNNI, then q8Tail).
func q8kdotVNNI(t QType) kdotKernel {
	f, bb := q8dotQ8VNNI, t.BlockBytes()
	if t == Q4_0 {
		f = q8dotQ4VNNI
	}
	return func(a *qActs, b []byte, nb int) float32 {
		var s float32
		if n4 := nb / 4; n4 > 0 {
			_, _, _, _ = a.q[128*n4-1], a.d[4*n4-1], a.negSum[4*n4-1], b[4*n4*bb-1]
			s = f(unsafe.SliceData(a.q), unsafe.SliceData(a.d), unsafe.SliceData(a.negSum), unsafe.SliceData(b), n4, &kPerm.idx4[0][0])
		}
		return s + q8Tail(t, a, b, nb)
	}
}

// q4kdotVBMI is the Q4_0 int8 kernel on CPUs with AVX512-VBMI
// (q8dotQ4VBMI, then q8Tail).
func q4kdotVBMI(a *qActs, b []byte, nb int) float32 {
	var s float32
	if n4 := nb / 4; n4 > 0 {
		_, _, _, _ = a.q[128*n4-1], a.dx16[16*n4-1], a.neg16[16*n4-1], b[72*n4-1]
		s = q8dotQ4VBMI(unsafe.SliceData(a.q), unsafe.SliceData(a.dx16), unsafe.SliceData(a.neg16), unsafe.SliceData(b), n4, &q4VBMIPerm.nib[0])
	}
	return s + q8Tail(Q4_0, a, b, nb)
}

// q4kdot4VBMI is q4kdotVBMI on four rows (q8dotQ4VBMI4, then q8Tail).
func q4kdot4VBMI(a *qActs, b []byte, ld, nb int, c []float32, cs int) {
	_ = c[3*cs]
	var out [4]float32
	if n4 := nb / 4; n4 > 0 {
		_, _, _, _ = a.q[128*n4-1], a.dx16[16*n4-1], a.neg16[16*n4-1], b[3*ld+72*n4-1]
		q8dotQ4VBMI4(unsafe.SliceData(a.q), unsafe.SliceData(a.dx16), unsafe.SliceData(a.neg16), unsafe.SliceData(b), ld, n4, &q4VBMIPerm.nib[0], &out[0])
	}
	for r := range out {
		if nb%4 != 0 {
			out[r] += q8Tail(Q4_0, a, b[r*ld:r*ld+nb*18], nb)
		}
		c[r*cs] = out[r]
	}
}
