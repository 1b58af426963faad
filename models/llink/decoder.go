package llink

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/tokenizer"
	"github.com/llink-go/llink/tensor"
)

// IDs are the decoder token ids LLINK's prompts use.
type IDs struct {
	BOS, EOT, Pad                   int
	Foreign, ForeignEnd, ForeignEmb int
	Slots                           []int // <f0>…<fK-1>
}

// Decoder is the frozen decoder as LLINK uses it: the model, its tokenizer
// (which knows LLINK's tokens), the chat template and the token ids.
type Decoder struct {
	Model *llama.Model
	Tok   Tokenizer
	// Chat wraps a user message in the decoder's chat template, ending where
	// the assistant's answer starts.
	Chat func(user string) string
	IDs  IDs
}

// Llama-3's begin-of-text and end-of-turn tokens, the defaults of
// [NewDecoder].
const (
	Llama3BOS = tokenizer.BeginOfText
	Llama3EOT = tokenizer.EOT
)

// NewDecoder finds the ids of bos, eot (empty: Llama-3's) and LLINK's
// tokens for k slots in the decoder's tokenizer; each must be one token of
// the decoder's vocabulary. chat nil means [Llama3Chat]. Padding uses eot.
func NewDecoder(m *llama.Model, tok Tokenizer, chat func(string) string, bos, eot string, k int) (*Decoder, error) {
	if m == nil || tok == nil {
		return nil, errors.New("llink: a decoder needs its model and tokenizer")
	}
	if chat == nil {
		chat = Llama3Chat
	}
	bos, eot = cmpOr(bos, Llama3BOS), cmpOr(eot, Llama3EOT)
	one := func(name string) (int, error) {
		ids := tok.Encode(name, false)
		if len(ids) != 1 {
			return 0, fmt.Errorf("llink: the decoder tokenizer splits %s into %d tokens; it must be one special token", name, len(ids))
		}
		if ids[0] < 0 || ids[0] >= m.Config.VocabSize {
			return 0, fmt.Errorf("llink: %s is token %d, outside the decoder's vocabulary of %d (were LLINK's tokens added to this decoder?)", name, ids[0], m.Config.VocabSize)
		}
		return ids[0], nil
	}
	d := &Decoder{Model: m, Tok: tok, Chat: chat}
	var err error
	s := &d.IDs
	for _, t := range []struct {
		name string
		dst  *int
	}{{bos, &s.BOS}, {eot, &s.EOT}, {ForeignOpen, &s.Foreign}, {ForeignClose, &s.ForeignEnd}, {ForeignEmb, &s.ForeignEmb}} {
		if *t.dst, err = one(t.name); err != nil {
			return nil, err
		}
	}
	s.Pad = s.EOT
	for i := range k {
		id, err := one(SlotToken(i))
		if err != nil {
			return nil, fmt.Errorf("%w (K=%d slots)", err, k)
		}
		s.Slots = append(s.Slots, id)
	}
	return d, nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// TokenAdder is a tokenizer that can learn special tokens (the tokenizers
// of models/tokenizer are).
type TokenAdder interface {
	Tokenizer
	AddSpecialTokens(tokens ...string) []int
}

// AddTokens teaches the tokenizer LLINK's tokens for k slots ([TokenNames];
// tokens it has keep their ids) and grows the decoder's vocabulary to
// cover them, the new embedding rows set to the mean row. It returns the
// vocabulary size before and how many rows were added (bundles record
// both, so a loader can add the same rows).
func AddTokens(m *llama.Model, tok TokenAdder, k int) (base, added int, err error) {
	ids := tok.AddSpecialTokens(TokenNames(k)...)
	base = m.Config.VocabSize
	added = max(slices.Max(ids)+1-base, 0)
	if added > 0 {
		if first := m.AddTokens(added); first != base {
			return 0, 0, fmt.Errorf("llink: vocabulary grew from %d, not %d", first, base)
		}
	}
	return base, added, nil
}

// Prompt is one tokenised decoder prompt: its ids, ending where the answer
// starts, and the positions of its slot tokens <f0>…<fK-1> (none unless the
// form has slots).
type Prompt struct {
	IDs     []int
	SlotPos []int
}

// Prompt tokenises the chat-wrapped prompt of an instruction about a
// foreign text in form f ([UserMessage] around [Form.Span]).
func (d *Decoder) Prompt(f Form, instruction, foreign string) (Prompt, error) {
	p := Prompt{IDs: d.Tok.Encode(d.Chat(UserMessage(instruction, f.Span(foreign))), false)}
	if f.Content != SlotTokens {
		return p, nil
	}
	if f.K > len(d.IDs.Slots) {
		return p, fmt.Errorf("llink: a prompt with %d slots on a decoder set up for %d", f.K, len(d.IDs.Slots))
	}
	for j := range f.K {
		at := slices.Index(p.IDs, d.IDs.Slots[j])
		if at < 0 {
			return p, fmt.Errorf("llink: slot token %s (id %d) is missing from the tokenised prompt (check the chat template)", SlotToken(j), d.IDs.Slots[j])
		}
		p.SlotPos = append(p.SlotPos, at)
	}
	return p, nil
}

// SpanTokens counts the tokens strictly between <foreign> and </foreign> in
// a prompt: the raw text's tokens, or the K slots plus the copied spans.
func (d *Decoder) SpanTokens(ids []int) (int, error) {
	lo, hi := slices.Index(ids, d.IDs.Foreign), slices.Index(ids, d.IDs.ForeignEnd)
	if lo < 0 || hi < lo {
		return 0, errors.New("llink: prompt without a <foreign>…</foreign> span")
	}
	return hi - lo - 1, nil
}

// Source is what the slots of N foreign texts are made of: their projected
// Stage A vectors V [N, d] and, for an injector that reads tokens
// ([Injector.ReadsTokens]), their encoder token states.
type Source struct {
	V   *tensor.Tensor
	Tok *Tokens
}

// Injector makes the K soft vectors of each foreign text from its
// [Source]: [N, K, d]. [Slots] (Stage B) and [Scale] (Stage A only, K = 1)
// implement it.
type Injector interface {
	SlotVectors(src Source) *tensor.Tensor
	SlotCount() int
	// SlotCounts returns how many of its K slots each text of src has
	// (dynamic K: text i's are the first SlotCounts(src)[i] of its row of
	// SlotVectors, the rest padding), or nil when every text has K.
	SlotCounts(src Source) []int
	// ReadsTokens reports whether SlotVectors needs Source.Tok.
	ReadsTokens() bool
}

// SlotVectors computes s.Forward without a tape: [N, K, d].
func (s *Slots) SlotVectors(src Source) *tensor.Tensor {
	return s.Forward(nil, autograd.Const(src.V), src.Tok).Value
}

// SlotCount returns K (with dynamic K, the most slots a text has).
func (s *Slots) SlotCount() int { return s.Expander.K }

// ReadsTokens reports whether the slots read token states (a resampler or
// segments).
func (s *Slots) ReadsTokens() bool { return s.Resampler != nil || s.segments || s.Lexical != nil }

// TokenWidth is the width of the token states the slots read (0 if none).
func (s *Slots) TokenWidth() int {
	switch {
	case s.Resampler != nil:
		return s.Resampler.K.In
	case s.segments && s.Projector != nil:
		return s.Projector.FC1.In
	case s.LexicalHidden != nil:
		return s.LexicalHidden.In
	case s.Lexical != nil:
		return s.Lexical.In
	}
	return 0
}

// SlotVectors rescales src.V [N, d] to one slot per row, [N, 1, d]: Stage
// A's vector injected as it is.
func (s *Scale) SlotVectors(src Source) *tensor.Tensor {
	out := s.Forward(nil, autograd.Const(src.V)).Value
	return out.Reshape(out.Dim(0), 1, out.Dim(1))
}

// SlotCount returns 1.
func (s *Scale) SlotCount() int { return 1 }

// SlotCounts returns nil: every text has its one slot.
func (s *Scale) SlotCounts(Source) []int { return nil }

// ReadsTokens returns false: Stage A's vector is pooled.
func (s *Scale) ReadsTokens() bool { return false }

// Input is one prompt ready to generate from: Vectors [len(SlotPos)·d]
// replace the input embeddings at the prompt's slot positions.
type Input struct {
	Prompt
	Vectors []float32
}

// Inputs tokenises the prompts of instructions about foreign texts in
// form f and, when f has slots, injects inj's soft vectors of src (row i
// for item i; inj and src are unused otherwise). With dynamic K
// ([Injector.SlotCounts]) item i's prompt carries its own number of slot
// tokens, f.K being the most. It is the one injection path: evaluation,
// the baselines and the root package build their inputs here.
func (d *Decoder) Inputs(f Form, instructions, foreign []string, inj Injector, src Source) ([]Input, error) {
	if len(instructions) != len(foreign) {
		return nil, fmt.Errorf("llink: %d instructions for %d foreign texts", len(instructions), len(foreign))
	}
	prompts := func(counts []int) ([]Input, error) {
		in := make([]Input, len(foreign))
		for i := range foreign {
			fi := f
			if counts != nil {
				fi.K = counts[i]
			}
			p, err := d.Prompt(fi, instructions[i], foreign[i])
			if err != nil {
				return nil, err
			}
			in[i].Prompt = p
		}
		return in, nil
	}
	if f.Content != SlotTokens {
		return prompts(nil)
	}
	v := src.V
	switch {
	case inj == nil || v == nil:
		return nil, errors.New("llink: a slot prompt needs an injector and projected vectors")
	case inj.SlotCount() != f.K:
		return nil, fmt.Errorf("llink: the injector makes %d slots, the prompt has %d", inj.SlotCount(), f.K)
	case v.Dims() != 2 || v.Dim(0) != len(foreign) || v.Dim(1) != d.Model.Config.Hidden:
		return nil, fmt.Errorf("llink: projected vectors %v for %d texts and a decoder of width %d", v.Shape(), len(foreign), d.Model.Config.Hidden)
	case inj.ReadsTokens() && (src.Tok == nil || src.Tok.Len() != len(foreign)):
		return nil, fmt.Errorf("llink: the slots read token states, and %d texts came without theirs", len(foreign))
	}
	counts := inj.SlotCounts(src)
	for i, k := range counts {
		if k < 1 || k > f.K {
			return nil, fmt.Errorf("llink: text %d has %d slots, want 1..%d", i, k, f.K)
		}
	}
	in, err := prompts(counts)
	if err != nil {
		return nil, err
	}
	s := inj.SlotVectors(src)
	w := d.Model.Config.Hidden
	kd := f.K * w
	for i := range in {
		in[i].Vectors = s.Data()[i*kd:][:len(in[i].SlotPos)*w]
	}
	return in, nil
}

// MeanSlots returns the mean of each text's slots s [N, K, d] — of the
// first counts[i] of text i's (dynamic K), or of all K when counts is nil:
// [N, d].
func MeanSlots(s *tensor.Tensor, counts []int) *tensor.Tensor {
	if counts == nil {
		return tensor.MeanAxis(s, 1, false)
	}
	n, k, d := s.Dim(0), s.Dim(1), s.Dim(2)
	out := tensor.New(n, d)
	for i, ki := range counts {
		row := out.Row(i)
		for j := range ki {
			for c, x := range s.Data()[(i*k+j)*d:][:d] {
				row[c] += x
			}
		}
		for c := range row {
			row[c] /= float32(ki)
		}
	}
	return out
}

// Generate answers inputs greedily (at most maxNew tokens, stopping at the
// end-of-turn token) in batches of batch prompts (0: 16) of similar length,
// and returns the decoded answers, trimmed, in the inputs' order.
func (d *Decoder) Generate(in []Input, maxNew, batch int) ([]string, error) {
	gen, err := GenerateIDs(d.Model, in, d.IDs.Pad, d.IDs.EOT, maxNew, batch)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(gen))
	for i, g := range gen {
		out[i] = strings.TrimSpace(d.Tok.Decode(g))
	}
	return out, nil
}

