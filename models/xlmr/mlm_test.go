package xlmr

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/models/safetensors"
	"github.com/llink-go/llink/nn"
	"github.com/llink-go/llink/tensor"
)

func tinyMLM(t *testing.T, seed uint64) *MLM {
	t.Helper()
	c := Tiny(20)
	c.Hidden, c.Layers, c.Heads, c.Intermediate, c.MaxPositions = 8, 2, 2, 12, 12
	m, err := NewMLM(c, rand.New(rand.NewPCG(seed, 1)))
	if err != nil {
		t.Fatal(err)
	}
	// Random (not one/zero) norms and biases, so the check covers them.
	r := rand.New(rand.NewPCG(seed, 2))
	for _, p := range m.Params() {
		if p.Value.Dims() == 1 {
			for i := range p.Data() {
				p.Data()[i] += float32(r.NormFloat64()) * 0.3
			}
		}
	}
	return m
}

func tinyBatch() Batch {
	return PadRight([][]int{{0, 5, 9, 7, 12, 2}, {0, 11, 4, 2}, {0, 3, 8, 19, 6, 10, 2}}, 1)
}

// TestMLMGradients checks the backward pass of the whole MLM (embeddings,
// every layer, the tied head) against finite differences.
func TestMLMGradients(t *testing.T) {
	m := tinyMLM(t, 1)
	b := tinyBatch()
	rows := []int{1, 3, 8, 15, 18}
	names := make([]string, len(m.params))
	inputs := make([]*tensor.Tensor, len(m.params))
	for i, p := range m.params {
		names[i], inputs[i] = p.Name, p.Value
	}
	f := func(tp *autograd.Tape, xs []*autograd.Var) *autograd.Var {
		for i, x := range xs {
			m.p[names[i]] = x
		}
		return m.LogitsTape(tp, m.EncodeTape(tp, b), rows)
	}
	// The embeddings are small (std 0.02), so the default step 1e-2 is
	// deep in LayerNorm's curvature (score ~1e-3); 3e-3 gives ~1e-4 while
	// float32 rounding stays below the truncation error.
	res, err := autograd.Check(f, inputs, autograd.CheckOpts{Eps: 3e-3, Tol: 1e-3, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("score %.2e (worst %s)", res.Score, res.Worst)
}

// TestMLMMatchesInference: the tape forward computes what Encode computes,
// and a checkpoint of the parameters (lm_head.* included) loads back
// through the inference loader with the same outputs.
func TestMLMMatchesInference(t *testing.T) {
	m := tinyMLM(t, 4)
	b := tinyBatch()
	want := m.Model.Encode(b).Data()
	got := m.EncodeTape(autograd.NewTape(), b).Value.Data()
	if e := maxDiff(got, want); e > 1e-5 {
		t.Fatalf("EncodeTape differs from Encode by %g", e)
	}
	var ts []safetensors.Tensor
	for _, p := range m.Params() {
		ts = append(ts, safetensors.FromFloat32(p.Name, p.Shape(), p.Data(), safetensors.F32))
	}
	path := filepath.Join(t.TempDir(), "model.safetensors")
	if err := safetensors.Write(path, ts, nil); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !slices.Contains(f.Names(), "lm_head.bias") {
		t.Fatal("checkpoint lacks the head")
	}
	loaded, err := FromCheckpoint(m.Model.Config, f)
	if err != nil {
		t.Fatal(err)
	}
	if e := maxDiff(loaded.Encode(b).Data(), want); e != 0 {
		t.Fatalf("reloaded encoder differs by %g", e)
	}
	m2, err := MLMFromCheckpoint(m.Model.Config, f)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range m2.Params() {
		if !slices.Equal(p.Data(), m.Params()[i].Data()) {
			t.Fatalf("MLMFromCheckpoint: %s differs", p.Name)
		}
	}
}

func maxDiff(a, b []float32) float64 {
	e := 0.0
	for i := range a {
		e = math.Max(e, math.Abs(float64(a[i]-b[i])))
	}
	return e
}

// TestMaskTokens checks BERT's recipe: ~15% of real non-special tokens
// chosen, 80/10/10 corruption, padding and specials untouched, seeded.
func TestMaskTokens(t *testing.T) {
	const vocab, maskID = 50, 4
	special := func(id int) bool { return id <= 4 }
	r := rand.New(rand.NewPCG(7, 7))
	var seqs [][]int
	for range 400 {
		s := []int{0}
		for range 5 + r.IntN(40) {
			s = append(s, 5+r.IntN(vocab-5))
		}
		seqs = append(seqs, append(s, 2))
	}
	b := PadRight(seqs, 1)
	orig := slices.Clone(b.IDs)
	c := MaskConfig{MaskID: maskID, Special: special, VocabSize: vocab}
	rows, tgts := MaskTokens(&b, c, rand.New(rand.NewPCG(1, 2)))
	b2 := PadRight(seqs, 1)
	rows2, _ := MaskTokens(&b2, c, rand.New(rand.NewPCG(1, 2)))
	if !slices.Equal(rows, rows2) || !slices.Equal(b.IDs, b2.IDs) {
		t.Fatal("masking is not reproducible")
	}
	eligible, masked, random, kept := 0, 0, 0, 0
	chosen := map[int]bool{}
	for k, i := range rows {
		chosen[i] = true
		if tgts[k] != orig[i] || special(orig[i]) || !b.Mask[i] {
			t.Fatalf("row %d: target %d, original %d", i, tgts[k], orig[i])
		}
		switch id := b.IDs[i]; {
		case id == maskID:
			masked++
		case id == orig[i]:
			kept++
		case special(id):
			t.Fatalf("row %d replaced by special %d", i, id)
		default:
			random++
		}
	}
	for i := range orig {
		if b.Mask[i] && !special(orig[i]) {
			eligible++
		}
		if !chosen[i] && b.IDs[i] != orig[i] {
			t.Fatalf("unchosen token %d changed", i)
		}
	}
	n := float64(len(rows))
	share := n / float64(eligible)
	// ~9,000 eligible tokens: the binomial standard deviation of the shares
	// is under 0.4 points; allow about 4 of them.
	if math.Abs(share-0.15) > 0.015 || math.Abs(float64(masked)/n-0.8) > 0.04 ||
		math.Abs(float64(random)/n-0.1) > 0.035 || math.Abs(float64(kept)/n-0.1) > 0.035 {
		t.Fatalf("chosen %.3f of %d; mask/random/kept %d/%d/%d", share, eligible, masked, random, kept)
	}
}

// TestMLMLearns: a few AdamW steps on one batch lower the MLM loss.
func TestMLMLearns(t *testing.T) {
	m := tinyMLM(t, 9)
	opt := nn.NewAdamW([]nn.ParamGroup{{Params: m.Params(), LR: 1e-2}}, 0.9, 0.98, 1e-6)
	tp := autograd.NewTape()
	b := tinyBatch()
	rows := []int{1, 2, 3, 4, 7, 8, 13, 14, 15, 16, 17}
	tgts := make([]int, len(rows))
	for i, r := range rows {
		tgts[i] = b.IDs[r]
		b.IDs[r] = 4
	}
	var first, last float32
	for step := range 60 {
		tp.Reset()
		autograd.ZeroGrad(m.Params())
		loss := tp.CrossEntropy(m.LogitsTape(tp, m.EncodeTape(tp, b), rows), tgts, -100)
		tp.Backward(loss)
		opt.Step()
		if step == 0 {
			first = loss.Item()
		}
		last = loss.Item()
	}
	if last > first/4 {
		t.Fatalf("loss %.3f → %.3f", first, last)
	}
}

// TestEncodeLayerMean checks EncodeLayerMean against the mean of Encode on
// the model cut after 0 (the embedding output), 1, …, L layers.
func TestEncodeLayerMean(t *testing.T) {
	m := tinyMLM(t, 6).Model
	b := tinyBatch()
	var want []float64
	for l := 0; l <= len(m.Layers); l++ {
		cut := *m
		cut.Layers = m.Layers[:l]
		h := cut.Encode(b).Data()
		if want == nil {
			want = make([]float64, len(h))
		}
		for i, v := range h {
			want[i] += float64(v) / float64(len(m.Layers)+1)
		}
	}
	got := m.EncodeLayerMean(b).Data()
	last := m.Encode(b).Data()
	var far float64
	for i := range want {
		if d := math.Abs(float64(got[i]) - want[i]); d > 1e-5 {
			t.Fatalf("element %d: %g, want %g", i, got[i], want[i])
		}
		far = max(far, math.Abs(float64(last[i])-want[i]))
	}
	if far < 1e-2 {
		t.Fatalf("the layer mean is within %g of the last layer: the test cannot tell them apart", far)
	}
}
