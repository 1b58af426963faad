package llink

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/nn"
	"github.com/llink-go/llink/tensor"
)

// Config sizes the LLINK parts. Widths derive from the encoder and decoder.
type Config struct {
	EncDim     int     `json:"enc_dim"`     // encoder hidden size (xlm-roberta-base: 768)
	DecDim     int     `json:"dec_dim"`     // decoder hidden size (Llama-3.2-1B: 2048)
	ProjHidden int     `json:"proj_hidden"` // projector hidden width (paper: 3072 = 4·768)
	ExpHidden  int     `json:"exp_hidden"`  // expander hidden width (paper: 4096 = 2·2048)
	K          int     `json:"k"`           // soft slots (paper: 8)
	Dropout    float32 `json:"dropout"`     // projector dropout (paper: 0.1)
	GateInit   float32 `json:"gate_init"`   // adapter gate g₀ (paper: 0.5)
	GateMax    float32 `json:"gate_max"`    // adapter gate clamp (paper: 0.7)
	Eps        float32 `json:"eps"`         // LayerNorm epsilon
	// ExpResidual adds the expander's input to each of its K outputs before
	// the per-slot LayerNorm (slot_i = LN(v + FC2(GELU(FC1 v))_i)), so every
	// slot — and above all the slot mean, which Stage B aligns with the
	// teacher and retrieval ranks — starts near the Stage A vector instead of
	// a random projection of it (the slots' random parts average out in the
	// mean). Not in the paper (its expander is the plain MLP); false gives
	// the paper's.
	ExpResidual bool `json:"exp_residual,omitempty"`
	// CopyChannel passes the foreign text's parts outside its script —
	// numbers (Khmer digits as ASCII), unit symbols, Latin-script words —
	// and its people's names in Latin letters ([CopySpans]) to the decoder verbatim, as plain text after the slots
	// inside the foreign span: the copy channel for numbers that the paper names
	// as future work for its known weakness (numbers drift through the
	// slots: "30 MW becomes 1.5 kW"). Not in the paper; false gives the
	// paper's prompt.
	CopyChannel bool `json:"copy_channel,omitempty"`
	// EncoderPool is how the frozen encoder's sentence vector is pooled:
	// "" (or PoolLast) the masked mean of the last hidden state, as the
	// paper; PoolLayers (the default) the masked mean of the average of
	// every layer's hidden state (embedding output included), which keeps
	// more of the lower layers' lexical detail from an encoder trained by
	// MLM alone (chosen on the dev split: docs/EXPERIMENTS.md).
	EncoderPool string `json:"encoder_pool,omitempty"`
	// TeacherPool and TeacherLayer define Stage A's teacher vector
	// ([Teacher.Pool], [Teacher.Layer]), which Stage B's slot alignment and
	// retrieval also use: "" (or TeacherLast) and 0 give the paper's, the
	// final-normed state at <foreign_emb>; TeacherMean averages the English
	// tokens' states, and a layer 1..Layers reads the residual stream after
	// that decoder block instead of the final-normed output.
	TeacherPool  string `json:"teacher_pool,omitempty"`
	TeacherLayer int    `json:"teacher_layer,omitempty"`
	// SlotInput is what the slots are made of: "" (or SlotsPooled) the
	// pooled vector's Stage A projection only, as the paper; SlotsTokens
	// that and the encoder's token states, read by a [Resampler];
	// SlotsSegments the Stage A projections of K in-order segment means of
	// the token states ([Tokens.Segments]), one per slot; SlotsWords a
	// learned linear map of those segment means into the decoder's input
	// embedding space ([Slots.Lexical]), aligned with the decoder's own
	// embeddings of the English words before Stage B; SlotsVocab word slots
	// made of the decoder's own embedding rows, mixed by their softmax
	// similarity to the word slot ([Slots.SetVocabulary]).
	SlotInput string `json:"slot_input,omitempty"`
	// WordsPerSegment is how many word slots each segment of word slots
	// gives (0 means 1): K/WordsPerSegment in-order segment means, each
	// mapped to WordsPerSegment directions, so that one encoder token
	// whose piece spans several English words ("planted sugarcane on")
	// can spell each of them. K must be a multiple of it.
	WordsPerSegment int `json:"words_per_segment,omitempty"`
	// LexicalHidden, when positive, makes word slots' lexical map a
	// two-layer MLP (segment mean → LexicalHidden, GELU → WordsPerSegment
	// directions) instead of one linear map ([Slots.LexicalHidden]): a
	// linear map of a 256-wide token state cannot send each of the
	// encoder's thousands of pieces to its own English words. 0 (as in
	// every bundle written before it) keeps the linear map.
	LexicalHidden int `json:"lexical_hidden,omitempty"`
	// TokensPerSegment, when positive, makes K grow with the foreign text
	// (dynamic K): a text of n encoder tokens gets
	//
	//	K_i = clamp(⌈n / TokensPerSegment⌉ · WordsPerSegment, MinK, K)
	//
	// slots — one segment of WordsPerSegment slots per TokensPerSegment
	// tokens, at least MinK and at most K ([Config.SlotsFor]) — and its
	// prompt carries K_i slot tokens <f0>…<fK_i-1>. Only slots made of
	// in-order segments have it (segments, words, vocab): the pooled and
	// resampler slots come from one vector's fixed expansion into K.
	// 0 (as in every bundle written before it) keeps one K for every text.
	TokensPerSegment int `json:"tokens_per_segment,omitempty"`
	// MinK is dynamic K's floor (0 means one segment: WordsPerSegment
	// slots); a multiple of WordsPerSegment, at most K.
	MinK int `json:"min_k,omitempty"`
	// AttnHeads, when positive, makes Stage A's student vector an
	// attention pooling of the encoder's token states with that many heads
	// ([AttnPool], the [Projector]'s Pool, trained with it) in place of the
	// Reader's masked mean: the projector then reads token states wherever
	// it maps a text (Stage A, the slots' input, retrieval). It must divide
	// EncDim. 0 (as in every bundle written before it) keeps the mean.
	AttnHeads int `json:"attn_heads,omitempty"`
}

