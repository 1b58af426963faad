package nn_test

import (
	"fmt"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/nn"
	"github.com/llink-go/llink/tensor"
)

// A training loop: a 2-layer MLP learns XOR with AdamW.
func Example() {
	r := testutil.RNG(1)
	fc1 := nn.NewLinear("fc1", 2, 8, true, nn.Xavier(1), r)
	fc2 := nn.NewLinear("fc2", 8, 1, true, nn.Xavier(1), r)
	params := nn.Join(fc1, fc2)
	opt := nn.NewAdamW([]nn.ParamGroup{{Params: params, LR: 0.05}}, 0.9, 0.999, 1e-8)
	x := autograd.Const(tensor.FromSlice([]float32{0, 0, 0, 1, 1, 0, 1, 1}, 4, 2))
	y := tensor.FromSlice([]float32{0, 1, 1, 0}, 4, 1)
	tp := autograd.NewTape()
	for step := 0; step < 300; step++ {
		loss := tp.BCEWithLogits(fc2.Forward(tp, tp.Tanh(fc1.Forward(tp, x))), y)
		tp.Backward(loss)
		nn.ClipGradNorm(params, 1)
		opt.Step()
		autograd.ZeroGrad(params)
		tp.Reset()
	}
	logits := fc2.Forward(nil, (*autograd.Tape)(nil).Tanh(fc1.Forward(nil, x)))
	for _, l := range logits.Data() {
		fmt.Print(l > 0, " ")
	}
	fmt.Println()
	// Output: false true true false
}

// LoRA wraps a frozen Linear; only A and B train, and Merge folds them in.
func ExampleLoRA() {
	r := testutil.RNG(2)
	base := nn.NewLinear("model.layers.0.self_attn.q_proj", 16, 16, false, nil, r)
	l := nn.NewLoRA("model.layers.0.self_attn.q_proj", base, 4, 8, 0.05, r)
	for _, p := range nn.Trainable(l.Params()) {
		fmt.Println(p.Name, p.Shape())
	}
	fmt.Println(l.Merge(), l.Merged())
	// Output:
	// model.layers.0.self_attn.q_proj.lora_A.weight [4 16]
	// model.layers.0.self_attn.q_proj.lora_B.weight [16 4]
	// <nil> true
}

// Incremental decoding: a KV cache per layer; each call appends the new
// positions and attends over everything cached.
func ExampleAttention_Forward() {
	r := testutil.RNG(3)
	a := nn.NewAttention("self_attn", nn.AttentionConfig{Dim: 16, Heads: 4, KVHeads: 2}, r)
	inv := autograd.RoPEInvFreq(4, 10000, nil)
	cache := nn.NewKVCache(1, 8, 2, 4)
	for pos := 0; pos < 3; pos++ {
		cos, sin := autograd.RoPETables(nil, inv, []int{pos})
		x := autograd.Const(tensor.RandN(r, 1, 1, 1, 16))
		out := a.Forward(nil, x, nn.AttnArgs{Cos: cos, Sin: sin, Causal: true}, cache)
		fmt.Println(out.Shape(), cache.Len)
	}
	// Output:
	// [1 1 16] 1
	// [1 1 16] 2
	// [1 1 16] 3
}
