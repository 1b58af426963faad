package autograd

import (
	"fmt"
	"math"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/tensor"
)

// AttnOpts configures [Tape.Attention].
type AttnOpts struct {
	// Causal lets query t attend key s only when s ≤ t + (S−T): the queries
	// are the last T of the S key positions (S == T without a KV cache).
	Causal bool
	// KeyMask, when non-nil, has B·S entries; false masks key s of batch row
	// b for every query (padding). A query with no visible key outputs zeros.
	KeyMask []bool
	// Scale multiplies q·k; 0 means 1/√D.
	Scale float32
}

// attnBlock is the number of query rows processed together: the scores
// scratch is attnBlock×S per (batch, kv head), so memory is O(T·d) per head
// plus that block, never T×T.
const attnBlock = 64

// attnGeom describes q [B, T, Hq, D] and k, v [B, ·, Hkv, D] with batch
// stride kbs (S·Hkv·D when contiguous, larger for a KV cache).
type attnGeom struct {
	b, t, s, hq, hkv, d, kbs int
	blk                      int // query rows per block: min(attnBlock, T)
	scale                    float32
	causal                   bool
	mask                     []bool
	// masked lists, per batch row, the key positions the mask hides, in
	// order (nil without a mask): padding is a few keys at one end, so the
	// scores visit those instead of testing every key of every row.
	masked [][]int32
}

func (g *attnGeom) qoff(bi, t, h int) int { return (bi*g.t+t)*g.hq*g.d + h*g.d }
func (g *attnGeom) koff(bi, kh int) int   { return bi*g.kbs + kh*g.d }

// visible returns how many leading keys rows t0..t0+rows−1 can see at most.
func (g *attnGeom) visible(t0, rows int) int {
	if !g.causal {
		return g.s
	}
	return max(0, min(g.s, t0+rows+g.s-g.t))
}

// scores fills sc [rows, sEnd] with scale·q·kᵀ and −Inf at masked keys.
func (g *attnGeom) scores(sc, q, k []float32, bi, h, t0, rows, sEnd int) {
	kh := h / (g.hq / g.hkv)
	asm.Sgemm(false, true, rows, sEnd, g.d, g.scale, q[g.qoff(bi, t0, h):], g.hq*g.d, k[g.koff(bi, kh):], g.hkv*g.d, 0, sc, sEnd)
	ninf := float32(math.Inf(-1))
	for r := 0; r < rows; r++ {
		row := sc[r*sEnd : (r+1)*sEnd]
		if g.causal {
			for s := t0 + r + g.s - g.t + 1; s < sEnd; s++ {
				row[s] = ninf
			}
		}
		if g.masked != nil {
			for _, s := range g.masked[bi] {
				if int(s) >= sEnd {
					break
				}
				row[s] = ninf
			}
		}
	}
}

// attnForward computes o = softmax(scale·q·kᵀ + mask)·v and the row
// log-sum-exps lse [B, Hq, T], one (batch, kv head) group per work item.
func attnForward(g *attnGeom, q, k, v, o, lse, scratch []float32) {
	rep := g.hq / g.hkv
	per := g.blk * g.s
	tensor.Parallel(g.b*g.hkv, func(item int) {
		bi, kh := item/g.hkv, item%g.hkv
		sc := scratch[item*per : (item+1)*per]
		for h := kh * rep; h < (kh+1)*rep; h++ {
			for t0 := 0; t0 < g.t; t0 += g.blk {
				rows := min(g.blk, g.t-t0)
				sEnd := g.visible(t0, rows)
				l := lse[(bi*g.hq+h)*g.t+t0:]
				if sEnd == 0 {
					for r := 0; r < rows; r++ {
						clear(o[g.qoff(bi, t0+r, h) : g.qoff(bi, t0+r, h)+g.d])
						l[r] = float32(math.Inf(-1))
					}
					continue
				}
				g.scores(sc, q, k, bi, h, t0, rows, sEnd)
				for r := 0; r < rows; r++ {
					l[r] = asm.Softmax(sc[r*sEnd : (r+1)*sEnd])
				}
				asm.Sgemm(false, false, rows, g.d, sEnd, 1, sc, sEnd, v[g.koff(bi, kh):], g.hkv*g.d, 0, o[g.qoff(bi, t0, h):], g.hq*g.d)
			}
		}
	})
}