// Slot inputs (Config.SlotInput).
const (
	SlotsPooled   = "pooled"
	SlotsTokens   = "tokens"
	SlotsSegments = "segments"
	SlotsWords    = "words"
	SlotsVocab    = "vocab"
)

// wordSlots reports whether the slots are word slots (made by a lexical
// map of segment means: SlotsWords or SlotsVocab).
func (c Config) wordSlots() bool { return c.SlotInput == SlotsWords || c.SlotInput == SlotsVocab }

// wordsPerSegment returns WordsPerSegment with 0 read as 1.
func (c Config) wordsPerSegment() int { return max(c.WordsPerSegment, 1) }

// TokenSlots reports whether the slots read the encoder's token states.
func (c Config) TokenSlots() bool {
	return c.SlotInput == SlotsTokens || c.SlotInput == SlotsSegments || c.wordSlots()
}

// Encoder pooling choices (Config.EncoderPool).
const (
	PoolLast   = "last"
	PoolLayers = "layers"
)

// DefaultConfig returns the paper's settings for an encoder of width enc and
// a decoder of width dec, with three additions: the residual expander (see
// Config.ExpResidual), the copy channel (Config.CopyChannel) and the
// layer-mean encoder pooling (Config.EncoderPool).
func DefaultConfig(enc, dec int) Config {
	return Config{EncDim: enc, DecDim: dec, ProjHidden: 4 * enc, ExpHidden: 2 * dec, K: 8,
		Dropout: 0.1, GateInit: 0.5, GateMax: 0.7, Eps: 1e-5, ExpResidual: true, CopyChannel: true, EncoderPool: PoolLayers}
}

// MaxK is the most soft slots a Config may have.
const MaxK = 256

// CheckK reports a slot count outside 1..MaxK.
func CheckK(k int) error {
	if k < 1 || k > MaxK {
		return fmt.Errorf("llink: K = %d slots, want 1..%d", k, MaxK)
	}
	return nil
}

