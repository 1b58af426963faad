package asm

// Dropout's kernels. A dropout mask is a bit set, bit i of kept[i/64]
// (lowest bit first) set when element i is kept. The drop decision comes
// from 16-bit chunks of 64-bit random draws (four elements per draw), and
// the masked products are one sweep each: on AVX-512 a multiply under a
// mask register loaded straight from the bits, elsewhere a multiply and a
// select.

// DropoutMask sets bit i of kept, for i < n, when the i-th 16-bit chunk of
// draws — chunk i%4 of draws[i/4], counting from the low bits — is ≥ drop,
// and clears it otherwise; the bits of kept's last word from n on are
// cleared. It reads ⌈n/4⌉ draws and writes ⌈n/64⌉ words.
func DropoutMask(kept, draws []uint64, n int, drop uint16) {
	if n < 0 {
		panic("asm.DropoutMask: negative n")
	}
	checkLen("DropoutMask", (n+3)/4, "draws", len(draws))
	checkLen("DropoutMask", (n+63)/64, "kept", len(kept))
	cur.dropMask(kept, draws, n, drop)
}

// MaskedScale computes, for i < len(dst), dst[i] = s·src[i] where bit i of
// kept is set and +0 where it is clear: the product rounded once, as
// [Mul] rounds it. dst may alias src. len(src) must be ≥ len(dst) and kept
// must hold ⌈len(dst)/64⌉ words.
func MaskedScale(dst, src []float32, s float32, kept []uint64) {
	checkLen("MaskedScale", len(dst), "src", len(src))
	checkLen("MaskedScale", (len(dst)+63)/64, "kept", len(kept))
	cur.maskScale(dst, src, s, kept)
}

// MaskedAddScaled computes, for i < len(dst), dst[i] += s·src[i] where bit
// i of kept is set — the product rounded, then the sum (no fused
// multiply-add) — and leaves dst[i] as it is where the bit is clear.
// len(src) must be ≥ len(dst) and kept must hold ⌈len(dst)/64⌉ words.
func MaskedAddScaled(dst, src []float32, s float32, kept []uint64) {
	checkLen("MaskedAddScaled", len(dst), "src", len(src))
	checkLen("MaskedAddScaled", (len(dst)+63)/64, "kept", len(kept))
	cur.maskAdd(dst, src, s, kept)
}

// dropMaskGeneric is DropoutMask's twin: keep4 decides a draw's four
// elements at once.
func dropMaskGeneric(kept, draws []uint64, n int, drop uint16) {
	lanes := uint64(drop) * 0x0001000100010001
	for w := range (n + 63) / 64 {
		m := min(64, n-64*w) // elements in this word
		d := draws[16*w:]
		var word uint64
		for i := 0; i < m; i += 4 {
			word |= keep4(d[i>>2], lanes) << i
		}
		if m < 64 {
			word &= 1<<m - 1
		}
		kept[w] = word
	}
}

// keep4 compares the four 16-bit chunks of x with those of y without
// branches and returns a nibble whose bit j is set when chunk j of x is ≥
// chunk j of y. Per chunk: the low 15 bits are compared by subtracting with
// the chunk's top bit set (no borrow leaves the chunk), the top bits decide
// when they differ; the four decision bits (15, 31, 47, 63) are then
// gathered into bits 60–63 by one multiplication whose other partial
// products all land below bit 60.
func keep4(x, y uint64) uint64 {
	const hi = 0x8000800080008000
	low := (x | hi) - (y &^ hi) // chunk bit 15: low(x) ≥ low(y)
	ge := (x&^y | ^(x^y)&low) & hi
	return (ge >> 15 * (1<<15 | 1<<30 | 1<<45 | 1<<60)) >> 60
}

// maskedScaleGeneric is MaskedScale's twin.
func maskedScaleGeneric(dst, src []float32, s float32, kept []uint64) {
	src = src[:len(dst)]
	for i, v := range src {
		if kept[i>>6]>>(i&63)&1 != 0 {
			dst[i] = v * s
		} else {
			dst[i] = 0
		}
	}
}

// maskedAddGeneric is MaskedAddScaled's twin. The float32 conversion keeps
// the compiler from fusing the multiply and the add (it does on arm64).
func maskedAddGeneric(dst, src []float32, s float32, kept []uint64) {
	src = src[:len(dst)]
	for i, v := range src {
		if kept[i>>6]>>(i&63)&1 != 0 {
			dst[i] += float32(v * s)
		}
	}
}

// words64 returns a kernel that runs kernel on the leading whole 64-element
// words of dst and the twin on the rest (same bits).
func words64(kernel, twin func(dst, src []float32, s float32, kept []uint64)) func(dst, src []float32, s float32, kept []uint64) {
	return func(dst, src []float32, s float32, kept []uint64) {
		n := len(dst) &^ 63
		if n > 0 {
			kernel(dst[:n], src[:n], s, kept)
		}
		if n < len(dst) {
			twin(dst[n:], src[n:len(dst)], s, kept[n/64:])
		}
	}
}

// maskWords returns a DropoutMask kernel that runs kernel on the whole
// words (64 elements each) and the twin on a last partial one.
func maskWords(kernel func(kept, draws []uint64, n int, drop uint16)) func(kept, draws []uint64, n int, drop uint16) {
	return func(kept, draws []uint64, n int, drop uint16) {
		w := n / 64
		if w > 0 {
			kernel(kept[:w], draws[:16*w], 64*w, drop)
		}
		if n > 64*w {
			dropMaskGeneric(kept[w:], draws[16*w:], n-64*w, drop)
		}
	}
}
