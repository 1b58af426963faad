package llama

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/tensor"
)

// Model is a Llama decoder with its weights.
type Model struct {
	Config Config
	// Emb is the token embedding table [vocab, d] (the Weight layout is
	// [out, in], so the tied LM head is Emb itself).
	Emb *Weight
	// Layers are the decoder blocks.
	Layers []*Layer
	// Norm is the final RMSNorm gain [d].
	Norm *tensor.Tensor
	// Head is the untied LM head [vocab, d]; nil when the embeddings are tied.
	Head *Weight

	// FastSiLU computes the MLP's SiLU with a float32 sigmoid
	// ([asm.SwiGLU32]) instead of float64 ([asm.SiLU]), in forward passes
	// and in [Model.ForwardTape]: faster, within a few ulp, not the same
	// bits. Off by default, so results stay those of earlier runs.
	FastSiLU bool

	inv    []float32  // RoPE inverse frequencies
	rope   *ropeCache // cos and sin of the positions seen, from inv
	closer func() error
	gains  map[*tensor.Tensor]*autograd.Var // RMSNorm gains made trainable
	phases *PhaseTimes                      // attached by SetPhaseTimes, or nil
}

// Layer is one decoder block: pre-norm attention and pre-norm SwiGLU MLP,
// each added to the residual stream.
type Layer struct {
	AttnNorm, MLPNorm *tensor.Tensor // RMSNorm gains [d]
	Q, K, V, O        *Weight        // [heads·hd, d], [kv·hd, d], [kv·hd, d], [d, heads·hd]
	Gate, Up, Down    *Weight        // [ffn, d], [ffn, d], [d, ffn]
}

// Projections returns the layer's projections by their Hugging Face names
// (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj): the LoRA
// targets.
func (l *Layer) Projections() map[string]*Weight {
	return map[string]*Weight{
		"q_proj": l.Q, "k_proj": l.K, "v_proj": l.V, "o_proj": l.O,
		"gate_proj": l.Gate, "up_proj": l.Up, "down_proj": l.Down,
	}
}

// New returns a model with random weights drawn from r (normal, std 0.02 as
// Hugging Face initialises; norm gains 1). It panics on an invalid config.
func New(c Config, r *rand.Rand) *Model { return newModel(c, r, false) }

// NewBF16 is [New] with the matrices stored as bfloat16, each rounded as
// soon as it is drawn: the same values as New followed by ToBF16, without
// ever holding the float32 model (what a bf16 checkpoint load costs).
func NewBF16(c Config, r *rand.Rand) *Model { return newModel(c, r, true) }

func newModel(c Config, r *rand.Rand, bf16 bool) *Model {
	if err := c.Validate(); err != nil {
		panic(err)
	}
	d, f := c.Hidden, c.Intermediate
	q, kv := c.Heads*c.HeadDim, c.KVHeads*c.HeadDim
	w := func(out, in int) *Weight {
		x := &Weight{W: tensor.RandN(r, 0.02, out, in)}
		if bf16 {
			x.ToBF16()
		}
		return x
	}
	m := &Model{Config: c, Emb: w(c.VocabSize, d), Norm: tensor.Full(1, d)}
	for range c.Layers {
		m.Layers = append(m.Layers, &Layer{
			AttnNorm: tensor.Full(1, d), MLPNorm: tensor.Full(1, d),
			Q: w(q, d), K: w(kv, d), V: w(kv, d), O: w(d, q),
			Gate: w(f, d), Up: w(f, d), Down: w(d, f),
		})
	}
	if !c.TieWordEmbeddings {
		m.Head = w(c.VocabSize, d)
	}
	m.init()
	return m
}

func (m *Model) init() { m.inv, m.rope = invFreq(m.Config), new(ropeCache) }

// Close releases the memory-mapped checkpoint behind bf16 weights loaded
// without a copy. The model must not be used afterwards.
func (m *Model) Close() error {
	if m.closer == nil {
		return nil
	}
	err := m.closer()
	m.closer = nil
	return err
}

// LMHead returns the matrix logits are computed with: Head, or Emb when
// the embeddings are tied.
func (m *Model) LMHead() *Weight {
	if m.Head != nil {
		return m.Head
	}
	return m.Emb
}

// ToBF16 stores every projection, the embedding table and the head as
// bfloat16 (norm gains stay float32).
func (m *Model) ToBF16() {
	m.Emb.ToBF16()
	if m.Head != nil {
		m.Head.ToBF16()
	}
	for _, l := range m.Layers {
		for _, w := range l.Projections() {
			w.ToBF16()
		}
	}
}