// Validate reports the first inconsistent setting.
func (c Config) Validate() error {
	switch {
	case c.EncDim <= 0 || c.DecDim <= 0 || c.ProjHidden <= 0 || c.ExpHidden <= 0:
		return fmt.Errorf("llink: widths must be positive (enc %d, dec %d, proj hidden %d, exp hidden %d)", c.EncDim, c.DecDim, c.ProjHidden, c.ExpHidden)
	case CheckK(c.K) != nil:
		return CheckK(c.K)
	case c.Dropout < 0 || c.Dropout >= 1:
		return fmt.Errorf("llink: dropout %g not in [0, 1)", c.Dropout)
	case c.GateMax <= 0 || c.GateMax > 1:
		return fmt.Errorf("llink: gate clamp %g not in (0, 1]", c.GateMax)
	case c.EncoderPool != "" && c.EncoderPool != PoolLast && c.EncoderPool != PoolLayers:
		return fmt.Errorf("llink: encoder pooling %q, want %q or %q", c.EncoderPool, PoolLast, PoolLayers)
	case CheckTeacher(c.TeacherPool, c.TeacherLayer, max(c.TeacherLayer, 0)) != nil: // the decoder checks the top layer
		return CheckTeacher(c.TeacherPool, c.TeacherLayer, max(c.TeacherLayer, 0))
	case c.SlotInput != "" && c.SlotInput != SlotsPooled && c.SlotInput != SlotsTokens && c.SlotInput != SlotsSegments && !c.wordSlots():
		return fmt.Errorf("llink: slot input %q, want %q, %q, %q, %q or %q", c.SlotInput, SlotsPooled, SlotsTokens, SlotsSegments, SlotsWords, SlotsVocab)
	case c.LexicalHidden < 0 || c.LexicalHidden > 0 && !c.wordSlots():
		return fmt.Errorf("llink: lexical hidden width %d with slot input %q (only word slots, %q or %q, have a lexical map)", c.LexicalHidden, c.SlotInput, SlotsWords, SlotsVocab)
	case c.WordsPerSegment < 0 || c.WordsPerSegment > 1 && !c.wordSlots():
		return fmt.Errorf("llink: %d words per segment with slot input %q (only word slots, %q or %q, have segments of several words)", c.WordsPerSegment, c.SlotInput, SlotsWords, SlotsVocab)
	case c.K%c.wordsPerSegment() != 0:
		return fmt.Errorf("llink: K = %d slots is not a multiple of %d words per segment", c.K, c.WordsPerSegment)
	case c.TokensPerSegment < 0 || c.TokensPerSegment > MaxTokensPerSegment:
		return fmt.Errorf("llink: %d encoder tokens per segment, want 0 (one K for every text) to %d", c.TokensPerSegment, MaxTokensPerSegment)
	case c.TokensPerSegment > 0 && c.SlotInput != SlotsSegments && !c.wordSlots():
		return fmt.Errorf("llink: dynamic K (%d tokens per segment) with slot input %q: only slots made of in-order segments (%q, %q, %q) can vary in number", c.TokensPerSegment, cmpOr(c.SlotInput, SlotsPooled), SlotsSegments, SlotsWords, SlotsVocab)
	case c.MinK != 0 && c.TokensPerSegment == 0:
		return fmt.Errorf("llink: a floor of %d slots without dynamic K (tokens per segment 0)", c.MinK)
	case c.MinK < 0 || c.MinK > c.K || c.MinK%c.wordsPerSegment() != 0:
		return fmt.Errorf("llink: a floor of %d slots, want 0 (one segment) or a multiple of %d words per segment up to K = %d", c.MinK, c.wordsPerSegment(), c.K)
	case c.AttnHeads < 0 || c.AttnHeads > 0 && c.EncDim%c.AttnHeads != 0:
		return fmt.Errorf("llink: %d attention-pooling heads, want 0 (the mean) or a divisor of the encoder width %d", c.AttnHeads, c.EncDim)
	case c.AttnHeads > 0 && c.SlotInput == SlotsSegments:
		return fmt.Errorf("llink: attention pooling (%d heads) with slot input %q: segment slots project each segment's mean, not a text's attention pooling", c.AttnHeads, SlotsSegments)
	}
	return nil
}

// MaxTokensPerSegment is the largest [Config.TokensPerSegment].
const MaxTokensPerSegment = 1 << 16

// DynamicK reports whether each text gets its own number of slots
// ([Config.TokensPerSegment]).
func (c Config) DynamicK() bool { return c.TokensPerSegment > 0 }

// SlotsFor returns the slots of a text of n encoder tokens: K, or with
// dynamic K clamp(⌈n/TokensPerSegment⌉·WordsPerSegment, MinK, K), where
// MinK 0 means WordsPerSegment.
func (c Config) SlotsFor(n int) int { return c.slotRule().of(n) }

// SlotCounts returns the slots of each text of tok ([Config.SlotsFor] of
// its real tokens), or nil without dynamic K (every text has K).
func (c Config) SlotCounts(tok *Tokens) []int { return c.slotRule().counts(tok) }

