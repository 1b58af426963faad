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