// attnBackward accumulates dq, dk, dv (each may be nil) by recomputing the
// probabilities block by block from the saved log-sum-exps:
//
//	P = exp(scale·q·kᵀ − lse);  dP = dO·vᵀ;  dS = P ⊙ (dP − rowsum(dO⊙O))
//	dv += Pᵀ·dO;  dq += scale·dS·k;  dk += scale·dSᵀ·q
func attnBackward(g *attnGeom, q, k, v, o, lse, do, dq, dk, dv, scratch []float32) {
	rep := g.hq / g.hkv
	per := 2 * g.blk * g.s
	ones := scratch[g.b*g.hkv*per:][:g.s]
	for i := range ones {
		ones[i] = 1
	}
	tensor.Parallel(g.b*g.hkv, func(item int) {
		bi, kh := item/g.hkv, item%g.hkv
		sc := scratch[item*per : item*per+per/2]
		dp := scratch[item*per+per/2 : (item+1)*per]
		ko := g.koff(bi, kh)
		ld := g.hkv * g.d
		for h := kh * rep; h < (kh+1)*rep; h++ {
			for t0 := 0; t0 < g.t; t0 += g.blk {
				rows := min(g.blk, g.t-t0)
				sEnd := g.visible(t0, rows)
				if sEnd == 0 {
					continue
				}
				qo := g.qoff(bi, t0, h)
				g.scores(sc, q, k, bi, h, t0, rows, sEnd)
				l := lse[(bi*g.hq+h)*g.t+t0:]
				for r := 0; r < rows; r++ {
					row := sc[r*sEnd : (r+1)*sEnd]
					if math.IsInf(float64(l[r]), -1) {
						clear(row)
						continue
					}
					// row − l as row + (−l)·1: the product is exact, so the
					// one rounding is the subtraction's.
					asm.Axpy(-l[r], ones[:sEnd], row)
					asm.Exp(row, row)
				}
				if dv != nil {
					asm.Sgemm(true, false, sEnd, g.d, rows, 1, sc, sEnd, do[qo:], g.hq*g.d, 1, dv[ko:], ld)
				}
				if dq == nil && dk == nil {
					continue
				}
				asm.Sgemm(false, true, rows, sEnd, g.d, 1, do[qo:], g.hq*g.d, v[ko:], ld, 0, dp, sEnd)
				for r := 0; r < rows; r++ {
					off := g.qoff(bi, t0+r, h)
					di := asm.Dot(do[off:off+g.d], o[off:off+g.d])
					p, d := sc[r*sEnd:(r+1)*sEnd], dp[r*sEnd:(r+1)*sEnd]
					asm.Axpy(-di, ones[:sEnd], d) // d − di, exactly
					asm.Mul(d, p, d)
				}
				if dq != nil {
					asm.Sgemm(false, false, rows, g.d, sEnd, g.scale, dp, sEnd, k[ko:], ld, 1, dq[qo:], g.hq*g.d)
				}
				if dk != nil {
					asm.Sgemm(true, false, sEnd, g.d, rows, g.scale, dp, sEnd, q[qo:], g.hq*g.d, 1, dk[ko:], ld)
				}
			}
		}
	})
}

