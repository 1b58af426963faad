// Package llink is the library face of LLINK — Latent Language Injection
// for Non-English Knowledge — in pure Go: a frozen multilingual encoder
// reads a Khmer sentence, a trained projector maps its sentence vector into
// a frozen Llama decoder's embedding space, and K soft slots carry it into
// the decoder's prompt, so the decoder answers in English about text it
// cannot read well as tokens.
//
// A [Model] joins the decoder, the encoder, their tokenizers and a trained
// LLINK bundle (projector, slots and LoRA adapters, written by SaveBundle
// of models/llink, the package this one is built on). Build one from
// Hugging Face folders with [Load], or from models already in memory with
// [New]; then
//
//	v, err := m.Embed(khmer)                   // a vector in the decoder's space
//	ranked, err := m.Retrieve(khmer, english)  // English candidates, best first
//	answer, err := m.Answer(instruction, khmer)
//
// A Model is safe for concurrent use by multiple goroutines: inference only
// reads the weights, and every call allocates its own buffers.
package llink

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/models/tokenizer"
	"github.com/llink-go/llink/models/xlmr"
	"github.com/llink-go/llink/tensor"
)

// Tokenizer is what a Model needs of a tokenizer (llink.Tokenizer of
// models/llink): encoding text — with special tokens such as "<f0>"
// written literally in it recognised as single tokens — and decoding. It
// must be safe for concurrent use (the tokenizers of models/tokenizer are).
type Tokenizer = llink.Tokenizer

// Tokens LLINK adds to the decoder's vocabulary (with "<f0>"…"<fK-1>"):
// the foreign span's delimiters and the Stage A teacher position.
const (
	ForeignOpen  = llink.ForeignOpen
	ForeignClose = llink.ForeignClose
	ForeignEmb   = llink.ForeignEmb
)

// SlotToken returns the name of slot i: "<f0>", "<f1>", ….
func SlotToken(i int) string { return llink.SlotToken(i) }

// Bundle is a trained LLINK bundle (projector, slots, LoRA adapters), as
// llink.LoadBundle of models/llink reads it.
type Bundle = llink.Bundle

// Config describes the frozen models of a [Model] built with [New].
type Config struct {
	Decoder          *llama.Model
	DecoderTokenizer Tokenizer
	// DecoderID names the decoder (e.g. "meta-llama/Llama-3.2-1B-Instruct");
	// a bundle trained for another decoder is refused. Empty: not checked.
	DecoderID string

	// Encoder is the frozen encoder (an *xlmr.Model, or any
	// llink.Encoder).
	Encoder          llink.Encoder
	EncoderTokenizer Tokenizer
	EncoderID        string // as DecoderID
	// EncoderPad is the encoder's padding id (default: an *xlmr.Model's
	// config's pad_token_id; required for other encoders).
	EncoderPad *int

	// BOS and EOT are the decoder's begin-of-text and end-of-turn tokens
	// (default "<|begin_of_text|>" and "<|eot_id|>", Llama-3).
	BOS, EOT string
	// Chat wraps a user message in the decoder's chat template, ending where
	// the answer starts (default: the Llama-3 instruct template).
	Chat func(user string) string
	// MaxNewTokens caps an answer's length (default 64).
	MaxNewTokens int
	// MaxForeignTokens clips the Khmer text to this many encoder tokens, as
	// the paper does (default 256, or less if the encoder's positions end
	// sooner).
	MaxForeignTokens int
}

// Model answers questions about Khmer text with a frozen decoder, through
// LLINK's soft slots. Build it with [New] or [Load].
type Model struct {
	dec      *llink.Decoder
	bundle   *llink.Bundle
	reader   *llink.Reader
	teacher  *llink.Teacher
	maxNew   int
	reserved []string // LLINK's token names, refused in user text
}

// Ranked is one English candidate of [Model.Retrieve].
type Ranked struct {
	Index int     // position in the candidate list
	Text  string  // the candidate
	Score float32 // cosine similarity to the Khmer sentence
}

// Errors wrapped by a Model's methods, for errors.Is.
var (
	// ErrInput: unusable text (empty, not UTF-8, holding LLINK's reserved
	// tokens).
	ErrInput = errors.New("llink: bad input")
	// ErrTooLong: a prompt that does not fit the decoder's context.
	ErrTooLong = errors.New("llink: input too long")
)

