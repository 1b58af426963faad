// Package nn provides the neural-network layers, losses, optimizers and
// training utilities that llink's models are built from, on top of
// [autograd].
//
// Every layer is a plain struct of exported parameters ([autograd.Var]s
// with stable hierarchical names that match Hugging Face tensor names, e.g.
// "model.layers.3.self_attn.q_proj.weight") and a Forward method taking the
// [autograd.Tape] to record on (nil for inference: goroutine-safe as long as
// no one writes the weights). [Module] lists a layer's parameters; [Layer]
// is anything that maps one tensor to another, so a [LoRA] can stand in for
// the [Linear] it wraps.
//
// Dropout is active only while the tape records and the layer has an RNG,
// so evaluation under [autograd.Tape.NoGrad] or with a nil tape is
// deterministic.
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