// GenerateIDs is [Decoder.Generate] on the model m before decoding: each
// input's new tokens, the stop token eot left out. pad is any valid id.
func GenerateIDs(m *llama.Model, in []Input, pad, eot, maxNew, batch int) ([][]int, error) {
	dim := m.Config.Hidden
	if batch <= 0 {
		batch = 16
	}
	idx := make([]int, len(in))
	for i := range idx {
		idx[i] = i
	}
	// Less left padding to run through every step; batched generation
	// equals one-at-a-time generation, so the grouping does not change answers.
	sortByLen(idx, func(i int) int { return len(in[i].IDs) })
	out := make([][]int, len(in))
	for lo := 0; lo < len(in); lo += batch {
		part := idx[lo:min(lo+batch, len(in))]
		prompts := make([][]int, len(part))
		for r, i := range part {
			prompts[r] = in[i].IDs
		}
		b := llama.PadLeft(prompts, pad)
		x := m.Embed(b.IDs).Reshape(b.B, b.T, dim)
		for r, i := range part {
			e := in[i]
			if len(e.Vectors) != len(e.SlotPos)*dim {
				return nil, fmt.Errorf("llink: input %d has %d vector values for %d slots of width %d", i, len(e.Vectors), len(e.SlotPos), dim)
			}
			off := b.T - len(e.IDs) // left padding
			for j, p := range e.SlotPos {
				copy(x.Data()[(r*b.T+off+p)*dim:][:dim], e.Vectors[j*dim:][:dim])
			}
		}
		gen := m.GenerateEmbeds(x, b.Mask, prompts, llama.GenerateOptions{MaxNew: maxNew, Stop: []int{eot}, Pad: pad})
		for r, g := range gen {
			if n := len(g); n > 0 && g[n-1] == eot {
				g = g[:n-1]
			}
			out[part[r]] = g
		}
	}
	return out, nil
}