// New joins in-memory models with a trained bundle. b must come from
// llink.LoadBundle on the same decoder (which adds LLINK's token rows); New
// attaches its LoRA adapters to the decoder, which the Model then owns. The
// decoder tokenizer must already know LLINK's tokens (ForeignOpen,
// ForeignClose, ForeignEmb, "<f0>"…).
func New(c Config, b *Bundle) (*Model, error) {
	switch {
	case c.Decoder == nil || c.Encoder == nil:
		return nil, errors.New("llink: New needs a decoder and an encoder")
	case c.DecoderTokenizer == nil || c.EncoderTokenizer == nil:
		return nil, errors.New("llink: New needs both tokenizers")
	case b == nil || b.Projector == nil || b.Slots == nil:
		return nil, errors.New("llink: New needs a trained bundle (llink.LoadBundle)")
	}
	have := llink.Identity{DecoderID: c.DecoderID, EncoderID: c.EncoderID, DecDim: c.Decoder.Config.Hidden, EncDim: c.Encoder.Width()}
	if err := b.Identity().Check("the bundle", have); err != nil {
		return nil, err
	}
	if c.MaxNewTokens <= 0 {
		c.MaxNewTokens = 64
	}
	dec, err := llink.NewDecoder(c.Decoder, c.DecoderTokenizer, c.Chat, c.BOS, c.EOT, b.Config.K)
	if err != nil {
		return nil, err
	}
	set, err := b.Adapters(c.Decoder)
	if err != nil {
		return nil, err
	}
	c.Decoder.UseLoRA(set)
	pad := 0
	switch {
	case c.EncoderPad != nil:
		pad = *c.EncoderPad
	case isXLMR(c.Encoder):
		pad = c.Encoder.(*xlmr.Model).Config.PadTokenID
	default:
		return nil, errors.New("llink: Config.EncoderPad is required for an encoder other than *xlmr.Model")
	}
	maxLen := c.MaxForeignTokens
	if maxLen <= 0 {
		maxLen = 256
	}
	maxLen = min(maxLen, c.Encoder.MaxTokens())
	if maxLen < 3 {
		return nil, fmt.Errorf("llink: the encoder has only %d positions", c.Encoder.MaxTokens())
	}
	return &Model{dec: dec, bundle: b, maxNew: c.MaxNewTokens, reserved: llink.TokenNames(b.Config.K),
		reader: &llink.Reader{Encoder: c.Encoder, Tok: c.EncoderTokenizer, Pad: pad, ID: c.EncoderID, MaxLen: maxLen, Pool: b.Config.EncoderPool},
		teacher: &llink.Teacher{Dec: dec, ID: c.DecoderID, MaxLen: min(256, c.Decoder.Config.MaxPositions-2),
			Pool: b.Config.TeacherPool, Layer: b.Config.TeacherLayer}}, nil
}

func isXLMR(e llink.Encoder) bool {
	_, ok := e.(*xlmr.Model)
	return ok
}

// Options says where [Load] finds the models.
type Options struct {
	// Decoder and Encoder are Hugging Face folders: config.json, safetensors
	// weights and tokenizer.json.
	Decoder, Encoder string
	// Bundle is the LLINK bundle file (models/llink SaveBundle; `llink run`
	// writes llink-bundle.safetensors).
	Bundle string
	// DecoderID and EncoderID are the ids the bundle was trained with
	// (e.g. "meta-llama/Llama-3.2-1B-Instruct"); when set, a bundle trained
	// for other models is refused. Empty: not checked.
	DecoderID, EncoderID string
	// BF16 keeps the decoder's matrices in bfloat16 (half the memory).
	BF16 bool
	// Chat, BOS, EOT, MaxNewTokens, MaxForeignTokens: as in [Config].
	Chat             func(user string) string
	BOS, EOT         string
	MaxNewTokens     int
	MaxForeignTokens int
}

