package llink

import (
	"fmt"
	"math"
	"slices"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/tensor"
)

// StageAWeights are the coefficients of the Stage A loss.
type StageAWeights struct {
	Dir     float32 `json:"dir"`      // direction MSE ‖p̂−ĥ‖² (paper: 0.05)
	LogNorm float32 `json:"log_norm"` // (log‖p‖−log‖h‖)² (paper: 0.02)
}

// DefaultStageAWeights returns the paper's coefficients.
func DefaultStageAWeights() StageAWeights { return StageAWeights{Dir: 0.05, LogNorm: 0.02} }

// StageALoss returns Stage A's objective for projections p [N, d] (on the
// tape) and teacher vectors h [N, d] (constants):
//
//	½[InfoNCE(p̂→ĥ ∪ negatives) + InfoNCE(ĥ→p̂)] + w.Dir·mean_i‖p̂ᵢ−ĥᵢ‖²
//	  + w.LogNorm·mean_i(log‖pᵢ‖ − log‖hᵢ‖)²
//
// where x̂ is x/‖x‖ and negatives [M, d] (may be nil) are extra unit-norm
// teacher vectors, e.g. the hardest entries of a [Queue].
func StageALoss(tp *autograd.Tape, p *autograd.Var, h *tensor.Tensor, negatives *tensor.Tensor, tau float32, w StageAWeights) *autograd.Var {
	return stageALoss(tp, p, h, negatives, tau, nil, w)
}

// stageALoss is [StageALoss]; with logScale non-nil the contrastive logits
// are cos·exp(logScale)/tau ([StageALossLearntTau]).
func stageALoss(tp *autograd.Tape, p *autograd.Var, h *tensor.Tensor, negatives *tensor.Tensor, tau float32, logScale *autograd.Var, w StageAWeights) *autograd.Var {
	if !tensor.SameShape(p.Value, h) || p.Value.Dims() != 2 {
		panic(fmt.Sprintf("llink.StageALoss: projections %v and teachers %v must be the same [N, d]", p.Shape(), h.Shape()))
	}
	n, d := h.Dim(0), h.Dim(1)
	pn := tp.L2Normalize(p, 1e-12)
	hn := autograd.Const(UnitRows(h))
	var neg *autograd.Var
	if negatives != nil && negatives.Dim(0) > 0 {
		neg = autograd.Const(negatives)
	}
	scaled := pn
	if logScale != nil {
		scaled = tp.Mul(pn, tp.Exp(logScale))
	}
	loss := tp.InfoNCE(scaled, hn, neg, tau, true)
	if w.Dir != 0 {
		// MSE averages over N·d elements; ×d gives the mean squared row distance.
		loss = tp.Add(loss, tp.Scale(tp.MSE(pn, hn), w.Dir*float32(d)))
	}
	if w.LogNorm != 0 {
		logp := tp.Scale(tp.Log(tp.AddScalar(tp.SumAxis(tp.Mul(p, p), -1, false), 1e-12)), 0.5)
		logh := tensor.New(n)
		for i := 0; i < n; i++ {
			logh.Data()[i] = float32(0.5 * math.Log(float64(asm.Dot(h.Row(i), h.Row(i)))+1e-12))
		}
		diff := tp.Sub(logp, autograd.Const(logh))
		loss = tp.Add(loss, tp.Scale(tp.Mean(tp.Mul(diff, diff)), w.LogNorm))
	}
	return loss
}

// UnitRows returns a copy of x [N, d] with unit-norm rows (zero rows stay
// zero).
func UnitRows(x *tensor.Tensor) *tensor.Tensor {
	out := x.Clone()
	for i := 0; i < out.Rows(); i++ {
		r := out.Row(i)
		s := asm.Dot(r, r)
		if s > 0 {
			asm.Scale(float32(1/math.Sqrt(float64(s))), r)
		}
	}
	return out
}

// Queue is a FIFO of the most recent teacher vectors (unit norm) with the
// ids of the pairs they came from, the source of hard negatives in Stage A.
type Queue struct {
	dim, cap int
	vecs     []float32
	ids      []int
	next, n  int
}

// NewQueue returns an empty queue holding up to capacity vectors of width dim.
func NewQueue(capacity, dim int) *Queue {
	return &Queue{dim: dim, cap: capacity, vecs: make([]float32, capacity*dim), ids: make([]int, capacity)}
}

// Len returns how many vectors the queue holds.
func (q *Queue) Len() int { return q.n }

// Push adds the rows of h [N, dim] (normalised on the way in) with their
// pair ids, evicting the oldest entries when full.
func (q *Queue) Push(h *tensor.Tensor, ids []int) {
	if q.cap == 0 {
		return
	}
	if h.Dim(1) != q.dim || h.Dim(0) != len(ids) {
		panic(fmt.Sprintf("llink.Queue.Push: %v vectors with %d ids into a queue of width %d", h.Shape(), len(ids), q.dim))
	}
	for i := 0; i < h.Dim(0); i++ {
		dst := q.vecs[q.next*q.dim : (q.next+1)*q.dim]
		copy(dst, h.Row(i))
		if s := asm.Dot(dst, dst); s > 0 {
			asm.Scale(float32(1/math.Sqrt(float64(s))), dst)
		}
		q.ids[q.next] = ids[i]
		q.next = (q.next + 1) % q.cap
		q.n = min(q.n+1, q.cap)
	}
}