// slotRule is what [Config.SlotsFor] reads of a Config (the [Slots] keep
// it).
type slotRule struct{ k, perTokens, wps, minK int }

func (c Config) slotRule() slotRule {
	return slotRule{k: c.K, perTokens: c.TokensPerSegment, wps: c.wordsPerSegment(), minK: cmp.Or(c.MinK, c.wordsPerSegment())}
}

func (r slotRule) of(n int) int {
	if r.perTokens <= 0 {
		return r.k
	}
	segs := (max(n, 1) + r.perTokens - 1) / r.perTokens
	return min(max(segs*r.wps, r.minK), r.k)
}

func (r slotRule) counts(tok *Tokens) []int {
	if r.perTokens <= 0 || tok == nil {
		return nil
	}
	out := tok.Counts()
	for i, n := range out {
		out[i] = r.of(n)
	}
	return out
}

// Projector is Stage A's map from encoder space to decoder space:
// LayerNorm(W₂·Dropout(GELU(W₁z + b₁)) + b₂). z is the Reader's pooled
// sentence vector, or with Pool set ([Config.AttnHeads]) Pool's attention
// pooling of the text's token states.
type Projector struct {
	FC1, FC2 *nn.Linear
	Norm     *nn.LayerNorm
	Dropout  float32
	// Pool, when set, is Stage A's attention pooling of the token states
	// that makes z ([Projector.Student]); nil: z is the Reader's mean.
	Pool *AttnPool
}

// NewProjector returns a projector with parameters named
// "projector.{fc1,fc2,norm}.*", initialised from r, and with
// c.AttnHeads > 0 an attention pooling ("attnpool.query", zero at the
// start; it draws nothing from r). c must be valid ([Config.Validate]).
func NewProjector(c Config, r *rand.Rand) *Projector {
	p := &Projector{
		FC1:     nn.NewLinear("projector.fc1", c.EncDim, c.ProjHidden, true, nil, r),
		FC2:     nn.NewLinear("projector.fc2", c.ProjHidden, c.DecDim, true, nil, r),
		Norm:    nn.NewLayerNorm("projector.norm", c.DecDim, c.Eps, true),
		Dropout: c.Dropout,
	}
	if c.AttnHeads > 0 {
		var err error
		if p.Pool, err = NewAttnPool(c.EncDim, c.AttnHeads); err != nil {
			panic(err) // an unvalidated Config: a programmer error
		}
	}
	return p
}

// ReadsTokens reports whether the projector's input is made from the
// texts' token states (an attention pooling) rather than their pooled
// vectors.
func (p *Projector) ReadsTokens() bool { return p.Pool != nil }

// Student returns the vectors the projector reads for N texts: their
// pooled vectors z [N, enc], or with an attention pooling its pooling of
// their token states tok (then z is unused and may be nil).
func (p *Projector) Student(z *tensor.Tensor, tok *Tokens) *tensor.Tensor {
	if p.Pool == nil {
		return z
	}
	return p.Pool.Pool(tok)
}

// Forward maps z [N, enc] to [N, dec]. Dropout is applied when rng is
// non-nil (training).
func (p *Projector) Forward(tp *autograd.Tape, z *autograd.Var, rng *rand.Rand) *autograd.Var {
	h := tp.GELU(p.FC1.Forward(tp, z))
	if rng != nil && p.Dropout > 0 {
		h = tp.Dropout(h, p.Dropout, rng)
	}
	return p.Norm.Forward(tp, p.FC2.Forward(tp, h))
}

// Params lists the projector's parameters (its attention pooling's last).
func (p *Projector) Params() []*autograd.Var {
	ps := nn.Join(p.FC1, p.FC2, p.Norm)
	if p.Pool != nil {
		ps = append(ps, p.Pool.Params()...)
	}
	return ps
}

// Scale renormalises a projected vector to the decoder's embedding scale:
// v ← γ·LN(v/‖v‖) with an affine-free LayerNorm and one learned scalar γ.
type Scale struct {
	Gamma *autograd.Var // [1], "scale.gamma"
	Eps   float32
}

// NewScale returns a Scale with γ₀ = gamma0 (the paper: the median norm of
// the decoder's embedding rows, see [MedianRowNorm]).
func NewScale(gamma0, eps float32) *Scale {
	return &Scale{Gamma: autograd.NewParam("scale.gamma", tensor.FromSlice([]float32{gamma0}, 1)), Eps: eps}
}

