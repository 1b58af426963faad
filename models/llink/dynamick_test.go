package llink

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/tensor"
)

// dynamicConfig returns word slots of 2 words per segment, cap K = 8, one
// segment per 3 encoder tokens.
func dynamicConfig() Config {
	c := tokenConfig()
	c.SlotInput, c.K, c.WordsPerSegment, c.TokensPerSegment = SlotsWords, 8, 2, 3
	return c
}

// TestSlotsFor: K_i = clamp(⌈n/r⌉·words-per-segment, floor, K) on awkward
// lengths — one token, exactly r, r+1, past the cap — with the default
// floor (one segment) and a higher one; without dynamic K every length
// gets K; SlotCounts reads each text's real tokens, padding left out.
func TestSlotsFor(t *testing.T) {
	c := dynamicConfig()
	floor := c
	floor.MinK = 4
	fixed := c
	fixed.TokensPerSegment = 0
	one := c
	one.WordsPerSegment, one.SlotInput, one.TokensPerSegment = 0, SlotsSegments, 1
	for _, tc := range []struct {
		n                        int
		dyn, floor, fixed, perTk int
	}{
		{1, 2, 4, 8, 1},
		{2, 2, 4, 8, 2},
		{3, 2, 4, 8, 3}, // exactly r
		{4, 4, 4, 8, 4}, // r + 1
		{6, 4, 4, 8, 6},
		{7, 6, 6, 8, 7},
		{12, 8, 8, 8, 8}, // at the cap
		{13, 8, 8, 8, 8}, // past it
		{1000, 8, 8, 8, 8},
	} {
		for _, got := range []struct {
			name      string
			c         Config
			want, got int
		}{{"dynamic", c, tc.dyn, 0}, {"floor 4", floor, tc.floor, 0}, {"fixed", fixed, tc.fixed, 0}, {"r = 1, segments", one, tc.perTk, 0}} {
			if err := got.c.Validate(); err != nil {
				t.Fatalf("%s: %v", got.name, err)
			}
			if k := got.c.SlotsFor(tc.n); k != got.want {
				t.Errorf("%s: %d tokens give %d slots, want %d", got.name, tc.n, k, got.want)
			}
		}
	}
	tok := testTokens(t, testutil.RNG(1), c.EncDim, 1, 3, 4, 13)
	if got := c.SlotCounts(tok); !slices.Equal(got, []int{2, 2, 4, 8}) {
		t.Fatalf("slot counts %v, want [2 2 4 8]", got)
	}
	if got := fixed.SlotCounts(tok); got != nil {
		t.Fatalf("fixed K: slot counts %v, want nil", got)
	}
	if !c.DynamicK() || fixed.DynamicK() {
		t.Fatal("DynamicK wrong")
	}
}

// TestDynamicKRefused: settings that do not fit dynamic K are refused with
// an error naming the setting.
func TestDynamicKRefused(t *testing.T) {
	for _, tc := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.TokensPerSegment = -1 }, "tokens per segment"},
		{func(c *Config) { c.TokensPerSegment = MaxTokensPerSegment + 1 }, "tokens per segment"},
		{func(c *Config) { c.SlotInput = SlotsPooled }, `slot input "pooled"`},
		{func(c *Config) { c.SlotInput, c.WordsPerSegment = "", 0 }, `slot input "pooled"`},
		{func(c *Config) { c.SlotInput, c.WordsPerSegment = SlotsTokens, 0 }, `slot input "tokens"`},
		{func(c *Config) { c.MinK = 3 }, "floor of 3"},   // not a multiple of 2 words per segment
		{func(c *Config) { c.MinK = 10 }, "floor of 10"}, // above K
		{func(c *Config) { c.MinK = -2 }, "floor of -2"},
		{func(c *Config) { c.TokensPerSegment, c.MinK = 0, 2 }, "without dynamic K"},
	} {
		c := dynamicConfig()
		tc.edit(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want an error containing %q", c, err, tc.want)
		}
	}
	// A config written before dynamic K (no such fields) reads as fixed K.
	var c Config
	if err := json.Unmarshal([]byte(`{"enc_dim":6,"dec_dim":8,"proj_hidden":10,"exp_hidden":12,"k":4,"gate_max":0.7,"slot_input":"words"}`), &c); err != nil {
		t.Fatal(err)
	}
	if c.DynamicK() || c.SlotsFor(1) != 4 || c.Validate() != nil {
		t.Fatalf("an old config reads as %+v (dynamic %v, %d slots for one token)", c, c.DynamicK(), c.SlotsFor(1))
	}
}