// Hardest returns the (at most) m queue vectors most similar to any row of
// the batch projections p [N, dim] — each entry scored by its largest cosine
// with the batch — skipping entries whose pair id is in exclude (the
// batch's own positives). The result is [m', dim] with m' ≤ m, or nil.
func (q *Queue) Hardest(p *tensor.Tensor, m int, exclude []int) *tensor.Tensor {
	if q.n == 0 || m <= 0 {
		return nil
	}
	pn := UnitRows(p)
	sims := make([]float32, pn.Rows()*q.n)
	// sims[i, j] = p̂ᵢ·q̂ⱼ for the filled part of the ring.
	asm.Sgemm(false, true, pn.Rows(), q.n, q.dim, 1, pn.Data(), q.dim, q.vecs, q.dim, 0, sims, q.n)
	// Each entry's score is its largest cosine: the rows' maxima taken a
	// row at a time (contiguous reads; max is exact, so the order of the
	// rows does not matter).
	score := make([]float32, q.n)
	for j := range score {
		score[j] = float32(math.Inf(-1))
	}
	for i := 0; i < pn.Rows(); i++ {
		for j, v := range sims[i*q.n : (i+1)*q.n] {
			score[j] = max(score[j], v)
		}
	}
	skip := make(map[int]bool, len(exclude))
	for _, id := range exclude {
		skip[id] = true
	}
	cands := topEntries(score, m, func(j int) bool { return skip[q.ids[j]] })
	if len(cands) == 0 {
		return nil
	}
	out := tensor.New(len(cands), q.dim)
	for i, j := range cands {
		copy(out.Row(i), q.vecs[j*q.dim:(j+1)*q.dim])
	}
	return out
}

// topEntries returns the indices of the (at most) m highest scores, not
// counting those skip reports, best first, ties to the lower index: the
// first m of a sort by (score descending, index ascending), found by one
// pass that keeps the m best so far in a heap with the worst at its root.
func topEntries(score []float32, m int, skip func(j int) bool) []int {
	// worse orders the heap: a ranks below b.
	worse := func(a, b int) bool { return score[a] < score[b] || score[a] == score[b] && a > b }
	h := make([]int, 0, min(m, len(score)))
	down := func(i int) {
		for {
			w, l, r := i, 2*i+1, 2*i+2
			if l < len(h) && worse(h[l], h[w]) {
				w = l
			}
			if r < len(h) && worse(h[r], h[w]) {
				w = r
			}
			if w == i {
				return
			}
			h[i], h[w] = h[w], h[i]
			i = w
		}
	}
	for j := range score {
		switch {
		case skip(j):
		case len(h) < m:
			h = append(h, j)
			for i := len(h) - 1; i > 0 && worse(h[i], h[(i-1)/2]); i = (i - 1) / 2 {
				h[i], h[(i-1)/2] = h[(i-1)/2], h[i]
			}
		case worse(h[0], j):
			h[0] = j
			down(0)
		}
	}
	slices.SortFunc(h, func(a, b int) int {
		if worse(b, a) {
			return -1
		}
		return 1
	})
	return h
}

// Tau returns the temperature annealed linearly from start to end over
// steps (the paper: 0.17 → 0.08).
func Tau(step, steps int, start, end float32) float32 {
	if steps <= 1 {
		return end
	}
	f := float32(min(max(step, 0), steps-1)) / float32(steps-1)
	return start + (end-start)*f
}

// QueueState is a queue's full contents, for checkpoints.
type QueueState struct {
	Vecs []float32 // [capacity·dim] ring buffer
	IDs  []int     // [capacity]
	Next int       // ring position of the next push
	N    int       // entries filled
}

// State returns a copy of the queue's contents.
func (q *Queue) State() QueueState {
	return QueueState{Vecs: append([]float32(nil), q.vecs...), IDs: append([]int(nil), q.ids...), Next: q.next, N: q.n}
}

// SetState restores contents saved by [Queue.State] from a queue of the same
// capacity and width.
func (q *Queue) SetState(s QueueState) error {
	if len(s.Vecs) != len(q.vecs) || len(s.IDs) != len(q.ids) || s.Next < 0 || s.N < 0 || s.N > q.cap || (q.cap > 0 && s.Next >= q.cap) {
		return fmt.Errorf("llink: queue state of %d vectors/%d ids does not fit a queue of %d×%d", len(s.Vecs), len(s.IDs), q.cap, q.dim)
	}
	copy(q.vecs, s.Vecs)
	copy(q.ids, s.IDs)
	q.next, q.n = s.Next, s.N
	return nil
}