// Bytes returns the memory the weights take.
func (m *Model) Bytes() int64 {
	n := m.Emb.Bytes() + 4*int64(m.Norm.Len())
	if m.Head != nil {
		n += m.Head.Bytes()
	}
	for _, l := range m.Layers {
		for _, w := range l.Projections() {
			n += w.Bytes()
		}
		n += 4 * int64(l.AttnNorm.Len()+l.MLPNorm.Len())
	}
	return n
}

// Batch is a rectangular batch of B sequences of T tokens. Mask marks real
// tokens (true) and padding (false); a nil mask means every token is real.
type Batch struct {
	B, T int
	IDs  []int  // [B·T] token ids (padding slots hold any valid id)
	Mask []bool // [B·T] or nil
}

// PadLeft packs seqs into a batch padded on the left with pad (the layout
// generation needs: every row ends at the last column).
func PadLeft(seqs [][]int, pad int) Batch { return padBatch(seqs, pad, true) }

// PadRight packs seqs into a batch padded on the right with pad.
func PadRight(seqs [][]int, pad int) Batch { return padBatch(seqs, pad, false) }

func padBatch(seqs [][]int, pad int, left bool) Batch {
	t := 0
	for _, s := range seqs {
		t = max(t, len(s))
	}
	b := Batch{B: len(seqs), T: t, IDs: make([]int, len(seqs)*t), Mask: make([]bool, len(seqs)*t)}
	for i, s := range seqs {
		off := i * t
		if left {
			off += t - len(s)
		}
		for j := range b.IDs[i*t : (i+1)*t] {
			b.IDs[i*t+j] = pad
		}
		copy(b.IDs[off:], s)
		for j := range s {
			b.Mask[off+j] = true
		}
	}
	return b
}

// Embed looks up the embeddings of ids, returning [len(ids), d]; reshape to
// [B, T, d] as needed. It panics on an id outside the vocabulary.
func (m *Model) Embed(ids []int) *tensor.Tensor {
	d := m.Config.Hidden
	out := tensor.New(len(ids), d)
	m.embedInto(out.Data(), ids)
	return out
}

func (m *Model) embedInto(dst []float32, ids []int) {
	d, v := m.Config.Hidden, m.Emb.Out()
	for i, id := range ids {
		if id < 0 || id >= v {
			panic(fmt.Sprintf("llama: token id %d outside the vocabulary [0, %d)", id, v))
		}
		row := dst[i*d : (i+1)*d]
		if q := m.Emb.Q; q != nil {
			q.DequantizeRows(row, id, id+1)
		} else if m.Emb.H != nil {
			asm.BF16ToF32Slice(row, m.Emb.H.Data()[id*d:(id+1)*d])
		} else {
			copy(row, m.Emb.W.Row(id))
		}
	}
}

// Forward embeds the batch's ids and runs [Model.ForwardEmbeds].
func (m *Model) Forward(b Batch, cache *Cache) *tensor.Tensor {
	t := m.phases.start()
	x := m.Embed(b.IDs).Reshape(b.B, b.T, m.Config.Hidden)
	m.phases.end(PhaseEmbed, t)
	return m.ForwardEmbeds(x, b.Mask, cache)
}

// ForwardEmbeds runs the decoder on input embeddings x [B, T, d] (mask
// [B·T] or nil, as in [Batch]) and returns the final-normed hidden states
// [B, T, d]. With a cache the tokens are appended to the ones it holds
// (incremental decoding); a nil cache is a fresh one. Rows at padding
// positions of the result are unspecified.
func (m *Model) ForwardEmbeds(x *tensor.Tensor, mask []bool, cache *Cache) *tensor.Tensor {
	return m.forwardEmbeds(x, mask, cache, nil)
}