// Load reads the decoder, the encoder, their tokenizers and an LLINK bundle
// from disk. LLINK's tokens are added to the decoder's tokenizer when it
// lacks them (new ids after its vocabulary, in the order ForeignOpen,
// ForeignClose, ForeignEmb, "<f0>"…; their embedding rows are all the mean
// row, so only their number matters).
func Load(o Options) (*Model, error) {
	if o.Decoder == "" || o.Encoder == "" || o.Bundle == "" {
		return nil, errors.New("llink: Load needs the decoder and encoder folders and the bundle file")
	}
	dec, err := llama.Load(o.Decoder, llama.LoadOptions{BF16: o.BF16})
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Model, error) {
		dec.Close()
		return nil, err
	}
	decTok, err := tokenizer.Load(o.Decoder)
	if err != nil {
		return fail(err)
	}
	enc, err := xlmr.Load(o.Encoder)
	if err != nil {
		return fail(err)
	}
	encTok, err := tokenizer.Load(o.Encoder)
	if err != nil {
		return fail(err)
	}
	b, err := llink.LoadBundle(o.Bundle, dec, enc.Config.Hidden, o.DecoderID, o.EncoderID)
	if err != nil {
		return fail(err)
	}
	decTok.AddSpecialTokens(llink.TokenNames(b.Config.K)...)
	m, err := New(Config{Decoder: dec, DecoderTokenizer: decTok, DecoderID: o.DecoderID,
		Encoder: enc, EncoderTokenizer: encTok, EncoderID: o.EncoderID,
		BOS: o.BOS, EOT: o.EOT, Chat: o.Chat, MaxNewTokens: o.MaxNewTokens, MaxForeignTokens: o.MaxForeignTokens}, b)
	if err != nil {
		return fail(err)
	}
	return m, nil
}

// Close releases the memory-mapped decoder weights of a Model loaded with
// BF16. The Model must not be used afterwards.
func (m *Model) Close() error { return m.dec.Model.Close() }

// K returns the number of soft slots: every text's, or with a bundle of
// dynamic K (llink.Config.TokensPerSegment in models/llink) the most a
// text gets ([Model.SlotsFor]).
func (m *Model) K() int { return m.bundle.Config.K }

// SlotsFor returns the number of soft slots a Khmer text gets: K, or with
// dynamic K one segment per TokensPerSegment of its encoder tokens, between
// the bundle's floor and K.
func (m *Model) SlotsFor(khmer string) (int, error) {
	if !m.bundle.Config.DynamicK() {
		return m.K(), nil
	}
	if err := m.checkText("the Khmer text", khmer, false); err != nil {
		return 0, err
	}
	tok, err := m.reader.Tokens([]string{khmer})
	if err != nil {
		return 0, err
	}
	return m.bundle.Config.SlotCounts(tok)[0], nil
}

// Dim returns the width of the vectors [Model.Embed] returns (the decoder's).
func (m *Model) Dim() int { return m.dec.Model.Config.Hidden }

// checkText rejects text the models cannot take.
func (m *Model) checkText(what, s string, allowEmpty bool) error {
	switch {
	case !utf8.ValidString(s):
		i := 0
		for i < len(s) {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			i += n
		}
		return fmt.Errorf("%w: %s is not valid UTF-8 (byte %d is %#x)", ErrInput, what, i, s[i])
	case !allowEmpty && strings.TrimSpace(s) == "":
		return fmt.Errorf("%w: %s is empty", ErrInput, what)
	}
	for _, t := range m.reserved {
		if strings.Contains(s, t) {
			return fmt.Errorf("%w: %s contains LLINK's reserved token %s", ErrInput, what, t)
		}
	}
	return nil
}

// Embed returns the Stage A vector of a Khmer sentence: the encoder's
// mean-pooled sentence vector (or, for a bundle trained with attention
// pooling, its pooling of the token states) mapped by the projector into
// the decoder's space, where it is trained to match the decoder's own state for the
// English translation. Text beyond MaxForeignTokens encoder tokens is
// ignored.
func (m *Model) Embed(khmer string) ([]float32, error) {
	v, err := m.project(khmer)
	if err != nil {
		return nil, err
	}
	return v.Row(0), nil
}

func (m *Model) project(khmer string) (*tensor.Tensor, error) {
	if err := m.checkText("the Khmer text", khmer, false); err != nil {
		return nil, err
	}
	proj := m.bundle.Projector
	if proj.ReadsTokens() { // attention pooling over the token states
		tok, err := m.reader.Tokens([]string{khmer})
		if err != nil {
			return nil, err
		}
		return proj.Project(proj.Student(nil, tok)), nil
	}
	z, err := m.reader.Embed([]string{khmer})
	if err != nil {
		return nil, err
	}
	return proj.Project(z), nil
}

