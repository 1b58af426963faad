package asm

// The SwiGLU unit's float32 kernels: the forward silu(g)·u with the
// sigmoid in float32 (SwiGLU32, opt-in: SiLU computes in float64), and the
// backward pass's gradients in one sweep (SwiGLUBackward, which rounds as
// the separate passes it replaces). Each level's assembly covers whole
// groups of 16 elements; the rest, and levels without it, run the Go code
// below, built from the level's own exp kernel and float32 operations in
// the same order (the backward as passes of the level's vector kernels), so
// on a level it equals that level's assembly bit for bit.

// swigluChunk is how many elements the twins take per call of the level's
// exp kernel (their scratch stays on the stack).
const swigluChunk = 256

// SwiGLU32 computes dst[i] = silu(g[i])·u[i] in float32 arithmetic:
// e = e^(0−g) by the level's [Exp], then g/(1+e), then the product, each
// rounded to float32 — within a few ulp of SiLU's float64 evaluation, not
// bit for bit, and about four times faster on AVX-512. A nil u gives
// silu(g) alone. dst may alias g or u.
func SwiGLU32(dst, g, u []float32) {
	checkLen("SwiGLU32", len(dst), "g", len(g))
	if u != nil {
		checkLen("SwiGLU32", len(dst), "u", len(u))
		u = u[:len(dst)]
	}
	n := 0
	if cur.swiglu32 != nil {
		n = len(dst) &^ 15
		var un []float32
		if u != nil {
			un = u[:n]
		}
		cur.swiglu32(dst[:n], g[:n], un)
	}
	if n < len(dst) {
		var ur []float32
		if u != nil {
			ur = u[n:]
		}
		swiglu32Go(cur, dst[n:], g[n:len(dst)], ur)
	}
}

// swiglu32Go is SwiGLU32's twin on k's exp kernel.
func swiglu32Go(k *kernels, dst, g, u []float32) {
	var e [swigluChunk]float32
	for lo := 0; lo < len(dst); lo += swigluChunk {
		hi := min(lo+swigluChunk, len(dst))
		ec := negExp(k, e[:hi-lo], g[lo:hi])
		for i, v := range g[lo:hi] {
			y := v / (1 + ec[i])
			if u != nil {
				y *= u[lo+i]
			}
			dst[lo+i] = y
		}
	}
}

// negExp sets e[i] = e^(0 − g[i]) by k's exp kernel and returns e.
func negExp(k *kernels, e, g []float32) []float32 {
	for i, v := range g {
		e[i] = 0 - v
	}
	k.exp(e, e)
	return e
}

// SwiGLUBackward computes the gradients of y = silu(g)·u for the output
// gradient dy:
//
//	s = 1/(1 + e^(−g)),  dg = dy·u·s·(1 + g·(1−s)),  du = dy·g·s
//
// into dg and du (each nil when not wanted), added to what they hold when
// addG/addU. The sigmoid is the level's [Exp] of the negated gate, plus one,
// inverted; every product and sum is rounded to float32 in the order the
// expressions are written (no fused multiply-add), so the results are
// those of running each operation as its own pass of the vector kernels.
func SwiGLUBackward(dg, du []float32, addG, addU bool, dy, g, u []float32) {
	n := len(dy)
	checkLen("SwiGLUBackward", n, "g, u", len(g), len(u))
	mode := 0
	if dg != nil {
		checkLen("SwiGLUBackward", n, "dg", len(dg))
		mode |= 1
		if addG {
			mode |= 2
		}
	}
	if du != nil {
		checkLen("SwiGLUBackward", n, "du", len(du))
		mode |= 4
		if addU {
			mode |= 8
		}
	}
	if mode == 0 {
		return
	}
	if cur.swigluBack == nil {
		swigluBackPasses(cur, dg, du, dy, g, u[:n], mode)
		return
	}
	done := n &^ 15
	cur.swigluBack(dg, du, dy[:done], g, u, mode)
	if done < n {
		var dgr, dur []float32
		if dg != nil {
			dgr = dg[done:n]
		}
		if du != nil {
			dur = du[done:n]
		}
		swigluBackGo(cur, dgr, dur, dy[done:n], g[done:n], u[done:n], mode)
	}
}

// swigluBackGo is SwiGLUBackward's twin on k's exp kernel; mode as
// swigluBackAVX512's. The float32 conversions keep each product its own
// rounding on architectures whose compilers would fuse a multiply-add.
func swigluBackGo(k *kernels, dg, du, dy, g, u []float32, mode int) {
	var e [swigluChunk]float32
	for lo := 0; lo < len(dy); lo += swigluChunk {
		hi := min(lo+swigluChunk, len(dy))
		ec := negExp(k, e[:hi-lo], g[lo:hi])
		for i := range ec {
			j := lo + i
			s := 1 / (1 + ec[i])
			if mode&1 != 0 {
				t := 1 + float32(g[j]*(1-s))
				v := float32(float32(float32(dy[j]*u[j])*s) * t)
				if mode&2 != 0 {
					v += dg[j]
				}
				dg[j] = v
			}
			if mode&4 != 0 {
				v := float32(float32(dy[j]*g[j]) * s)
				if mode&8 != 0 {
					v += du[j]
				}
				du[j] = v
			}
		}
	}
}

// swigluBackPasses is swigluBackGo as passes of k's vector kernels over
// chunks (the division scalar): the same operations in the same order, so
// the same bits, for levels without the fused assembly.
func swigluBackPasses(k *kernels, dg, du, dy, g, u []float32, mode int) {
	var scratch [4 * swigluChunk]float32
	ones := scratch[3*swigluChunk:]
	for i := range ones {
		ones[i] = 1
	}
	for lo := 0; lo < len(dy); lo += swigluChunk {
		hi := min(lo+swigluChunk, len(dy))
		m := hi - lo
		s, t, w, one := scratch[:m], scratch[swigluChunk:swigluChunk+m], scratch[2*swigluChunk:2*swigluChunk+m], ones[:m]
		gc, yc := g[lo:hi], dy[lo:hi]
		negExp(k, s, gc)
		k.add(s, s, one)
		for i, e := range s {
			s[i] = 1 / e
		}
		if mode&1 != 0 {
			for i, v := range s {
				t[i] = 1 - v
			}
			k.mul(t, gc, t)
			k.add(t, one, t)
			k.mul(w, yc, u[lo:hi])
			k.mul(w, w, s)
			passStore(k, dg[lo:hi], w, t, mode&2 != 0)
		}
		if mode&4 != 0 {
			k.mul(w, yc, gc)
			passStore(k, du[lo:hi], w, s, mode&8 != 0)
		}
	}
}

// passStore writes x·y into dst, or adds it (x·y + dst, x overwritten)
// when add.
func passStore(k *kernels, dst, x, y []float32, add bool) {
	if add {
		k.mul(x, x, y)
		k.add(dst, x, dst)
	} else {
		k.mul(dst, x, y)
	}
}
