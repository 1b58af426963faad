package llink

import (
	"slices"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/tensor"
)

func tinyLlama(seed uint64) *llama.Model {
	c := llama.Tiny(32)
	c.Hidden, c.Intermediate, c.Layers, c.Heads, c.KVHeads, c.HeadDim = 16, 32, 1, 2, 1, 8
	m := llama.New(c, testutil.RNG(seed))
	m.Emb.W.ScaleInPlace(8) // unit-scale rows: confident, varied answers
	return m
}

// TestGenerateIDsOrder checks that batching prompts by length returns each
// answer at its input's index, the same as one at a time, with and without
// injected vectors.
func TestGenerateIDsOrder(t *testing.T) {
	m := tinyLlama(5)
	r := testutil.RNG(6)
	in := make([]Input, 9)
	for i := range in {
		p := []int{1}
		for range 1 + r.IntN(9) {
			p = append(p, 4+r.IntN(20))
		}
		in[i].IDs = p
		if i%2 == 0 { // a soft vector at the last position
			in[i].SlotPos = []int{len(p) - 1}
			in[i].Vectors = tensor.RandN(r, 1, m.Config.Hidden).Data()
		}
	}
	all, err := GenerateIDs(m, in, 0, 3, 4, 4)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		one, err := GenerateIDs(m, in[i:i+1], 0, 3, 4, 1)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(one[0], all[i]) {
			t.Fatalf("input %d: %v alone, %v in a batch", i, one[0], all[i])
		}
	}
	in[0].Vectors = in[0].Vectors[:3]
	if _, err := GenerateIDs(m, in, 0, 3, 4, 4); err == nil {
		t.Fatal("vectors of the wrong width accepted")
	}
}

// wordTok is a test tokenizer: LLINK's and Llama-3's special tokens are
// single ids, every other byte its own id after them.
type wordTok struct{ specials []string }

func newWordTok(k int) *wordTok {
	return &wordTok{specials: append([]string{Llama3BOS, Llama3EOT, "<|start_header_id|>", "<|end_header_id|>"}, TokenNames(k)...)}
}

func (w *wordTok) Encode(text string, _ bool) []int {
	var ids []int
	for len(text) > 0 {
		found := false
		for i, s := range w.specials {
			if len(text) >= len(s) && text[:len(s)] == s {
				ids, text, found = append(ids, i), text[len(s):], true
				break
			}
		}
		if !found {
			ids, text = append(ids, len(w.specials)+int(text[0])%8), text[1:]
		}
	}
	return ids
}

func (w *wordTok) Decode(ids []int) string { return "" }

func TestDecoderInputs(t *testing.T) {
	const k = 2
	tok := newWordTok(k)
	c := llama.Tiny(len(tok.specials) + 8)
	c.Hidden, c.Intermediate, c.Layers, c.Heads, c.KVHeads, c.HeadDim = 16, 32, 1, 2, 1, 8
	m := llama.New(c, testutil.RNG(1))
	d, err := NewDecoder(m, tok, nil, "", "", k)
	if err != nil {
		t.Fatal(err)
	}
	if d.IDs.BOS != 0 || d.IDs.EOT != 1 || d.IDs.Foreign != 4 || !slices.Equal(d.IDs.Slots, []int{7, 8}) {
		t.Fatalf("ids %+v", d.IDs)
	}
	if _, err := NewDecoder(m, tok, nil, "", "", k+1); err == nil {
		t.Fatal("a decoder without <f2> accepted for K=3")
	}
	v := tensor.RandN(testutil.RNG(2), 1, 2, c.Hidden)
	scale := NewScale(1, 1e-5)
	sc := Config{EncDim: 5, DecDim: c.Hidden, ExpHidden: 8, K: k, Eps: 1e-5, GateMax: 0.7}
	slots := NewSlots(sc, 1, testutil.RNG(3))
	sc.SlotInput = SlotsTokens
	tokSlots := NewSlots(sc, 1, testutil.RNG(3))
	randomize(tokSlots.Resampler.O.Weight.Value, testutil.RNG(4))
	toks, err := StackTokens([][]float32{tensor.RandN(testutil.RNG(5), 1, 15).Data(), tensor.RandN(testutil.RNG(6), 1, 5).Data()}, 5)
	if err != nil {
		t.Fatal(err)
	}
	src := Source{V: v, Tok: toks}
	for _, tc := range []struct {
		form Form
		inj  Injector
	}{{Form{Content: SlotTokens, K: 1}, scale}, {Form{Content: SlotTokens, K: k, Copy: true}, slots}, {Form{Content: SlotTokens, K: k}, tokSlots}} {
		in, err := d.Inputs(tc.form, []string{"a?", "b?"}, []string{"x 12", "y"}, tc.inj, src)
		if err != nil {
			t.Fatal(err)
		}
		want := tc.inj.SlotVectors(src)
		for i, e := range in {
			if len(e.SlotPos) != tc.form.K || e.IDs[e.SlotPos[0]] != d.IDs.Slots[0] {
				t.Fatalf("%+v input %d: slot positions %v in %v", tc.form, i, e.SlotPos, e.IDs)
			}
			if !slices.Equal(e.Vectors, want.Data()[i*tc.form.K*c.Hidden:(i+1)*tc.form.K*c.Hidden]) {
				t.Fatalf("%+v input %d: injected vectors differ from the injector's", tc.form, i)
			}
			n, err := d.SpanTokens(e.IDs)
			if err != nil || n < tc.form.K {
				t.Fatalf("%+v input %d: span of %d tokens (%v)", tc.form, i, n, err)
			}
		}
	}
	if _, err := d.Inputs(Form{Content: SlotTokens, K: k}, []string{"a"}, []string{"x"}, scale, Source{V: v.Reshape(2, c.Hidden)}); err == nil {
		t.Fatal("a 1-slot injector accepted for K=2")
	}
	if _, err := d.Inputs(Form{Content: SlotTokens, K: k}, []string{"a?", "b?"}, []string{"x", "y"}, tokSlots, Source{V: v}); err == nil {
		t.Fatal("token-level slots accepted texts without their token states")
	}
	raw, err := d.Inputs(Form{Content: Raw}, []string{"a"}, []string{"x"}, nil, Source{})
	if err != nil || raw[0].SlotPos != nil || raw[0].Vectors != nil {
		t.Fatalf("raw input %+v (%v)", raw, err)
	}
}
