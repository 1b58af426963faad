// Package nn provides the trainable layers, optimizers and training
// utilities of LLINK's own parts (models/llink: projector, adapter,
// expander, bag-of-words head) and of the training loops (train,
// train/pretrain), on top of [autograd].
//
// Every layer is a plain struct of exported parameters ([autograd.Var]s
// with stable hierarchical names, e.g. "projector.fc1.weight") and a
// Forward method taking the [autograd.Tape] to record on (nil for
// inference: goroutine-safe as long as no one writes the weights).
// [Module] lists a layer's parameters.
//
// nn keeps only what has callers: [Linear], [LayerNorm], the module
// helpers, [AdamW] and [SGD] with their schedules, clipping and finiteness
// checks. The frozen models are not built from nn's layers: models/llama
// and models/xlmr run fused inference paths (a KV cache holding each head
// transposed, bf16 weights widened in the matvec, LoRA as a field of a
// llama projection applied inside the same GEMM call) that a generic
// tape-recorded layer cannot match, and their differentiable path calls
// autograd's fused ops directly. The LLaMA-style test model of nn's own
// tests (embedding, RMSNorm, GQA attention with a KV cache, SwiGLU, LoRA)
// lives in its test files.
//
// Training:
//
//	opt := nn.NewAdamW([]nn.ParamGroup{{Params: nn.Trainable(m.Params()), LR: 1e-3, WeightDecay: 0.01}}, 0.9, 0.999, 1e-8)
//	opt.Schedule = nn.WarmupCosine(100, 1000, 0.01)
//	for step := range steps {
//		loss := forward(tp, batch)
//		tp.Backward(loss)
//		if err := nn.CheckFinite(loss, params); err != nil { ... }
//		nn.ClipGradNorm(params, 1.0)
//		opt.Step()
//		autograd.ZeroGrad(params)
//		tp.Reset()
//	}
package nn