// Forward applies the scale to v [N, d].
func (s *Scale) Forward(tp *autograd.Tape, v *autograd.Var) *autograd.Var {
	u := tp.L2Normalize(v, 1e-12)
	return tp.Mul(tp.LayerNorm(u, nil, nil, s.Eps), s.Gamma)
}

// Params lists γ.
func (s *Scale) Params() []*autograd.Var { return []*autograd.Var{s.Gamma} }

// MedianRowNorm returns the median L2 norm of the rows of a [rows, d]
// embedding matrix (γ₀ for [Scale]).
func MedianRowNorm(emb *tensor.Tensor) float32 {
	rows := emb.Rows()
	norms := make([]float64, rows)
	for i := 0; i < rows; i++ {
		var s float64
		for _, v := range emb.Row(i) {
			s += float64(v) * float64(v)
		}
		norms[i] = math.Sqrt(s)
	}
	return float32(median(norms))
}

func median(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	s := append([]float64(nil), x...)
	sortFloats(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Adapter is the identity-gated residual adapter
// x + clamp(tanh(g), 0, max)·W₂·GELU(W₁·LN(x)).
type Adapter struct {
	Norm     *nn.LayerNorm
	FC1, FC2 *nn.Linear
	Gate     *autograd.Var // [1], "adapter.gate"
	GateMax  float32
}

// NewAdapter returns an adapter on width d with gate g₀ = c.GateInit.
func NewAdapter(c Config, r *rand.Rand) *Adapter {
	d := c.DecDim
	return &Adapter{
		Norm:    nn.NewLayerNorm("adapter.norm", d, c.Eps, true),
		FC1:     nn.NewLinear("adapter.fc1", d, d, true, nil, r),
		FC2:     nn.NewLinear("adapter.fc2", d, d, true, nil, r),
		Gate:    autograd.NewParam("adapter.gate", tensor.FromSlice([]float32{c.GateInit}, 1)),
		GateMax: c.GateMax,
	}
}

// Forward applies the adapter to x [N, d].
func (a *Adapter) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	h := a.FC2.Forward(tp, tp.GELU(a.FC1.Forward(tp, a.Norm.Forward(tp, x))))
	g := tp.Clamp(tp.Tanh(a.Gate), 0, a.GateMax)
	return tp.Add(x, tp.Mul(h, g))
}

// Params lists the adapter's parameters.
func (a *Adapter) Params() []*autograd.Var {
	return append(nn.Join(a.Norm, a.FC1, a.FC2), a.Gate)
}

// Expander turns one d-vector into K slot vectors: Linear → GELU → Linear
// to K·d (plus the input itself with Residual), then a LayerNorm per slot
// (shared affine parameters).
type Expander struct {
	FC1, FC2 *nn.Linear
	Norm     *nn.LayerNorm
	K, D     int
	Residual bool
}

// NewExpander returns an expander for c.K slots of width c.DecDim.
// Segment slots ([SlotsSegments]) get only the per-slot LayerNorm: each
// slot comes from its own segment, so there is nothing to expand.
func NewExpander(c Config, r *rand.Rand) *Expander {
	e := &Expander{Norm: nn.NewLayerNorm("expander.norm", c.DecDim, c.Eps, true), K: c.K, D: c.DecDim, Residual: c.ExpResidual}
	if c.SlotInput != SlotsSegments && !c.wordSlots() {
		e.FC1 = nn.NewLinear("expander.fc1", c.DecDim, c.ExpHidden, true, nil, r)
		e.FC2 = nn.NewLinear("expander.fc2", c.ExpHidden, c.K*c.DecDim, true, nil, r)
	}
	return e
}

// Forward maps v [N, d] to slots [N, K, d].
func (e *Expander) Forward(tp *autograd.Tape, v *autograd.Var) *autograd.Var {
	n := v.Shape()[0]
	s := tp.Reshape(e.FC2.Forward(tp, tp.GELU(e.FC1.Forward(tp, v))), n, e.K, e.D)
	if e.Residual {
		s = tp.Add(s, tp.Reshape(v, n, 1, e.D))
	}
	return e.Norm.Forward(tp, s)
}

// Params lists the expander's parameters (only the norm's for segment
// slots, which have no MLP).
func (e *Expander) Params() []*autograd.Var {
	if e.FC1 == nil {
		return e.Norm.Params()
	}
	return nn.Join(e.FC1, e.FC2, e.Norm)
}

// Slots bundles Stage B's path from a projected vector to K soft tokens:
// Expander(Adapter(Scale(v))), then with token-level slots the
// [Resampler] over the encoder's token states. Segment slots skip the
// expander's MLP: slot k is LN(Adapter(Scale(P(segment k)))), P the Stage A
// projector (frozen, set in Projector).
type Slots struct {
	Scale     *Scale
	Adapter   *Adapter
	Expander  *Expander
	Resampler *Resampler // nil: the paper's pooled path
	// Projector is Stage A's, which segment slots apply to each segment
	// mean; not one of the slots' parameters (the bundle holds it). Nil
	// for the other slot inputs.
	Projector *Projector
	// Lexical maps each segment mean of the encoder's token states to the
	// decoder's input embedding space, for word slots ([SlotsWords]); nil
	// for the other slot inputs.
	Lexical *nn.Linear
	// LexicalHidden is the lexical map's first layer when it is an MLP
	// ([Config.LexicalHidden]): Lexical then reads GELU(LexicalHidden(m)).
	// Nil for a linear lexical map and for the other slot inputs.
	LexicalHidden *nn.Linear
	segments      bool
	// vocab and vocabUnit are the decoder's input embedding rows [V, d]
	// and their unit rows, which vocabulary slots mix ([SlotsVocab],
	// [Slots.SetVocabulary]); nil for the other slot inputs.
	vocab, vocabUnit *tensor.Tensor
	mix              bool
	// rule gives each text its number of slots ([Config.SlotsFor]).
	rule slotRule
}

// NewSlots returns the Stage B parts with γ₀ = gamma0 (and a resampler for
// SlotsTokens). Segment slots need their Projector set before use.
func NewSlots(c Config, gamma0 float32, r *rand.Rand) *Slots {
	s := &Slots{Scale: NewScale(gamma0, c.Eps), Adapter: NewAdapter(c, r), Expander: NewExpander(c, r), rule: c.slotRule()}
	switch c.SlotInput {
	case SlotsTokens:
		s.Resampler = NewResampler(c, r)
	case SlotsSegments:
		s.segments = true
	case SlotsWords, SlotsVocab:
		in := c.EncDim
		if c.LexicalHidden > 0 {
			s.LexicalHidden = nn.NewLinear("lexical.hidden", c.EncDim, c.LexicalHidden, true, nil, r)
			in = c.LexicalHidden
		}
		s.Lexical = nn.NewLinear("lexical.fc", in, c.wordsPerSegment()*c.DecDim, true, nil, r)
		s.mix = c.SlotInput == SlotsVocab
	}
	return s
}

// SetVocabulary gives vocabulary slots ([SlotsVocab]) the decoder's input
// embedding rows [V, d] they are made of, from emb — called only for them,
// so the other slot inputs never copy the table (a 1 GB float32 copy at
// Llama-3.2-1B's vocabulary). It must be called before the slots are used.
func (s *Slots) SetVocabulary(emb func() *tensor.Tensor) {
	if s.mix {
		s.vocab = emb()
		s.vocabUnit = UnitRows(s.vocab)
	}
}

// Forward maps projected vectors v [N, d] to slots [N, K, d]; with a
// resampler or segments the slots also read the texts' token states tok
// (unused and may be nil otherwise). With dynamic K text i's slots are its
// first [Slots.SlotCounts] of them; the rest are padding, made of zero
// segment means, that no prompt or loss reads.
func (s *Slots) Forward(tp *autograd.Tape, v *autograd.Var, tok *Tokens) *autograd.Var {
	if s.segments {
		return s.segmentSlots(tp, tok)
	}
	if s.Lexical != nil {
		// Word slots sit at γ times a unit direction: the norm of the
		// decoder's own embedding rows (γ₀), read as words are.
		w := s.WordDirections(tp, tok)
		if s.mix {
			w = s.vocabularyMix(tp, w)
		}
		return tp.Mul(tp.L2Normalize(w, 1e-12), s.Scale.Gamma)
	}
	out := s.Expander.Forward(tp, s.Adapter.Forward(tp, s.Scale.Forward(tp, v)))
	if s.Resampler != nil {
		out = s.Resampler.Forward(tp, out, tok)
	}
	return out
}

// segmentSlots makes slot k of each text from the Stage A projection of
// its k-th segment mean.
func (s *Slots) segmentSlots(tp *autograd.Tape, tok *Tokens) *autograd.Var {
	if s.Projector == nil || tok == nil {
		panic("llink.Slots: segment slots need the Stage A projector and the texts' token states")
	}
	seg, n := s.segmentMeans(tok, 1)
	v := s.Projector.Project(seg)
	out := s.Adapter.Forward(tp, s.Scale.Forward(tp, autograd.Const(v)))
	return s.Expander.Norm.Forward(tp, tp.Reshape(out, n, s.Expander.K, s.Expander.D))
}

// segmentMeans returns the in-order segment means of tok's token states
// for slots of r words per segment — K/r segments, or with dynamic K
// K_i/r for text i, padded to K/r with zero rows — one row per (text,
// segment): [N·K/r, enc], and N.
func (s *Slots) segmentMeans(tok *Tokens, r int) (*tensor.Tensor, int) {
	k := s.Expander.K / r
	var seg *tensor.Tensor
	if ks := s.rule.counts(tok); ks != nil {
		for i := range ks {
			ks[i] /= r
		}
		seg = tok.SegmentsEach(ks, k).States
	} else {
		seg = tok.Segments(k).States
	}
	n := seg.Dim(0)
	return seg.Reshape(n*k, seg.Dim(2)), n
}

// SlotCounts returns each text's number of slots with dynamic K
// ([Config.TokensPerSegment], from src.Tok's real tokens), or nil when
// every text has K.
func (s *Slots) SlotCounts(src Source) []int { return s.rule.counts(src.Tok) }

// WordDirections returns word slots before their scale: Lexical applied to
// the K/r in-order segment means of tok's token states, r directions each
// (r = Config.WordsPerSegment), in order: [N, K, d] (with dynamic K, text
// i's first [Slots.SlotCounts] are its own). Their directions are what the
// word alignment trains ([WordNCE]).
func (s *Slots) WordDirections(tp *autograd.Tape, tok *Tokens) *autograd.Var {
	if s.Lexical == nil || tok == nil {
		panic("llink.Slots: word slots need their lexical map and the texts' token states")
	}
	seg, n := s.segmentMeans(tok, s.Lexical.Out/s.Expander.D)
	x := autograd.Const(seg)
	if s.LexicalHidden != nil {
		x = tp.GELU(s.LexicalHidden.Forward(tp, x))
	}
	return tp.Reshape(s.Lexical.Forward(tp, x), n, s.Expander.K, s.Expander.D)
}

// LexicalParams lists the lexical map's parameters (word slots; nil for
// the other slot inputs): what the word alignment trains.
func (s *Slots) LexicalParams() []*autograd.Var {
	if s.Lexical == nil {
		return nil
	}
	if s.LexicalHidden == nil {
		return s.Lexical.Params()
	}
	return nn.Join(s.LexicalHidden, s.Lexical)
}

// vocabularyMix replaces word directions w [N, K, d] by mixtures of the
// decoder's own embedding rows, weighted by the softmax over the
// vocabulary of cos(w, e_v)/τ — the similarity the word alignment ranks
// ([WordNCE]). A slot whose word is clear becomes that word's embedding,
// which the frozen decoder reads as it reads its own input.
func (s *Slots) vocabularyMix(tp *autograd.Tape, w *autograd.Var) *autograd.Var {
	if s.vocab == nil {
		panic("llink.Slots: vocabulary slots need the decoder's embedding rows (SetVocabulary)")
	}
	cos := tp.MatMul(tp.L2Normalize(w, 1e-12), autograd.Const(s.vocabUnit), false, true) // [N, K, V]
	return tp.MatMul(tp.Softmax(tp.Scale(cos, 1/wordTau)), autograd.Const(s.vocab), false, false)
}

// Params lists the Stage B parameters (not the decoder's LoRA). Word slots
// have only γ and the lexical map.
func (s *Slots) Params() []*autograd.Var {
	if s.Lexical != nil {
		return append(s.Scale.Params(), s.LexicalParams()...)
	}
	ps := append(append(s.Scale.Params(), s.Adapter.Params()...), s.Expander.Params()...)
	if s.Resampler != nil {
		ps = append(ps, s.Resampler.Params()...)
	}
	return ps
}

// Project maps student vectors z [N, enc] ([Projector.Student]) to the
// decoder space [N, dec] without dropout or tape (inference).
func (p *Projector) Project(z *tensor.Tensor) *tensor.Tensor {
	return p.Forward(nil, autograd.Const(z), nil).Value
}