// TestSegmentsEach: text i's first ks[i] segment means are those
// Segments(ks[i]) gives for it alone; the padding is zero and masked out.
func TestSegmentsEach(t *testing.T) {
	r := testutil.RNG(2)
	tok := testTokens(t, r, 5, 1, 3, 7, 4)
	ks := []int{1, 3, 2, 4}
	got := tok.SegmentsEach(ks, 4)
	if !slices.Equal(got.States.Shape(), []int{4, 4, 5}) {
		t.Fatalf("shape %v", got.States.Shape())
	}
	for i, k := range ks {
		alone, err := StackTokens([][]float32{tok.Row(i)}, 5)
		if err != nil {
			t.Fatal(err)
		}
		want := alone.Segments(k).States.Data()
		row := got.States.Data()[i*4*5:][:4*5]
		if !slices.Equal(row[:k*5], want) {
			t.Fatalf("text %d: segments %v, alone %v", i, row[:k*5], want)
		}
		for j := range 4 {
			if got.Mask[i*4+j] != (j < k) {
				t.Fatalf("text %d: mask %v", i, got.Mask[i*4:][:4])
			}
		}
		for _, v := range row[k*5:] {
			if v != 0 {
				t.Fatalf("text %d: padding %v", i, row[k*5:])
			}
		}
	}
	if g, w := tok.Segments(3), tok.SegmentsEach([]int{3, 3, 3, 3}, 3); !slices.Equal(g.States.Data(), w.States.Data()) {
		t.Fatal("Segments(k) differs from SegmentsEach with k for every text")
	}
}

// fixedTwin returns slots sharing s's parameters whose every text has k
// slots (fixed K): what text i of a dynamic-K batch must equal alone.
func fixedTwin(s *Slots, k int) *Slots {
	f := *s
	e := *s.Expander
	e.K = k
	f.Expander, f.rule = &e, slotRule{k: k}
	return &f
}

// TestDynamicSlots: for segment, word and vocabulary slots with dynamic K,
// text i's first K_i slots in a batch of texts of different lengths equal
// those of fixed-K_i slots (same parameters) on text i alone, and equal
// the same slots run on text i alone; the injector reports the counts.
func TestDynamicSlots(t *testing.T) {
	r := testutil.RNG(3)
	for _, input := range []string{SlotsSegments, SlotsWords, SlotsVocab} {
		c := dynamicConfig()
		c.SlotInput = input
		if input == SlotsSegments {
			c.WordsPerSegment, c.TokensPerSegment = 0, 2
		}
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		s := NewSlots(c, 0.8, r)
		if input == SlotsSegments {
			s.Projector = NewProjector(c, r)
		}
		emb := tensor.RandN(r, 1, 11, c.DecDim)
		s.SetVocabulary(func() *tensor.Tensor { return emb })
		tok := testTokens(t, r, c.EncDim, 1, 5, 17, 3, 8)
		src := Source{Tok: tok, V: tensor.RandN(r, 1, 5, c.DecDim)}
		counts := s.SlotCounts(src)
		if want := c.SlotCounts(tok); !slices.Equal(counts, want) || slices.Max(counts) != c.K || slices.Min(counts) >= c.K {
			t.Fatalf("%s: counts %v (config: %v), want ragged up to K = %d", input, counts, want, c.K)
		}
		got := s.SlotVectors(src)
		if !slices.Equal(got.Shape(), []int{5, c.K, c.DecDim}) {
			t.Fatalf("%s: slots %v", input, got.Shape())
		}
		d := c.DecDim
		for i, k := range counts {
			one, err := StackTokens([][]float32{tok.Row(i)}, c.EncDim)
			if err != nil {
				t.Fatal(err)
			}
			oneSrc := Source{Tok: one, V: tensor.FromSlice(src.V.Row(i), 1, d)}
			row := got.Data()[i*c.K*d:][:k*d]
			for name, want := range map[string][]float32{
				"fixed-K twin": fixedTwin(s, k).SlotVectors(oneSrc).Data(),
				"alone":        s.SlotVectors(oneSrc).Data()[:k*d],
			} {
				if diff := maxDiff(row, want); diff > 1e-5 {
					t.Fatalf("%s text %d (%d slots): batch and %s differ by %g", input, i, k, name, diff)
				}
			}
		}
	}
}

func maxDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var m float64
	for i := range a {
		m = max(m, math.Abs(float64(a[i]-b[i])))
	}
	return m
}

