package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/tensor"
)

// AttentionConfig sizes a multi-head attention block.
type AttentionConfig struct {
	Dim     int  // model width (hidden_size)
	Heads   int  // query heads (num_attention_heads)
	KVHeads int  // key/value heads (num_key_value_heads); 0 means Heads
	HeadDim int  // per-head width; 0 means Dim/Heads
	Bias    bool // biases on q, k, v and o (BERT: true, Llama: false)
	Init    Init // weight initialiser; nil: KaimingUniform
}

// Attention is multi-head self-attention with grouped-query heads, rotary
// positions and an optional KV cache, with Hugging Face names
// "<name>.q_proj", "<name>.k_proj", "<name>.v_proj", "<name>.o_proj". The
// projections are Layers so LoRA can wrap them.
type Attention struct {
	Q, K, V, O              Layer
	Heads, KVHeads, HeadDim int
}

// NewAttention returns an attention block.
func NewAttention(name string, c AttentionConfig, r *rand.Rand) *Attention {
	if c.KVHeads == 0 {
		c.KVHeads = c.Heads
	}
	if c.HeadDim == 0 {
		c.HeadDim = c.Dim / c.Heads
	}
	if c.Heads%c.KVHeads != 0 {
		panic(fmt.Sprintf("nn.NewAttention: %d heads not a multiple of %d kv heads", c.Heads, c.KVHeads))
	}
	return &Attention{
		Q:       NewLinear(Name(name, "q_proj"), c.Dim, c.Heads*c.HeadDim, c.Bias, c.Init, r),
		K:       NewLinear(Name(name, "k_proj"), c.Dim, c.KVHeads*c.HeadDim, c.Bias, c.Init, r),
		V:       NewLinear(Name(name, "v_proj"), c.Dim, c.KVHeads*c.HeadDim, c.Bias, c.Init, r),
		O:       NewLinear(Name(name, "o_proj"), c.Heads*c.HeadDim, c.Dim, c.Bias, c.Init, r),
		Heads:   c.Heads,
		KVHeads: c.KVHeads,
		HeadDim: c.HeadDim,
	}
}

// Params returns q, k, v, o parameters.
func (a *Attention) Params() []*autograd.Var { return Join(a.Q, a.K, a.V, a.O) }

// AttnArgs carries what one forward pass shares between layers.
type AttnArgs struct {
	// Cos and Sin are the RoPE tables for the positions of x ([T, D/2] or
	// [B·T, D/2], see [autograd.RoPETables]); nil for no rotary embedding.
	Cos, Sin *tensor.Tensor
	// Causal masks future keys.
	Causal bool
	// KeyMask (B·S entries, S = cached + new positions) masks padding keys.
	KeyMask []bool
}

// KVCache holds one layer's keys and values for incremental decoding: K and
// V are [B, capacity, KVHeads, HeadDim] with the first Len positions filled.
type KVCache struct {
	K, V *tensor.Tensor
	Len  int
}

// NewKVCache returns an empty cache for batch rows of up to capacity
// positions.
func NewKVCache(batch, capacity, kvHeads, headDim int) *KVCache {
	return &KVCache{K: tensor.New(batch, capacity, kvHeads, headDim), V: tensor.New(batch, capacity, kvHeads, headDim)}
}

// Reset empties the cache (keeping its buffers).
func (c *KVCache) Reset() { c.Len = 0 }

// Forward attends x [B, T, Dim] to itself (plus, with a cache, to the
// cached positions) and returns [B, T, Dim]. With a non-nil cache the new
// keys and values are appended to it and no gradient flows through the
// attention: the cache is for inference.
func (a *Attention) Forward(tp *autograd.Tape, x *autograd.Var, args AttnArgs, cache *KVCache) *autograd.Var {
	if x.Value.Dims() != 3 {
		panic(fmt.Sprintf("nn.Attention: x must be [B, T, Dim], got %v", x.Shape()))
	}
	b, t := x.Value.Dim(0), x.Value.Dim(1)
	q := tp.Reshape(a.Q.Forward(tp, x), b, t, a.Heads, a.HeadDim)
	k := tp.Reshape(a.K.Forward(tp, x), b, t, a.KVHeads, a.HeadDim)
	v := tp.Reshape(a.V.Forward(tp, x), b, t, a.KVHeads, a.HeadDim)
	if args.Cos != nil {
		q = tp.RoPE(q, args.Cos, args.Sin)
		k = tp.RoPE(k, args.Cos, args.Sin)
	}
	opts := autograd.AttnOpts{Causal: args.Causal, KeyMask: args.KeyMask}
	var o *autograd.Var
	if cache == nil {
		o = tp.Attention(q, k, v, opts)
	} else {
		cache.append(k.Value, v.Value)
		o = autograd.Const(autograd.AttentionCached(tp.Arena(), q.Value, cache.K, cache.V, cache.Len, opts))
	}
	return a.O.Forward(tp, tp.Reshape(o, b, t, a.Heads*a.HeadDim))
}

// append copies new keys and values [B, T, Hkv, D] after the cached ones.
func (c *KVCache) append(k, v *tensor.Tensor) {
	b, t, row := k.Dim(0), k.Dim(1), k.Dim(2)*k.Dim(3)
	capacity := c.K.Dim(1)
	if c.K.Dim(0) != b || c.K.Dim(2)*c.K.Dim(3) != row {
		panic(fmt.Sprintf("nn.KVCache: cache %v does not fit keys %v", c.K.Shape(), k.Shape()))
	}
	if c.Len+t > capacity {
		panic(fmt.Sprintf("nn.KVCache: %d cached + %d new positions exceed capacity %d", c.Len, t, capacity))
	}
	for bi := 0; bi < b; bi++ {
		dst := (bi*capacity + c.Len) * row
		copy(c.K.Data()[dst:dst+t*row], k.Data()[bi*t*row:(bi+1)*t*row])
		copy(c.V.Data()[dst:dst+t*row], v.Data()[bi*t*row:(bi+1)*t*row])
	}
	c.Len += t
}