// forwardEmbeds is ForwardEmbeds; hook, if non-nil, sees the residual
// stream [B·T·d] before the first block (layer 0) and after each block l
// (layer l+1). It must not keep h.
func (m *Model) forwardEmbeds(x *tensor.Tensor, mask []bool, cache *Cache, hook func(layer int, h []float32)) *tensor.Tensor {
	c := m.Config
	if x.Dims() != 3 || x.Dim(2) != c.Hidden {
		panic(fmt.Sprintf("llama.ForwardEmbeds: input shape %v, want [B, T, %d]", x.Shape(), c.Hidden))
	}
	B, T := x.Dim(0), x.Dim(1)
	if mask != nil && len(mask) != B*T {
		panic(fmt.Sprintf("llama.ForwardEmbeds: mask has %d entries for a [%d, %d] batch", len(mask), B, T))
	}
	pt := m.phases
	t := pt.start()
	if cache == nil {
		cache = m.tempCache(B, T)
		defer tempCaches.Put(cache)
	}
	if cache.B != B {
		panic(fmt.Sprintf("llama.ForwardEmbeds: cache holds %d rows, batch has %d", cache.B, B))
	}
	pos := cache.append(T, mask)
	cos, sin := m.rope.table(m.inv, pos)
	// A temporary cache is read by this pass alone: its attention reads the
	// keys and values where the projections wrote them instead of storing
	// each head transposed first (the same products, so the same bits). A
	// prompt of at most rowKVMinT tokens keeps the transposed store, whose
	// score product runs on the packed GEMM; read from rows it would take
	// asm's few-row dot-product path, which sums in another order.
	rowKV := cache.temp && T > rowKVMinT
	if !rowKV {
		cache.ensureKV()
	}

	N, d := B*T, c.Hidden
	h := x.Clone().Data()
	qd, kvd := c.Heads*c.HeadDim, c.KVHeads*c.HeadDim
	// Activation buffers, each fully overwritten before it is read: a
	// decoding step reuses the cache's instead of allocating its own.
	buf := cache.scratch(N, N*(2*d+2*qd+2*kvd+2*c.Intermediate))
	next := func(n int) []float32 {
		s := buf[:n:n]
		buf = buf[n:]
		return s
	}
	a, q, k, v, att := next(N*d), next(N*qd), next(N*kvd), next(N*kvd), next(N*qd)
	g, u := next(N*c.Intermediate), next(N*c.Intermediate)
	eps := float32(c.RMSNormEps)
	if hook != nil {
		hook(0, h)
	}
	t = pt.end(PhaseSetup, t)
	half, f := c.HeadDim/2, c.Intermediate
	for li, l := range m.Layers {
		eachRows(N, d, func(r0, r1 int) { rmsRows(a[r0*d:r1*d], h[r0*d:r1*d], l.AttnNorm.Data(), d, eps) })
		t = pt.end(PhaseNorm, t)
		applyEach(a, N, [3]*Weight{l.Q, l.K, l.V}, [3][]float32{q, k, v})
		t = pt.end(PhaseQKV, t)
		eachRows(N, qd+3*kvd, func(r0, r1 int) {
			cr, sr := cos[r0*half:r1*half], sin[r0*half:r1*half]
			ropeRows(q[r0*qd:r1*qd], cr, sr, c.Heads, c.HeadDim)
			ropeRows(k[r0*kvd:r1*kvd], cr, sr, c.KVHeads, c.HeadDim)
			if !rowKV {
				cache.store(li, k, v, T, r0, r1)
			}
		})
		t = pt.end(PhaseRoPE, t)
		if rowKV {
			m.attention(att, q, k, v, cache, li, T)
		} else {
			m.attention(att, q, nil, nil, cache, li, T)
		}
		t = pt.end(PhaseAttention, t)
		l.O.applyInto(a, att, N)
		t = pt.end(PhaseOut, t)
		asm.Add(h, h, a)
		t = pt.end(PhaseResidual, t)

		eachRows(N, d, func(r0, r1 int) { rmsRows(a[r0*d:r1*d], h[r0*d:r1*d], l.MLPNorm.Data(), d, eps) })
		t = pt.end(PhaseNorm, t)
		applyEach(a, N, [3]*Weight{l.Gate, l.Up}, [3][]float32{g, u})
		t = pt.end(PhaseGateUp, t)
		eachRows(N, 2*f, func(r0, r1 int) {
			for r := r0; r < r1; r++ { // a row at a time: g's row is still in L1 for the product
				gr, ur := g[r*f:(r+1)*f], u[r*f:(r+1)*f]
				if m.FastSiLU {
					asm.SwiGLU32(gr, gr, ur)
					continue
				}
				asm.SiLU(gr, gr)
				asm.Mul(gr, gr, ur)
			}
		})
		t = pt.end(PhaseSwiGLU, t)
		l.Down.applyInto(a, g, N)
		t = pt.end(PhaseDown, t)
		asm.Add(h, h, a)
		t = pt.end(PhaseResidual, t)
		if hook != nil {
			hook(li+1, h)
			t = pt.start()
		}
	}
	cache.commit(T)
	rmsRows(h, h, m.Norm.Data(), d, eps)
	pt.end(PhaseFinalNorm, t)
	return tensor.FromSlice(h, B, T, d)
}

