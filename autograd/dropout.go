package autograd

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"

	"github.com/llink-go/llink/asm"
)

// Dropout zeroes each element with probability p (to a resolution of 2⁻¹⁶)
// and scales the survivors
// by 1/(1−p), drawing from rng so runs are reproducible. With p == 0 or a nil
// rng (evaluation) it returns x itself. The mask is kept (as bits) for the
// backward pass.
func (tp *Tape) Dropout(x *Var, p float32, rng *rand.Rand) *Var {
	if p < 0 || p >= 1 {
		panic(fmt.Sprintf("autograd.Dropout: p = %g outside [0, 1)", p))
	}
	if p == 0 || rng == nil {
		return x
	}
	out := tp.empty(x.Shape()...)
	kept, scale := dropInto(out.Data(), x.Data(), p, rng)
	y := tp.newVar(out, tp.needs(x))
	if y.requires {
		tp.record(func() {
			if g := y.Grad; g != nil {
				dx, beta := tp.gradBeta(x)
				if beta == 0 {
					maskedScale(dx.Data(), g.Data(), scale, kept)
				} else {
					t := getScratch(g.Len())
					copy(*t, g.Data())
					maskedAdd(dx.Data(), *t, scale, kept)
					putScratch(t)
				}
			}
		})
	}
	return y
}

// dropInto writes src with dropout applied into dst and returns the mask —
// bit i set when element i is kept — with the survivors' scale 1/(1−p).
// One 64-bit draw decides four elements: each 16-bit chunk u drops its
// element when u < p·2¹⁶ (p is used to a resolution of 2⁻¹⁶). The mask is
// drawn first, then applied with the vector kernels (scale everything,
// zero the few dropped elements): a branch per element cost a tenth of a
// LoRA fine-tuning step.
func dropInto(dst, src []float32, p float32, rng *rand.Rand) (kept []uint64, scale float32) {
	n := len(src)
	kept = make([]uint64, (n+63)/64)
	scale = 1 / (1 - p)
	drop := uint64(float64(p)*65536 + 0.5)
	if drop > 0xffff { // p within 2⁻¹⁷ of 1: every 16-bit chunk is below it
		maskedScale(dst, src, scale, kept)
		for range (n + 3) / 4 {
			rng.Uint64() // the same draws
		}
		return kept, scale
	}
	lanes := drop * 0x0001000100010001
	for w := range kept {
		m := min(64, n-64*w) // elements in this word
		var word uint64
		for i := 0; i < m; i += 4 {
			word |= keep4(rng.Uint64(), lanes) << i
		}
		if m < 64 {
			word &= 1<<m - 1
		}
		kept[w] = word
	}
	maskedScale(dst, src, scale, kept)
	return kept, scale
}

// keep4 compares the four 16-bit chunks of x with those of y (all equal to
// the drop threshold) without branches and returns a nibble whose bit j is
// set when chunk j of x is ≥ chunk j of y. Per chunk: the low 15 bits are
// compared by subtracting with the chunk's top bit set (no borrow leaves
// the chunk), the top bits decide when they differ; the four decision bits
// (15, 31, 47, 63) are then gathered into bits 60–63 by one multiplication
// whose other partial products all land below bit 60.
func keep4(x, y uint64) uint64 {
	const hi = 0x8000800080008000
	low := (x | hi) - (y &^ hi) // chunk bit 15: low(x) ≥ low(y)
	ge := (x&^y | ^(x^y)&low) & hi
	return (ge >> 15 * (1<<15 | 1<<30 | 1<<45 | 1<<60)) >> 60
}

// maskChunk is how many elements the masked kernels scale in one vector
// call before zeroing the dropped ones (16 KiB: in L1 for the second pass).
const maskChunk = 4096

// maskedScale writes s·src where the bit of kept is set and 0 elsewhere
// into dst (which may be src): one vector multiply by a chunk of s's (no
// copy of src first), then the dropped elements zeroed.
func maskedScale(dst, src []float32, s float32, kept []uint64) {
	sv := getScratch(min(maskChunk, len(src)))
	for i := range *sv {
		(*sv)[i] = s
	}
	for lo := 0; lo < len(src); lo += maskChunk {
		x := src[lo:min(lo+maskChunk, len(src))]
		d := dst[lo : lo+len(x)]
		asm.Mul(d, x, (*sv)[:len(x)])
		forDropped(d, kept[lo>>6:], func(i int) { d[i] = 0 })
	}
	putScratch(sv)
}

// maskedAdd adds s·t to dst where the bit of kept is set, leaving the other
// elements exactly as they were (the sign of a zero included: they get
// −0 added). t is overwritten.
func maskedAdd(dst, t []float32, s float32, kept []uint64) {
	negZero := float32(math.Copysign(0, -1))
	for lo := 0; lo < len(t); lo += maskChunk {
		x := t[lo:min(lo+maskChunk, len(t))]
		asm.Scale(s, x)
		forDropped(x, kept[lo>>6:], func(i int) { x[i] = negZero })
		asm.Add(dst[lo:lo+len(x)], dst[lo:lo+len(x)], x)
	}
}

// forDropped calls f(i) for every index i < len(x) whose bit in kept is
// clear (kept[0] covers x[0:64]).
func forDropped(x []float32, kept []uint64, f func(i int)) {
	for w := 0; w < len(x); w += 64 {
		z := ^kept[w>>6]
		if m := len(x) - w; m < 64 {
			z &= 1<<m - 1
		}
		for z != 0 {
			f(w + bits.TrailingZeros64(z))
			z &= z - 1
		}
	}
}