// TestDynamicSlotGradients checks against finite differences the gradients
// through dynamic-K word slots (ragged segment means, then the lexical
// map) and through the losses that read only each text's own slots: the
// masked slot mean (SlotAlignLoss, BagOfWords) and the masked
// log-sum-exp over slots (WordLoss, WordNCE).
func TestDynamicSlotGradients(t *testing.T) {
	c := dynamicConfig()
	r := testutil.RNG(4)
	s := NewSlots(c, 0.9, r)
	tok := testTokens(t, r, c.EncDim, 2, 7, 4)
	counts := s.SlotCounts(Source{Tok: tok})
	if !slices.Equal(counts, []int{2, 6, 4}) {
		t.Fatalf("counts %v", counts)
	}
	checkSlotGradients(t, s, tok, []**autograd.Var{&s.Scale.Gamma, &s.Lexical.Weight, &s.Lexical.Bias})

	const v = 9
	unit := UnitRows(tensor.RandN(r, 1, v, c.DecDim))
	h := tensor.RandN(r, 1, 3, c.DecDim)
	words := [][]int{{1, 4}, {2, 2, 7, 0}, {8}}
	bow := NewBagOfWords(c.DecDim, v, r)
	x := tensor.RandN(r, 1, 3, c.K, c.DecDim)
	for name, loss := range map[string]func(tp *autograd.Tape, s *autograd.Var) *autograd.Var{
		"slot align": func(tp *autograd.Tape, s *autograd.Var) *autograd.Var {
			return SlotAlignLoss(tp, s, counts, h, 0.5, 0.3, 0.5)
		},
		"word loss":    func(tp *autograd.Tape, s *autograd.Var) *autograd.Var { return WordLoss(tp, s, counts, unit, words) },
		"word NCE":     func(tp *autograd.Tape, s *autograd.Var) *autograd.Var { return WordNCE(tp, s, counts, unit, words) },
		"bag of words": func(tp *autograd.Tape, s *autograd.Var) *autograd.Var { return bow.Loss(tp, s, counts, words) },
	} {
		res, err := autograd.Check(func(tp *autograd.Tape, xs []*autograd.Var) *autograd.Var { return loss(tp, xs[0]) },
			[]*tensor.Tensor{x}, autograd.CheckOpts{Tol: 3e-3})
		if err != nil {
			t.Fatalf("%s: %v (%+v)", name, err, res)
		}
		// Padding is read by nothing: changing it leaves the loss, and
		// its gradient is zero.
		y := x.Clone()
		for i, k := range counts {
			for j := k * c.DecDim; j < c.K*c.DecDim; j++ {
				y.Data()[i*c.K*c.DecDim+j] = 50 * float32(math.Sin(float64(j)))
			}
		}
		tp := autograd.NewTape()
		yv := autograd.NewParam("y", y)
		l := loss(tp, yv)
		tp.Backward(l)
		if a, b := loss(nil, autograd.Const(x)).Item(), l.Item(); math.Abs(float64(a-b)) > 1e-5*max(1, math.Abs(float64(a))) {
			t.Fatalf("%s: loss %g with other padding, %g before", name, b, a)
		}
		for i, k := range counts {
			for _, g := range yv.Grad.Data()[(i*c.K+k)*c.DecDim : (i+1)*c.K*c.DecDim] {
				if g != 0 {
					t.Fatalf("%s: padding of text %d has gradient %g", name, i, g)
				}
			}
		}
	}
}

// TestMaskedScoresPerText: with counts, text i's slot mean and word
// scores are those of its first counts[i] slots taken alone.
func TestMaskedScoresPerText(t *testing.T) {
	r := testutil.RNG(5)
	const n, k, d, v = 3, 5, 4, 7
	x := tensor.RandN(r, 1, n, k, d)
	unit := UnitRows(tensor.RandN(r, 1, v, d))
	counts := []int{1, 5, 3}
	mean := slotMean(nil, autograd.Const(x), counts).Value
	scores := wordScores(nil, autograd.Const(x), counts, unit).Value
	if m := MeanSlots(x, counts); maxDiff(m.Data(), mean.Data()) > 1e-6 {
		t.Fatalf("MeanSlots and the tape's masked mean differ by %g", maxDiff(m.Data(), mean.Data()))
	}
	for i, ki := range counts {
		alone := autograd.Const(tensor.FromSlice(slices.Clone(x.Data()[i*k*d:][:ki*d]), 1, ki, d))
		if diff := maxDiff(mean.Row(i), tensor.MeanAxis(alone.Value, 1, false).Data()); diff > 1e-6 {
			t.Fatalf("text %d: masked mean differs by %g", i, diff)
		}
		if diff := maxDiff(scores.Row(i), wordScores(nil, alone, nil, unit).Value.Data()); diff > 1e-5 {
			t.Fatalf("text %d: masked word scores differ by %g", i, diff)
		}
	}
}

