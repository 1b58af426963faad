package llama

import (
	"fmt"
	"math/rand/v2"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/tensor"
)

// ForwardTape is the differentiable forward pass: input embeddings x
// [B, T, d] (typically tp.ScatterRows of the token embeddings and LLINK's
// slot vectors) through the decoder, recorded on tp, returning the
// final-normed hidden states [B, T, d]. The checkpoint's weights are
// constants (no gradient, bf16 allowed); gradients reach x and the LoRA
// parameters. rng drives LoRA dropout (nil: no dropout, as in evaluation).
// It computes what [Model.ForwardEmbeds] computes, without a cache.
func (m *Model) ForwardTape(tp *autograd.Tape, x *autograd.Var, mask []bool, rng *rand.Rand) *autograd.Var {
	return m.forwardTape(tp, x, mask, rng, true)
}

// forwardTape is ForwardTape; with reuse false it records no segments and
// writes every op's output to a new tensor (the plain ops ForwardTape's
// tests compare it with).
func (m *Model) forwardTape(tp *autograd.Tape, x *autograd.Var, mask []bool, rng *rand.Rand, reuse bool) *autograd.Var {
	c := m.Config
	if x.Value.Dims() != 3 || x.Value.Dim(2) != c.Hidden {
		panic(fmt.Sprintf("llama.ForwardTape: input shape %v, want [B, T, %d]", x.Shape(), c.Hidden))
	}
	B, T := x.Value.Dim(0), x.Value.Dim(1)
	if mask != nil && len(mask) != B*T {
		panic(fmt.Sprintf("llama.ForwardTape: mask has %d entries for a [%d, %d] batch", len(mask), B, T))
	}
	pos := make([]int, B*T)
	for b := range B {
		n := 0
		for t := range T {
			if mask == nil || mask[b*T+t] {
				pos[b*T+t] = n
				n++
			}
		}
	}
	cos, sin := autograd.RoPETables(tp.Arena(), m.inv, pos)
	eps := float32(c.RMSNormEps)
	opts := autograd.AttnOpts{Causal: true, KeyMask: mask}
	h := x
	// Each layer is a segment: the backward pass frees a layer's gradients
	// once it is through it. The projections' outputs are read by nothing
	// but the op after them (their backward passes need only the
	// gradient), so RoPE and the residual sums reuse their buffers.
	segment, rope, add := tp.Segment, tp.RoPEInPlace, tp.AddOnto
	if !reuse {
		segment, rope, add = func() {}, tp.RoPE, tp.Add
	}
	swiglu := tp.SwiGLU
	if m.FastSiLU {
		swiglu = tp.SwiGLU32
	}
	for _, l := range m.Layers {
		segment()
		a := tp.RMSNorm(h, m.gain(l.AttnNorm), eps)
		q := tp.Reshape(l.Q.applyTape(tp, a, rng), B, T, c.Heads, c.HeadDim)
		k := tp.Reshape(l.K.applyTape(tp, a, rng), B, T, c.KVHeads, c.HeadDim)
		v := tp.Reshape(l.V.applyTape(tp, a, rng), B, T, c.KVHeads, c.HeadDim)
		q, k = rope(q, cos, sin), rope(k, cos, sin)
		att := tp.Reshape(tp.Attention(q, k, v, opts), B, T, c.Heads*c.HeadDim)
		h = add(h, l.O.applyTape(tp, att, rng))
		f := tp.RMSNorm(h, m.gain(l.MLPNorm), eps)
		g := swiglu(l.Gate.applyTape(tp, f, rng), l.Up.applyTape(tp, f, rng))
		h = add(h, l.Down.applyTape(tp, g, rng))
	}
	segment()
	return tp.RMSNorm(h, m.gain(m.Norm), eps)
}

// LogitsTape records logits = h·headᵀ for hidden states h [..., d].
func (m *Model) LogitsTape(tp *autograd.Tape, h *autograd.Var) *autograd.Var {
	return m.LMHead().applyTape(tp, h, nil)
}

// EmbedTape looks up ids [B·T] as a [B, T, d] input for
// [Model.ForwardTape]: a constant when the embedding table is frozen, a
// recorded gather when [Model.Trainable] made it a parameter.
func (m *Model) EmbedTape(ids []int, B, T int) *autograd.Var {
	return m.EmbedTapeOn(nil, ids, B, T)
}

// EmbedTapeOn is [Model.EmbedTape] recording on tp (needed when the
// embedding table is trainable).
func (m *Model) EmbedTapeOn(tp *autograd.Tape, ids []int, B, T int) *autograd.Var {
	if m.Emb.P != nil && tp != nil {
		return tp.Reshape(tp.Gather(m.Emb.P, ids), B, T, m.Config.Hidden)
	}
	return autograd.Const(m.Embed(ids).Reshape(B, T, m.Config.Hidden))
}

// gain returns an RMSNorm gain as a parameter (after Trainable) or constant.
func (m *Model) gain(g *tensor.Tensor) *autograd.Var {
	if v, ok := m.gains[g]; ok {
		return v
	}
	return autograd.Const(g)
}

// Trainable makes every weight of the model a parameter named as in the
// Hugging Face checkpoint (sharing storage, so training updates the model
// in place) and returns them — full-parameter training, used to pretrain
// small models. The weights must be float32. With tied embeddings the one
// table receives the gradients of both the lookup and the LM head.
func (m *Model) Trainable() []*autograd.Var {
	names, _ := TensorNames(m.Config)
	byName := map[string]*autograd.Var{}
	m.gains = map[*tensor.Tensor]*autograd.Var{}
	param := func(name string, w *Weight) {
		if w.W == nil {
			panic("llama.Trainable: bf16 weight " + name)
		}
		if w.P == nil {
			w.P = autograd.NewParam(name, w.W)
		}
		byName[name] = w.P
	}
	gain := func(name string, g *tensor.Tensor) {
		v := autograd.NewParam(name, g)
		m.gains[g] = v
		byName[name] = v
	}
	param("model.embed_tokens.weight", m.Emb)
	for i, l := range m.Layers {
		p := fmt.Sprintf("model.layers.%d.", i)
		gain(p+"input_layernorm.weight", l.AttnNorm)
		gain(p+"post_attention_layernorm.weight", l.MLPNorm)
		for n, w := range map[string]*Weight{"self_attn.q_proj": l.Q, "self_attn.k_proj": l.K, "self_attn.v_proj": l.V,
			"self_attn.o_proj": l.O, "mlp.gate_proj": l.Gate, "mlp.up_proj": l.Up, "mlp.down_proj": l.Down} {
			param(p+n+".weight", w)
		}
	}
	gain("model.norm.weight", m.Norm)
	if m.Head != nil {
		param("lm_head.weight", m.Head)
	}
	out := make([]*autograd.Var, len(names))
	for i, n := range names {
		out[i] = byName[n]
	}
	return out
}