// EmbedEnglish returns the decoder's vector for an English sentence —
// Stage A's teacher vector as the bundle defines it (by default the final
// hidden state at ForeignEmb after the sentence; llink.Config.TeacherPool)
// — the space [Model.Embed] maps Khmer into.
func (m *Model) EmbedEnglish(english string) ([]float32, error) {
	if err := m.checkText("the English text", english, false); err != nil {
		return nil, err
	}
	h, err := m.teacher.Embed([]string{english})
	if err != nil {
		return nil, err
	}
	return h.Row(0), nil
}

// Retrieve ranks English candidates by the cosine between their decoder
// vectors ([Model.EmbedEnglish]) and the Khmer sentence's ([Model.Embed]),
// best first (ties keep the candidates' order).
func (m *Model) Retrieve(khmer string, english []string) ([]Ranked, error) {
	if len(english) == 0 {
		return nil, fmt.Errorf("%w: no English candidates", ErrInput)
	}
	for i, e := range english {
		if err := m.checkText(fmt.Sprintf("English candidate %d", i), e, false); err != nil {
			return nil, err
		}
	}
	q, err := m.Embed(khmer)
	if err != nil {
		return nil, err
	}
	out := make([]Ranked, 0, len(english))
	const batch = 32
	for lo := 0; lo < len(english); lo += batch {
		hi := min(lo+batch, len(english))
		h, err := m.teacher.Embed(english[lo:hi])
		if err != nil {
			return nil, err
		}
		for i := lo; i < hi; i++ {
			out = append(out, Ranked{Index: i, Text: english[i], Score: cosine(q, h.Row(i-lo))})
		}
	}
	slices.SortStableFunc(out, func(a, b Ranked) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	return out, nil
}

func cosine(a, b []float32) float32 {
	var dot, aa, bb float64
	for i, x := range a {
		y := float64(b[i])
		dot += float64(x) * y
		aa += float64(x) * float64(x)
		bb += y * y
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return float32(dot / math.Sqrt(aa*bb))
}

// Prompt returns the decoder prompt [Model.Answer] uses for an
// instruction about a Khmer text: the chat-wrapped "Instruction: …\nForeign:
// <foreign><f0>…</foreign>\nAnswer in English only." whose slot tokens
// receive the text's K soft slots ([Model.SlotsFor] of them with dynamic
// K); when the bundle was trained with the copy channel, the text's
// numbers and Latin-script parts follow the slots inside the span (see
// llink.Config.CopyChannel in models/llink). A text the encoder cannot
// read (see [Model.SlotsFor]'s error) is shown with K slots.
func (m *Model) Prompt(instruction, khmer string) string {
	f := m.bundle.Config.Form()
	if k, err := m.SlotsFor(khmer); err == nil {
		f.K = k
	}
	return m.dec.Chat(llink.UserMessage(instruction, f.Span(khmer)))
}

// Answer follows an instruction about a Khmer text ("Translate to
// English.", "Who is mentioned?") and returns the decoder's English answer
// (greedy, at most MaxNewTokens tokens). The Khmer text reaches the decoder
// only as K soft slots.
func (m *Model) Answer(instruction, khmer string) (string, error) {
	if err := m.checkText("the instruction", instruction, false); err != nil {
		return "", err
	}
	v, err := m.project(khmer)
	if err != nil {
		return "", err
	}
	src := llink.Source{V: v}
	if m.bundle.Slots.ReadsTokens() {
		if src.Tok, err = m.reader.Tokens([]string{khmer}); err != nil {
			return "", err
		}
	}
	in, err := m.dec.Inputs(m.bundle.Config.Form(), []string{instruction}, []string{khmer}, m.bundle.Slots, src)
	if err != nil {
		return "", err
	}
	// len + maxNew > ctx, written so that no sum can overflow.
	if n, ctx := len(in[0].IDs), m.dec.Model.Config.MaxPositions; n > ctx || m.maxNew > ctx-n {
		return "", fmt.Errorf("%w: the prompt is %d decoder tokens; with %d new tokens that exceeds the decoder's context of %d", ErrTooLong, len(in[0].IDs), m.maxNew, ctx)
	}
	out, err := m.dec.Generate(in, m.maxNew, 1)
	if err != nil {
		return "", err
	}
	return out[0], nil
}
