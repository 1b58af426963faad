package autograd

import (
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/tensor"
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
					masked(asm.MaskedScale, dx.Data(), g.Data(), scale, kept)
				} else {
					masked(asm.MaskedAddScaled, dx.Data(), g.Data(), scale, kept)
				}
			}
		})
	}
	return y
}

// dropInto writes src with dropout applied into dst and returns the mask —
// bit i set when element i is kept — with the survivors' scale 1/(1−p).
// One 64-bit draw decides four elements: each 16-bit chunk u drops its
// element when u < p·2¹⁶ (p is used to a resolution of 2⁻¹⁶). The draws
// are taken a chunk at a time into a buffer, turned into mask bits by
// [asm.DropoutMask] (a vector compare of the chunks), and the mask applied
// in one sweep by [asm.MaskedScale]: a branch per element cost a tenth of a
// LoRA fine-tuning step.
func dropInto(dst, src []float32, p float32, rng *rand.Rand) (kept []uint64, scale float32) {
	n := len(src)
	kept = make([]uint64, (n+63)/64)
	scale = 1 / (1 - p)
	drop := uint64(float64(p)*65536 + 0.5)
	if drop > 0xffff { // p within 2⁻¹⁷ of 1: every 16-bit chunk is below it
		asm.MaskedScale(dst, src, scale, kept)
		for range (n + 3) / 4 {
			rng.Uint64() // the same draws
		}
		return kept, scale
	}
	d := drawPool.Get().(*[drawChunk / 4]uint64)
	for lo := 0; lo < n; lo += drawChunk {
		m := min(drawChunk, n-lo)
		draws := d[:(m+3)/4]
		for i := range draws {
			draws[i] = rng.Uint64()
		}
		asm.DropoutMask(kept[lo/64:], draws, m, uint16(drop))
	}
	drawPool.Put(d)
	masked(asm.MaskedScale, dst, src, scale, kept)
	return kept, scale
}

// drawChunk is how many elements' draws dropInto takes at a time (a
// multiple of 64, so each chunk fills whole mask words; 8 KiB of draws).
const drawChunk = 4096

// drawPool holds dropInto's draw buffers.
var drawPool = sync.Pool{New: func() any { return new([drawChunk / 4]uint64) }}

// masked runs a masked kernel ([asm.MaskedScale] or [asm.MaskedAddScaled])
// over the threads in whole mask words: each element's result depends on
// its own inputs only, so the split changes no bit.
func masked(kernel func(dst, src []float32, s float32, kept []uint64), dst, src []float32, s float32, kept []uint64) {
	blocks := rowBlocks(len(kept), 64)
	tensor.Parallel(len(blocks), func(b int) {
		lo, hi := 64*blocks[b].lo, min(64*blocks[b].hi, len(dst))
		kernel(dst[lo:hi], src[lo:hi], s, kept[blocks[b].lo:])
	})
}
