// Package autograd implements llink's reverse-mode automatic differentiation:
// a define-by-run [Tape] on which every differentiable op computes its
// forward with the tensor/asm kernels and records a closure that accumulates
// (+=) into its inputs' gradients, in the manner of micrograd and llm.c.
//
// Each op family lives in one file with its forward and backward side by
// side and shape comments. Fused ops (norms, softmax-cross-entropy,
// attention, SwiGLU, RoPE) have hand-written backward passes.
//
// A training step is
//
//	tp := autograd.NewTape()            // once; reused every step
//	loss := model(tp, batch)            // ops record onto tp
//	tp.Backward(loss)                   // grads accumulate into parameters
//	opt.Step(); autograd.ZeroGrad(params)
//	tp.Reset()                          // recycles activations for the next step
//
// Gradient accumulation over micro-batches is Backward+Reset per micro-batch
// before one optimizer step. A nil *Tape records nothing and allocates fresh
// tensors, so inference with a nil tape is goroutine-safe; [Tape.NoGrad]
// pauses recording on a live tape, and a [Var] that does not require a
// gradient (a frozen parameter, a constant) makes ops on it record nothing
// and keep no activations.
//
// Slices handed to ops (ids, targets, masks, scatter indices) and the
// tensors wrapped by [Const] are referenced, not copied, until Backward has
// run: do not modify them in between.
//
// [Check] compares an op's backward with central finite differences.
package autograd