// Logits returns h·headᵀ for final-normed hidden states h [..., d]: logits
// [..., vocab], in a new tensor ([Model.LogitsInto] reuses one).
func (m *Model) Logits(h *tensor.Tensor) *tensor.Tensor {
	return m.LogitsInto(tensor.New(h.Rows()*m.LMHead().Out()), h)
}

// LogitsInto is [Model.Logits] writing into dst, which must hold
// h.Rows()·vocab floats (it is reshaped to h's shape with vocab columns),
// or be nil for a new tensor; it returns the logits. Reusing dst across
// calls saves allocating — and, for a long batch, faulting in — a
// rows×vocab buffer per call (1,024 positions of a 32,000-token vocabulary
// are 131 MB: allocating them costs more than the GEMM filling them).
func (m *Model) LogitsInto(dst, h *tensor.Tensor) *tensor.Tensor {
	head := m.LMHead()
	n := h.Rows() * head.Out()
	if dst == nil {
		dst = tensor.New(n)
	}
	if dst.Len() != n {
		panic(fmt.Sprintf("llama.LogitsInto: dst %v holds %d floats, want %d for h %v", dst.Shape(), dst.Len(), n, h.Shape()))
	}
	shape := append([]int(nil), h.Shape()...)
	shape[len(shape)-1] = head.Out()
	out := tensor.FromSlice(dst.Data(), shape...)
	t := m.phases.start()
	head.applyInto(out.Data(), h.Data(), h.Rows())
	m.phases.end(PhaseHead, t)
	return out
}

// eachRows runs f over the rows [0, n) of a forward pass's activations,
// each about width floats of work: on the calling goroutine for a decoding
// step's few rows, in up to asm.Threads() contiguous ranges of at least
// parallelElems floats for a prompt's, so that the work between its GEMMs —
// norms, RoPE and the cache's transposing stores, SwiGLU; 4–6% of a
// one-thread 1B prompt — does not leave the other threads idle. (The
// residual adds stay on the caller: waking a thread costs about as much.)
// f must touch only its rows; then the split changes no result.
func eachRows(n, width int, f func(r0, r1 int)) {
	parts := min(asm.Threads(), n, n*width/parallelElems)
	if parts <= 1 {
		f(0, n)
		return
	}
	tensor.Parallel(parts, func(p int) { f(p*n/parts, (p+1)*n/parts) })
}

// parallelElems is the least work, in floats, eachRows hands a thread:
// tens of microseconds for RMSNorm, about what waking a thread costs. A
// variable so that tests can split small prompts.
var parallelElems = 1 << 16

// rmsRows applies RMSNorm with gain w to each row of x (length d) into dst.
func rmsRows(dst, x, w []float32, d int, eps float32) {
	for r := 0; r < len(x)/d; r++ {
		asm.RMSNorm(dst[r*d:(r+1)*d], x[r*d:(r+1)*d], w, eps)
	}
}

// ropeRows rotates every head of every row of x [rows, heads·hd].
func ropeRows(x, cos, sin []float32, heads, hd int) {
	half := hd / 2
	rows := len(x) / (heads * hd)
	for r := range rows {
		cr, sr := cos[r*half:(r+1)*half], sin[r*half:(r+1)*half]
		for h := range heads {
			off := (r*heads + h) * hd
			applyRope(x[off:off+hd], cr, sr)
		}
	}
}