// TestDynamicInputs: with dynamic K each prompt carries its own text's
// number of slot tokens and their vectors; generating the ragged batch
// together gives what each input gives alone.
func TestDynamicInputs(t *testing.T) {
	c := dynamicConfig()
	c.DecDim = 16
	tok := newWordTok(c.K)
	lc := llama.Tiny(len(tok.specials) + 8)
	lc.Hidden, lc.Intermediate, lc.Layers, lc.Heads, lc.KVHeads, lc.HeadDim = 16, 32, 2, 2, 1, 8
	m := llama.New(lc, testutil.RNG(6))
	m.Emb.W.ScaleInPlace(20) // peaked logits: greedy answers differ by input
	d, err := NewDecoder(m, tok, nil, "", "", c.K)
	if err != nil {
		t.Fatal(err)
	}
	r := testutil.RNG(7)
	s := NewSlots(c, 3, r)
	toks := testTokens(t, r, c.EncDim, 2, 13, 5, 1)
	src := Source{V: tensor.RandN(r, 1, 4, lc.Hidden), Tok: toks}
	f := c.Form()
	in, err := d.Inputs(f, []string{"a?", "bb?", "c?", "d?"}, []string{"x 12", "y", "zz", "w 3"}, s, src)
	if err != nil {
		t.Fatal(err)
	}
	all := s.SlotVectors(src)
	w := lc.Hidden
	for i, e := range in {
		k := c.SlotsFor(toks.Counts()[i])
		if len(e.SlotPos) != k || len(e.Vectors) != k*w || !slices.Equal(e.Vectors, all.Data()[i*c.K*w:][:k*w]) {
			t.Fatalf("input %d: %d slot positions and %d values, want %d slots", i, len(e.SlotPos), len(e.Vectors), k)
		}
		for j, p := range e.SlotPos {
			if e.IDs[p] != d.IDs.Slots[j] {
				t.Fatalf("input %d: position %d holds %d, not slot %d", i, p, e.IDs[p], j)
			}
		}
		if k < c.K && slices.Contains(e.IDs, d.IDs.Slots[k]) {
			t.Fatalf("input %d: a slot token past its %d", i, k)
		}
	}
	batch, err := GenerateIDs(m, in, d.IDs.Pad, d.IDs.EOT, 6, 4)
	if err != nil {
		t.Fatal(err)
	}
	logits := lastLogits(m, in, d.IDs.Pad)
	for i := range in {
		alone, err := GenerateIDs(m, in[i:i+1], d.IDs.Pad, d.IDs.EOT, 6, 1)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(alone[0], batch[i]) {
			t.Fatalf("input %d: batched %v, alone %v", i, batch[i], alone[0])
		}
		if diff := maxDiff(logits.Row(i), lastLogits(m, in[i:i+1], d.IDs.Pad).Row(0)); diff > 1e-4 {
			t.Fatalf("input %d: next-token logits in the ragged batch and alone differ by %g", i, diff)
		}
	}
}

// lastLogits returns the next-token logits after each input's prompt
// [N, V], the inputs left-padded into one batch with their vectors at
// their slot positions (as GenerateIDs lays them out).
func lastLogits(m *llama.Model, in []Input, pad int) *tensor.Tensor {
	prompts := make([][]int, len(in))
	for i, e := range in {
		prompts[i] = e.IDs
	}
	b := llama.PadLeft(prompts, pad)
	w := m.Config.Hidden
	x := m.Embed(b.IDs).Reshape(b.B, b.T, w)
	for r, e := range in {
		off := b.T - len(e.IDs)
		for j, p := range e.SlotPos {
			copy(x.Data()[(r*b.T+off+p)*w:][:w], e.Vectors[j*w:][:w])
		}
	}
	h := m.ForwardEmbeds(x, b.Mask, nil)
	last := tensor.New(b.B, w)
	for r := range b.B {
		copy(last.Row(r), h.Data()[(r*b.T+b.T-1)*w:][:w])
	}
	return m.Logits(last)
}
