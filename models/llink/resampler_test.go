package llink

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/tensor"
)

// randomize fills t with N(0, 0.5²) values (W_o starts at zero, which would
// hide every other gradient of the resampler).
func randomize(t *tensor.Tensor, r *rand.Rand) {
	for i := range t.Data() {
		t.Data()[i] = float32(r.NormFloat64() * 0.5)
	}
}

func tokenConfig() Config {
	c := tinyConfig()
	c.DecDim, c.EncDim, c.Dropout, c.SlotInput = 8, 6, 0, SlotsTokens
	return c
}

// testTokens returns the token states of texts of lengths ns (encoder width
// enc), right-padded.
func testTokens(t *testing.T, r *rand.Rand, enc int, ns ...int) *Tokens {
	t.Helper()
	rows := make([][]float32, len(ns))
	for i, n := range ns {
		rows[i] = tensor.RandN(r, 1, n*enc).Data()
	}
	tok, err := StackTokens(rows, enc)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestResamplerGradients checks the token-level slots' backward pass — with
// respect to the projected vectors, the token states and every resampler
// parameter — against finite differences, on texts of different lengths
// (padding masked) and with two heads.
func TestResamplerGradients(t *testing.T) {
	c := tokenConfig()
	r := testutil.RNG(7)
	s := NewSlots(c, 1.3, r)
	rs := s.Resampler
	rs.Heads = 2
	randomize(rs.O.Weight.Value, r)
	tok := testTokens(t, r, c.EncDim, 3, 1, 5)
	v := tensor.RandN(r, 1, 3, c.DecDim)
	fields := []**autograd.Var{&rs.NormQ.Weight, &rs.NormQ.Bias, &rs.NormKV.Weight, &rs.NormKV.Bias,
		&rs.Q.Weight, &rs.K.Weight, &rs.V.Weight, &rs.O.Weight, &rs.O.Bias}
	if len(fields) != len(rs.Params()) {
		t.Fatalf("the test knows %d resampler parameters, it has %d", len(fields), len(rs.Params()))
	}
	inputs := []*tensor.Tensor{v, tok.States}
	for _, f := range fields {
		inputs = append(inputs, (*f).Value)
	}
	res, err := autograd.Check(func(tp *autograd.Tape, xs []*autograd.Var) *autograd.Var {
		for i, f := range fields {
			*f = xs[2+i]
		}
		slots := s.Expander.Forward(tp, s.Adapter.Forward(tp, s.Scale.Forward(tp, xs[0])))
		return rs.forward(tp, slots, xs[1], tok.Mask)
	}, inputs, autograd.CheckOpts{Tol: 3e-3})
	if err != nil {
		t.Fatalf("%v (%+v)", err, res)
	}
}

// TestResamplerStartsAtPooledPath: with W_o at zero (as constructed) the
// token-level slots equal the pooled path's, so Stage B starts from it.
func TestResamplerStartsAtPooledPath(t *testing.T) {
	c := tokenConfig()
	tokSlots := NewSlots(c, 1.3, testutil.RNG(8))
	c.SlotInput = ""
	pooled := NewSlots(c, 1.3, testutil.RNG(8))
	if pooled.Resampler != nil || pooled.ReadsTokens() || !tokSlots.ReadsTokens() {
		t.Fatal("only SlotsTokens makes a resampler")
	}
	r := testutil.RNG(9)
	v := tensor.RandN(r, 1, 2, c.DecDim)
	src := Source{V: v, Tok: testTokens(t, r, c.EncDim, 4, 2)}
	got, want := tokSlots.SlotVectors(src), pooled.SlotVectors(Source{V: v})
	if !slices.Equal(got.Data(), want.Data()) {
		t.Fatal("a fresh resampler changed the pooled path's slots")
	}
}

// TestResamplerIgnoresPadding: a text's slots do not depend on how far it
// was padded, nor on the other texts of its batch.
func TestResamplerIgnoresPadding(t *testing.T) {
	c := tokenConfig()
	r := testutil.RNG(10)
	s := NewSlots(c, 1.3, r)
	randomize(s.Resampler.O.Weight.Value, r)
	v := tensor.RandN(r, 1, 2, c.DecDim)
	long := tensor.RandN(r, 1, 7*c.EncDim).Data()
	short := tensor.RandN(r, 1, 2*c.EncDim).Data()
	both, err := StackTokens([][]float32{short, long}, c.EncDim)
	if err != nil {
		t.Fatal(err)
	}
	alone, err := StackTokens([][]float32{short}, c.EncDim)
	if err != nil {
		t.Fatal(err)
	}
	batch := s.SlotVectors(Source{V: v, Tok: both})
	one := s.SlotVectors(Source{V: tensor.FromSlice(v.Row(0), 1, c.DecDim), Tok: alone})
	kd := c.K * c.DecDim
	for i, x := range one.Data() {
		if d := math.Abs(float64(x - batch.Data()[i])); d > 1e-5 {
			t.Fatalf("slot value %d: %g alone, %g in a padded batch", i, x, batch.Data()[i])
		}
	}
	if slices.Equal(batch.Data()[:kd], batch.Data()[kd:]) {
		t.Fatal("two different texts gave the same slots")
	}
	if !slices.Equal(both.Row(0), short) || !slices.Equal(both.Row(1), long) {
		t.Fatal("Tokens.Row does not give back the stacked rows")
	}
}

func TestStackTokensErrors(t *testing.T) {
	for _, rows := range [][][]float32{{{}}, {{1, 2, 3}}, {{1, 2, 3, 4}, {1}}} {
		if _, err := StackTokens(rows, 2); err == nil {
			t.Errorf("StackTokens(%v, 2) accepted", rows)
		}
	}
}

func TestTokensSegments(t *testing.T) {
	// Text 0 has 5 tokens of width 1 (values 1..5), text 1 has 2 (10, 20).
	tok, err := StackTokens([][]float32{{1, 2, 3, 4, 5}, {10, 20}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	seg := tok.Segments(3)
	// 5 tokens in 3 runs: [0,1) [1,3) [3,5); 2 tokens: [0,1) [0,1) [1,2).
	want := []float32{1, 2.5, 4.5, 10, 10, 20}
	if !slices.Equal(seg.States.Data(), want) || !slices.Equal(seg.States.Shape(), []int{2, 3, 1}) {
		t.Fatalf("segments %v %v, want %v", seg.States.Shape(), seg.States.Data(), want)
	}
	for _, m := range seg.Mask {
		if !m {
			t.Fatal("a segment is masked")
		}
	}
}

// TestSegmentSlots: slot k is LN(Adapter(Scale(P(segment mean k)))), and
// its gradients with respect to the adapter and scale match finite
// differences.
func TestSegmentSlots(t *testing.T) {
	c := tokenConfig()
	c.SlotInput = SlotsSegments
	r := testutil.RNG(13)
	s := NewSlots(c, 1.3, r)
	s.Projector = NewProjector(c, r)
	if !s.ReadsTokens() || s.TokenWidth() != c.EncDim || s.Resampler != nil || s.Expander.FC1 != nil {
		t.Fatalf("segment slots: reads %v, width %d, resampler %v, expander MLP %v", s.ReadsTokens(), s.TokenWidth(), s.Resampler, s.Expander.FC1)
	}
	tok := testTokens(t, r, c.EncDim, 5, 2)
	got := s.SlotVectors(Source{Tok: tok})
	seg := tok.Segments(c.K).States
	v := s.Projector.Project(seg.Reshape(2*c.K, c.EncDim))
	want := s.Expander.Norm.Forward(nil, autograd.Const(s.Adapter.Forward(nil, s.Scale.Forward(nil, autograd.Const(v))).Value.Reshape(2, c.K, c.DecDim))).Value
	if !slices.Equal(got.Data(), want.Data()) || !slices.Equal(got.Shape(), []int{2, c.K, c.DecDim}) {
		t.Fatalf("segment slots %v differ from LN(Adapter(Scale(P(segments))))", got.Shape())
	}
	fields := []**autograd.Var{&s.Scale.Gamma, &s.Adapter.FC1.Weight, &s.Adapter.FC2.Weight, &s.Adapter.Gate, &s.Expander.Norm.Weight}
	checkSlotGradients(t, s, tok, fields)
}

// TestWordSlots: word slot k is γ·unit(Lexical(segment mean k)) — at the
// norm γ, from the segment means alone — and its gradients with respect to
// γ and the lexical map match finite differences.
func TestWordSlots(t *testing.T) {
	c := tokenConfig()
	c.SlotInput = SlotsWords
	r := testutil.RNG(15)
	s := NewSlots(c, 1.3, r)
	if !s.ReadsTokens() || s.TokenWidth() != c.EncDim || s.Lexical == nil || s.Resampler != nil || s.Expander.FC1 != nil {
		t.Fatalf("word slots: reads %v, width %d, lexical %v, resampler %v, expander MLP %v", s.ReadsTokens(), s.TokenWidth(), s.Lexical, s.Resampler, s.Expander.FC1)
	}
	if got, want := len(s.Params()), 3; got != want {
		t.Fatalf("word slots train %d parameters, want %d (γ, the lexical weight and bias)", got, want)
	}
	tok := testTokens(t, r, c.EncDim, 5, 2, 11)
	got := s.SlotVectors(Source{Tok: tok})
	if !slices.Equal(got.Shape(), []int{3, c.K, c.DecDim}) {
		t.Fatalf("word slots %v, want [3 %d %d]", got.Shape(), c.K, c.DecDim)
	}
	seg := tok.Segments(c.K).States
	checkWordParts(t, got, s.Lexical.Forward(nil, autograd.Const(seg.Reshape(3*c.K, c.EncDim))).Value, 1, 1.3)
	fields := []**autograd.Var{&s.Scale.Gamma, &s.Lexical.Weight, &s.Lexical.Bias}
	checkSlotGradients(t, s, tok, fields)
}

// TestWordsPerSegment: with r words per segment, word slots r·j … r·j+r-1
// are γ·unit of the r consecutive d-wide parts of Lexical(segment mean j)
// over K/r segments, in order; gradients match finite differences; and a K
// that is not a multiple of r, or r > 1 on slots that are not word slots,
// is refused.
func TestWordsPerSegment(t *testing.T) {
	c := tokenConfig()
	c.SlotInput, c.K, c.WordsPerSegment = SlotsWords, 6, 3
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	r := testutil.RNG(17)
	s := NewSlots(c, 0.9, r)
	if s.Lexical.Out != 3*c.DecDim {
		t.Fatalf("lexical map gives %d values per segment, want %d", s.Lexical.Out, 3*c.DecDim)
	}
	tok := testTokens(t, r, c.EncDim, 7, 2, 4)
	got := s.SlotVectors(Source{Tok: tok})
	if !slices.Equal(got.Shape(), []int{3, c.K, c.DecDim}) {
		t.Fatalf("slots %v, want [3 %d %d]", got.Shape(), c.K, c.DecDim)
	}
	seg := tok.Segments(2).States // K/r = 2 segments per text
	checkWordParts(t, got, s.Lexical.Forward(nil, autograd.Const(seg.Reshape(3*2, c.EncDim))).Value, 3, 0.9)
	checkSlotGradients(t, s, tok, []**autograd.Var{&s.Scale.Gamma, &s.Lexical.Weight, &s.Lexical.Bias})
	for _, bad := range []Config{
		func() Config { b := c; b.K = 4; return b }(),
		func() Config { b := c; b.SlotInput = SlotsPooled; return b }(),
		func() Config { b := c; b.WordsPerSegment = -1; return b }(),
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("K %d, %q slots, %d words per segment: accepted", bad.K, bad.SlotInput, bad.WordsPerSegment)
		}
	}
}

// TestLexicalHidden: with a hidden width the lexical map is
// Lexical(GELU(LexicalHidden(segment mean))) — word slots are γ·unit of
// its r parts, in order, reading token states as wide as the encoder; its
// five parameters' gradients match finite differences; saved and loaded by
// name into slots of the same config they give the same slots; and a
// hidden width on slots that are not word slots, or a negative one, is
// refused.
func TestLexicalHidden(t *testing.T) {
	c := tokenConfig()
	c.SlotInput, c.K, c.WordsPerSegment, c.LexicalHidden = SlotsWords, 4, 2, 5
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	r := testutil.RNG(19)
	s := NewSlots(c, 1.1, r)
	if s.LexicalHidden == nil || s.LexicalHidden.In != c.EncDim || s.LexicalHidden.Out != 5 || s.Lexical.In != 5 || s.Lexical.Out != 2*c.DecDim || s.TokenWidth() != c.EncDim {
		t.Fatalf("lexical MLP: hidden %v, output %d→%d, token width %d", s.LexicalHidden, s.Lexical.In, s.Lexical.Out, s.TokenWidth())
	}
	if got, want := len(s.Params()), 5; got != want {
		t.Fatalf("word slots with a lexical MLP train %d parameters, want %d (γ and two weights and biases)", got, want)
	}
	if got := len(s.LexicalParams()); got != 4 {
		t.Fatalf("the word alignment would train %d parameters, want 4", got)
	}
	tok := testTokens(t, r, c.EncDim, 6, 3, 9)
	got := s.SlotVectors(Source{Tok: tok})
	seg := tok.Segments(2).States
	h := autograd.NewTape().GELU(s.LexicalHidden.Forward(nil, autograd.Const(seg.Reshape(3*2, c.EncDim))))
	checkWordParts(t, got, s.Lexical.Forward(nil, h).Value, 2, 1.1)
	// A bundle rebuilds the slots from its config and loads them by name.
	path := filepath.Join(t.TempDir(), "slots.safetensors")
	if err := SaveParams(path, s.Params(), nil); err != nil {
		t.Fatal(err)
	}
	back := NewSlots(c, 1, testutil.RNG(20))
	if _, err := LoadParams(path, back.Params()); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.SlotVectors(Source{Tok: tok}).Data(), got.Data()) {
		t.Error("word slots with a lexical MLP differ after a save and load")
	}
	checkSlotGradients(t, s, tok, []**autograd.Var{&s.Scale.Gamma, &s.LexicalHidden.Weight, &s.LexicalHidden.Bias, &s.Lexical.Weight, &s.Lexical.Bias})
	for _, bad := range []Config{
		func() Config { b := c; b.SlotInput, b.WordsPerSegment = SlotsPooled, 0; return b }(),
		func() Config { b := c; b.LexicalHidden = -1; return b }(),
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%q slots, lexical hidden %d: accepted", bad.SlotInput, bad.LexicalHidden)
		}
	}
}

