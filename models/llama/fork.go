package llama

// Fork returns a model that shares m's weights, norm gains and trainable
// parameters but has its own projections' adapter slots: adapters attached
// to the fork ([Model.UseLoRA]) leave m's untouched, so m and its forks can
// run forward passes concurrently, each with its own adapters (the training
// and evaluation of different LoRA rows at once). The fork starts with m's
// adapters attached. Adapter sets are keyed by projection: move one between
// m and a fork with [Model.Rekey].
func (m *Model) Fork() *Model {
	f := *m
	fork := func(w *Weight) *Weight {
		if w == nil {
			return nil
		}
		c := *w
		return &c
	}
	f.Emb, f.Head = fork(m.Emb), fork(m.Head)
	f.Layers = make([]*Layer, len(m.Layers))
	for i, l := range m.Layers {
		c := *l
		c.Q, c.K, c.V, c.O = fork(l.Q), fork(l.K), fork(l.V), fork(l.O)
		c.Gate, c.Up, c.Down = fork(l.Gate), fork(l.Up), fork(l.Down)
		f.Layers[i] = &c
	}
	f.closer = nil // the original owns the mapped checkpoint
	return &f
}

// Rekey returns set, made for the projections of from (m itself or a model
// forked from the same one, [Model.Fork]), keyed by the same projections
// of m: the same adapters, attachable to m.
func (m *Model) Rekey(set Adapters, from *Model) Adapters {
	out := make(Adapters, len(set))
	for i, l := range from.Layers {
		to := m.Layers[i].Projections()
		for name, w := range l.Projections() {
			if a, ok := set[w]; ok {
				out[to[name]] = a
			}
		}
	}
	return out
}