// attention computes softmax(q·Kᵀ/√hd + mask)·V for the T new queries of
// every row and head against all keys in the cache, writing [B·T, heads·hd].
// The cache holds each head's keys and values transposed ([hd, cap]), so a
// single query (decoding) needs no packing: its scores are hd AXPYs over the
// keys (each score summed over d in order with one FMA per term, as the GEMM
// micro-kernel of the T > 1 path does) and its output hd dot products.
// With rows k and v ([B·T, kv heads·hd], as the projections wrote them) and
// an empty cache, the keys and values are read from them instead: the same
// products with B's layout exchanged, which the packed GEMM sums in the
// same order.
func (m *Model) attention(dst, q, k, v []float32, cache *Cache, layer, T int) {
	c := m.Config
	hd, H := c.HeadDim, c.Heads
	rep := H / c.KVHeads
	qd, kvd := H*hd, c.KVHeads*hd
	past := cache.len
	S := past + T
	ld := cache.cap
	if k != nil && past != 0 {
		panic("llama: attention on rows with a non-empty cache")
	}
	scale := float32(1 / math.Sqrt(float64(hd)))
	negInf := float32(math.Inf(-1))
	head := func(i int) {
		b, h := i/H, i%H
		kvh := h / rep
		var K, V []float32
		if k == nil {
			K, V = cache.kv(layer, b, kvh)
		}
		buf := scorePool.Get().(*[]float32)
		defer scorePool.Put(buf)
		if cap(*buf) < T*S {
			*buf = make([]float32, T*S)
		}
		sc := (*buf)[:T*S] // what no product writes, the mask below does
		qo := b*T*qd + h*hd
		blocks := causalBlocks(T, k != nil)
		if T == 1 {
			clear(sc)
			for d, qv := range q[qo : qo+hd] {
				asm.Axpy(qv, K[d*ld:d*ld+S], sc)
			}
			asm.Scale(scale, sc)
		} else if k != nil {
			for _, bl := range blocks { // rows t0..t1-1 score the keys 0..t1-1 only
				t0, t1 := bl[0], bl[1]
				asm.Sgemm(false, true, t1-t0, t1, hd, scale, q[qo+t0*qd:], qd, k[b*T*kvd+kvh*hd:], kvd, 0, sc[t0*S:], S)
			}
		} else {
			asm.Sgemm(false, false, T, S, hd, scale, q[qo:], qd, K, ld, 0, sc, S)
		}
		valid := cache.valid[b*cache.cap : b*cache.cap+S]
		for t := range T {
			row := sc[t*S : (t+1)*S]
			for j := range row {
				if j > past+t || !valid[j] {
					row[j] = negInf
				}
			}
			asm.Softmax(row)
		}
		if T == 1 {
			out := dst[qo : qo+hd]
			for d := range out {
				out[d] = asm.Dot(sc, V[d*ld:d*ld+S])
			}
			return
		}
		if k != nil {
			for _, bl := range blocks { // the probabilities past t1-1 are zeros
				t0, t1 := bl[0], bl[1]
				asm.Sgemm(false, false, t1-t0, hd, t1, 1, sc[t0*S:], S, v[b*T*kvd+kvh*hd:], kvd, 0, dst[qo+t0*qd:], qd)
			}
			return
		}
		asm.Sgemm(false, true, T, hd, S, 1, sc, S, V, ld, 0, dst[qo:], qd)
	}
	n := cache.B * H
	if n*T*S*hd < attnParallelWork {
		for i := range n {
			head(i)
		}
		return
	}
	tensor.Parallel(n, head)
}

// causalBlocks splits the T queries of a prompt whose attention reads rows
// (rows, past = 0) into blocks of about causalRows, [t0, t1) each: a
// block's queries see only the keys before t1, so its scores and weighted
// values are products over t1 keys instead of T — the causal half of the
// work skipped. It is exact: a score is its own dot product whatever the
// block, and the weighted values drop only trailing terms whose weights
// are exact zeros, summed by asm's GEMM in one chain in key order (its
// inner-dimension block, 512, exceeds causalMaxT). Longer prompts, and
// passes over the cache, run as one block [0, T). Every block has more
// rows than rowKVMinT, so none takes the few-row path.
func causalBlocks(T int, rows bool) [][2]int {
	if !rows || T > causalMaxT || T <= causalRows {
		return [][2]int{{0, T}}
	}
	var bl [][2]int
	for t0 := 0; t0 < T; t0 += causalRows {
		t1 := min(t0+causalRows, T)
		if T-t1 <= rowKVMinT { // a short last block joins this one
			t1 = T
		}
		bl = append(bl, [2]int{t0, t1})
		if t1 == T {
			break
		}
	}
	return bl
}

// causalRows is the query block of causalBlocks; causalMaxT the longest
// prompt it splits.
const (
	causalRows = 64
	causalMaxT = 256
)

// rowKVMinT is the prompt length up to which a forward without a cache
// still stores its keys and values transposed (see forwardEmbeds): asm's
// Sgemm takes A·Bᵀ with at most 4 rows of A as dot products.
const rowKVMinT = 4

// attnParallelWork is the size (rows·heads·T·S·hd) below which attention runs
// its heads on the calling goroutine: a decoding step over a context of up
// to a few hundred positions (tens of microseconds at the 1B shape) does
// less work than handing heads to other goroutines costs, the wait for a
// core included on a loaded machine.
const attnParallelWork = 1 << 20

// scorePool recycles attention score buffers (T×S per batch row and head)
// across heads, layers and calls.
var scorePool = sync.Pool{New: func() any { return new([]float32) }}
