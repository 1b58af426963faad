package autograd_test

import (
	"fmt"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/tensor"
)

// A tape records a forward pass; Backward fills the parameters' gradients.
func Example() {
	w := autograd.NewParam("w", tensor.FromSlice([]float32{1, 2, 3}, 1, 3))
	x := autograd.Const(tensor.FromSlice([]float32{1, 1, 1, 2, 0, -1}, 2, 3))
	tp := autograd.NewTape()
	y := tp.MatMul(x, w, false, true) // [2,3]·[3,1] → [2,1]
	loss := tp.Mean(tp.Mul(y, y))     // ((6)² + (−1)²)/2
	tp.Backward(loss)
	fmt.Println(loss.Item(), w.Grad.Data())
	tp.Reset() // recycle activations for the next step
	// Output: 18.5 [4 6 7]
}

// ScatterRows splices vectors into a sequence of embeddings; the gradient
// of the overwritten rows goes to the vectors.
func ExampleTape_ScatterRows() {
	emb := autograd.NewParam("emb", tensor.FromSlice([]float32{1, 1, 2, 2, 3, 3}, 3, 2))
	slot := autograd.NewParam("slot", tensor.FromSlice([]float32{9, 9}, 1, 2))
	tp := autograd.NewTape()
	x := tp.ScatterRows(emb, slot, []int{1})
	tp.Backward(tp.Sum(x))
	fmt.Println(x.Data(), emb.Grad.Data(), slot.Grad.Data())
	// Output: [1 1 9 9 3 3] [1 1 0 0 1 1] [1 1]
}

// Check compares an op's backward pass with finite differences.
func ExampleCheck() {
	res, err := autograd.Check(func(tp *autograd.Tape, xs []*autograd.Var) *autograd.Var {
		return tp.Softmax(xs[0])
	}, []*tensor.Tensor{tensor.FromSlice([]float32{0.1, -0.4, 0.9, 0.3}, 2, 2)}, autograd.CheckOpts{})
	fmt.Println(err, res.Score < 1e-4)
	// Output: <nil> true
}