func newGeom(op string, q *tensor.Tensor, k, v *tensor.Tensor, s int, opts AttnOpts) *attnGeom {
	if q.Dims() != 4 || k.Dims() != 4 || !tensor.SameShape(k, v) {
		panic(fmt.Sprintf("autograd.%s: want q [B,T,Hq,D], k and v [B,S,Hkv,D]; got %v, %v, %v", op, q.Shape(), k.Shape(), v.Shape()))
	}
	g := &attnGeom{b: q.Dim(0), t: q.Dim(1), hq: q.Dim(2), d: q.Dim(3), s: s, hkv: k.Dim(2),
		causal: opts.Causal, mask: opts.KeyMask, scale: opts.Scale}
	g.kbs = k.Dim(1) * g.hkv * g.d
	if k.Dim(0) != g.b || k.Dim(3) != g.d || g.hkv == 0 || g.hq%g.hkv != 0 || s > k.Dim(1) {
		panic(fmt.Sprintf("autograd.%s: q %v does not fit k/v %v (S=%d)", op, q.Shape(), k.Shape(), s))
	}
	if g.causal && g.t > s {
		panic(fmt.Sprintf("autograd.%s: causal with %d queries but only %d keys", op, g.t, s))
	}
	if g.mask != nil && len(g.mask) != g.b*s {
		panic(fmt.Sprintf("autograd.%s: key mask has %d entries, want B·S = %d·%d", op, len(g.mask), g.b, s))
	}
	g.blk = max(1, min(attnBlock, g.t))
	if g.mask != nil {
		g.masked = make([][]int32, g.b)
		for bi := range g.b {
			for j, ok := range g.mask[bi*s : (bi+1)*s] {
				if !ok {
					g.masked[bi] = append(g.masked[bi], int32(j))
				}
			}
		}
	}
	if g.scale == 0 {
		g.scale = float32(1 / math.Sqrt(float64(g.d)))
	}
	return g
}

// Attention is fused scaled-dot-product attention with grouped-query heads:
// query head h uses kv head h/(Hq/Hkv) (Hugging Face's repeat_kv). It works
// on the [B, T, H, D] layout that the projections produce, so no transposes
// are needed around it, and keeps only the log-sum-exp per query row for the
// backward pass, which recomputes the probabilities block by block (memory
// O(T·D) per head, not O(T²)).
//
//	q [B, T, Hq, D], k, v [B, S, Hkv, D] → [B, T, Hq, D]
func (tp *Tape) Attention(q, k, v *Var, opts AttnOpts) *Var {
	g := newGeom("Attention", q.Value, k.Value, v.Value, k.Value.Dim(1), opts)
	out := tp.empty(q.Shape()...)
	lse := tp.empty(g.b * g.hq * g.t).Data()
	scratch := tp.empty(g.b * g.hkv * g.blk * g.s).Data()
	attnForward(g, q.Data(), k.Data(), v.Data(), out.Data(), lse, scratch)
	y := tp.newVar(out, tp.needs(q, k, v))
	if y.requires {
		tp.record(func() {
			dy := y.Grad
			if dy == nil {
				return
			}
			var dq, dk, dv []float32
			if q.requires {
				dq = tp.grad(q).Data()
			}
			if k.requires {
				dk = tp.grad(k).Data()
			}
			if v.requires {
				dv = tp.grad(v).Data()
			}
			scratch := tp.empty(2*g.b*g.hkv*g.blk*g.s + g.s).Data()
			attnBackward(g, q.Data(), k.Data(), v.Data(), out.Data(), lse, dy.Data(), dq, dk, dv, scratch)
		})
	}
	return y
}

// AttentionCached is inference-only [Tape.Attention] against a KV cache: k
// and v are [B, capacity, Hkv, D] buffers of which the first s positions are
// filled; q holds the newest T ≤ s positions. KeyMask, if set, has B·s
// entries. Scratch and the result come from arena (nil: fresh).
func AttentionCached(arena *tensor.Arena, q, k, v *tensor.Tensor, s int, opts AttnOpts) *tensor.Tensor {
	g := newGeom("AttentionCached", q, k, v, s, opts)
	out := arena.Empty(q.Shape()...)
	lse := arena.Empty(g.b * g.hq * g.t).Data()
	scratch := arena.Empty(g.b * g.hkv * g.blk * g.s).Data()
	attnForward(g, q.Data(), k.Data(), v.Data(), out.Data(), lse, scratch)
	return out
}