// checkWordParts checks word slots got [N, K, d] against the lexical map's
// outputs lex [N·K/r, r·d] (r words per segment): slot k of text i has the
// norm gamma and the direction of part k%r of segment k/r's output.
func checkWordParts(t *testing.T, got, lex *tensor.Tensor, r int, gamma float64) {
	t.Helper()
	n, k, d := got.Dim(0), got.Dim(1), got.Dim(2)
	for i := range n {
		for j := range k {
			want := lex.Row(i*k/r + j/r)[(j%r)*d:][:d]
			slot := got.Data()[(i*k+j)*d:][:d]
			var norm, dot, wn float64
			for c, v := range slot {
				w := float64(want[c])
				norm, dot, wn = norm+float64(v)*float64(v), dot+float64(v)*w, wn+w*w
			}
			if math.Abs(math.Sqrt(norm)-gamma) > 1e-4 || dot/math.Sqrt(norm*wn) < 1-1e-5 {
				t.Fatalf("text %d slot %d: norm %.5f (want γ = %g), cosine to part %d of the lexical map of segment %d %.6f", i, j, math.Sqrt(norm), gamma, j%r, j/r, dot/math.Sqrt(norm*wn))
			}
		}
	}
}

// checkSlotGradients checks the gradients of s's slots from token states tok
// with respect to the parameters fields point at against finite
// differences.
func checkSlotGradients(t *testing.T, s *Slots, tok *Tokens, fields []**autograd.Var) {
	t.Helper()
	var inputs []*tensor.Tensor
	for _, f := range fields {
		inputs = append(inputs, (*f).Value)
	}
	res, err := autograd.Check(func(tp *autograd.Tape, xs []*autograd.Var) *autograd.Var {
		for i, f := range fields {
			*f = xs[i]
		}
		return s.Forward(tp, nil, tok)
	}, inputs, autograd.CheckOpts{Tol: 3e-3})
	if err != nil {
		t.Fatalf("%v (%+v)", err, res)
	}
}

