package nn

import (
	"math/rand/v2"

	"github.com/llink-go/llink/autograd"
)

// tinyLM is a LLaMA-style decoder used by the tests and benchmarks: token
// embedding, pre-norm blocks (RMSNorm → GQA attention with RoPE → residual,
// RMSNorm → SwiGLU → residual), final norm and an untied LM head.
type tinyLM struct {
	embed   *Embedding
	layers  []tinyBlock
	norm    *RMSNorm
	head    *Linear
	invFreq []float32
	dim     int
}

type tinyBlock struct {
	inNorm, postNorm *RMSNorm
	attn             *Attention
	mlp              *SwiGLU
}

type lmConfig struct {
	vocab, dim, layers, heads, kvHeads, hidden int
}

func newTinyLM(c lmConfig, r *rand.Rand) *tinyLM {
	m := &tinyLM{
		embed:   NewEmbedding("model.embed_tokens", c.vocab, c.dim, Normal(0.02), r),
		norm:    NewRMSNorm("model.norm", c.dim, 1e-5),
		head:    NewLinear("lm_head", c.dim, c.vocab, false, Normal(0.02), r),
		invFreq: autograd.RoPEInvFreq(c.dim/c.heads, 10000, nil),
		dim:     c.dim,
	}
	for i := 0; i < c.layers; i++ {
		p := Name("model.layers", itoa(i))
		m.layers = append(m.layers, tinyBlock{
			inNorm:   NewRMSNorm(Name(p, "input_layernorm"), c.dim, 1e-5),
			postNorm: NewRMSNorm(Name(p, "post_attention_layernorm"), c.dim, 1e-5),
			attn: NewAttention(Name(p, "self_attn"), AttentionConfig{Dim: c.dim, Heads: c.heads, KVHeads: c.kvHeads,
				Init: Normal(0.02)}, r),
			mlp: NewSwiGLU(Name(p, "mlp"), c.dim, c.hidden, Normal(0.02), r),
		})
	}
	return m
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + itoa(i%10)
}

func (m *tinyLM) Params() []*autograd.Var {
	ps := m.embed.Params()
	for _, l := range m.layers {
		ps = append(ps, Join(l.inNorm, l.attn, l.postNorm, l.mlp)...)
	}
	return append(ps, Join(m.norm, m.head)...)
}

// forward returns logits [B, T, vocab] for ids [B·T] at positions
// start..start+T−1; caches (one per layer) may be nil.
func (m *tinyLM) forward(tp *autograd.Tape, ids []int, b, start int, caches []*KVCache) *autograd.Var {
	t := len(ids) / b
	pos := make([]int, t)
	for i := range pos {
		pos[i] = start + i
	}
	cos, sin := autograd.RoPETables(tp.Arena(), m.invFreq, pos)
	args := AttnArgs{Cos: cos, Sin: sin, Causal: true}
	x := tp.Reshape(m.embed.Forward(tp, ids), b, t, m.dim)
	for i, l := range m.layers {
		var c *KVCache
		if caches != nil {
			c = caches[i]
		}
		x = tp.Add(x, l.attn.Forward(tp, l.inNorm.Forward(tp, x), args, c))
		x = tp.Add(x, l.mlp.Forward(tp, l.postNorm.Forward(tp, x)))
	}
	return m.head.Forward(tp, m.norm.Forward(tp, x))
}

// loss is next-token cross-entropy over ids [B·T].
func (m *tinyLM) loss(tp *autograd.Tape, ids []int, b int) *autograd.Var {
	t := len(ids) / b
	logits := m.forward(tp, ids, b, 0, nil)
	targets := tp.Arena().Ints(len(ids))
	for i := range targets {
		if (i+1)%t == 0 {
			targets[i] = -100
		} else {
			targets[i] = ids[i+1]
		}
	}
	return tp.CrossEntropy(logits, targets, -100)
}