// TestVocabularySlots: a vocabulary slot is γ·unit(Σ_v p_v e_v), p the
// softmax over the vocabulary of cos(Lexical(segment), e_v)/τ — checked in
// float64 — and its gradients with respect to γ and the lexical map match
// finite differences.
func TestVocabularySlots(t *testing.T) {
	c := tokenConfig()
	c.SlotInput = SlotsVocab
	r := testutil.RNG(16)
	s := NewSlots(c, 0.7, r)
	const v = 13
	emb := tensor.RandN(r, 1, v, c.DecDim)
	s.SetVocabulary(func() *tensor.Tensor { return emb })
	if len(s.Params()) != 3 || !s.ReadsTokens() {
		t.Fatalf("vocabulary slots: %d parameters, reads tokens %v", len(s.Params()), s.ReadsTokens())
	}
	tok := testTokens(t, r, c.EncDim, 4, 2)
	got := s.SlotVectors(Source{Tok: tok})
	seg := tok.Segments(c.K).States
	lex := s.Lexical.Forward(nil, autograd.Const(seg.Reshape(2*c.K, c.EncDim))).Value
	unit := func(x []float64) []float64 {
		var n float64
		for _, a := range x {
			n += a * a
		}
		out := make([]float64, len(x))
		for i, a := range x {
			out[i] = a / math.Sqrt(n)
		}
		return out
	}
	for i := range 2 * c.K {
		l := make([]float64, c.DecDim)
		for j, a := range lex.Row(i) {
			l[j] = float64(a)
		}
		l = unit(l)
		w := make([]float64, v)
		var z float64
		for k := range v {
			e := make([]float64, c.DecDim)
			for j, a := range emb.Row(k) {
				e[j] = float64(a)
			}
			var cos float64
			for j, a := range unit(e) {
				cos += a * l[j]
			}
			w[k] = math.Exp(cos / wordTau)
			z += w[k]
		}
		mix := make([]float64, c.DecDim)
		for k := range v {
			for j, a := range emb.Row(k) {
				mix[j] += w[k] / z * float64(a)
			}
		}
		for j, want := range unit(mix) {
			if g := float64(got.Data()[i*c.DecDim+j]); math.Abs(g-0.7*want) > 1e-5 {
				t.Fatalf("slot %d [%d] = %.6f, want %.6f", i, j, g, 0.7*want)
			}
		}
	}
	fields := []**autograd.Var{&s.Scale.Gamma, &s.Lexical.Weight, &s.Lexical.Bias}
	checkSlotGradients(t, s, tok, fields)
	defer func() {
		if recover() == nil {
			t.Error("vocabulary slots without SetVocabulary did not panic")
		}
	}()
	NewSlots(c, 1, r).SlotVectors(Source{Tok: tok})
}
