package llink

import (
	"fmt"
	"strings"

	"github.com/llink-go/llink/models/tokenizer"
)

// Tokens LLINK adds to the decoder's vocabulary, with the slot tokens
// "<f0>"…"<fK-1>" ([SlotToken]): the foreign span's delimiters and the
// Stage A teacher position.
const (
	ForeignOpen  = "<foreign>"
	ForeignClose = "</foreign>"
	ForeignEmb   = "<foreign_emb>"
)

// SlotToken returns the name of slot i: "<f0>", "<f1>", ….
func SlotToken(i int) string { return fmt.Sprintf("<f%d>", i) }

// TokenNames returns every token LLINK adds for k slots, in the order
// [AddTokens] adds them: ForeignOpen, ForeignClose, ForeignEmb, "<f0>"….
func TokenNames(k int) []string {
	names := []string{ForeignOpen, ForeignClose, ForeignEmb}
	for i := range k {
		names = append(names, SlotToken(i))
	}
	return names
}

// Tokenizer is what LLINK needs of a tokenizer: encoding text — with
// special tokens such as "<f0>" written literally in it recognised as
// single tokens — and decoding. The tokenizers of models/tokenizer
// implement it; they are safe for concurrent use.
type Tokenizer interface {
	Encode(text string, addSpecial bool) []int
	Decode(ids []int) string
}

// Llama3Chat wraps a user message in the Llama-3 instruct template with the
// assistant header open: the default chat template.
func Llama3Chat(user string) string { return tokenizer.Llama3Prompt("", user) }

// UserMessage is LLINK's instruction prompt (before the chat template)
// around a foreign span ([Form.Span]).
func UserMessage(instruction, span string) string {
	return "Instruction: " + instruction + "\nForeign: " + span + "\nAnswer in English only."
}

// Content is what a prompt's foreign span carries of the foreign text.
type Content int

// The foreign contents a prompt can carry.
const (
	// Raw is the foreign text itself, as tokens (the base and direct
	// fine-tuning baselines).
	Raw Content = iota
	// SlotTokens is K slot tokens <f0>…<fK-1> whose input embeddings are
	// replaced by soft vectors (LLINK; Stage A only with K = 1).
	SlotTokens
	// Nothing leaves the foreign text out (with Copy: the copied spans only).
	Nothing
)

// String names the content as the results table does.
func (c Content) String() string {
	switch c {
	case Raw:
		return "raw"
	case SlotTokens:
		return "slots"
	case Nothing:
		return "none"
	}
	return fmt.Sprintf("Content(%d)", int(c))
}

// Form is the shape of a prompt's foreign span: its content (raw text, K
// slots, or nothing) and whether the copy channel's spans ([CopySpans])
// follow it. Every method — LLINK, its ablations and the baselines — builds
// its prompt from a Form, so they differ in nothing else:
//
//	Form{Content: Raw}                        base, direct FT
//	Form{Content: Raw, Copy: true}            base + copy, direct FT + copy
//	Form{Content: Nothing, Copy: true}        copy only
//	Form{Content: SlotTokens, K: 1, Copy: c}  Stage A only
//	Form{Content: SlotTokens, K: 8, Copy: c}  LLINK (c false: without copy)
type Form struct {
	Content Content
	K       int  // slots, with SlotTokens
	Copy    bool // the copy channel's spans follow the content
}

// Form returns the form of LLINK's prompt for c: K slots, with the copy
// channel when c has it.
func (c Config) Form() Form { return Form{Content: SlotTokens, K: c.K, Copy: c.CopyChannel} }

// Span returns the foreign span for a foreign text: ForeignOpen, the
// content (the text; "<f0>…<fK-1>"; or nothing), with Copy the text's
// [CopySpans] each after a space ("<foreign><f0>…<f7> 3 kg 8 2017</foreign>"),
// then ForeignClose.
func (f Form) Span(foreign string) string {
	var b strings.Builder
	b.WriteString(ForeignOpen)
	switch f.Content {
	case Raw:
		b.WriteString(foreign)
	case SlotTokens:
		for i := range f.K {
			b.WriteString(SlotToken(i))
		}
	}
	if f.Copy {
		for _, s := range CopySpans(foreign) {
			b.WriteByte(' ')
			b.WriteString(s)
		}
	}
	b.WriteString(ForeignClose)
	return b.String()
}

// Span is c.Form().Span(foreign): LLINK's foreign span.
func (c Config) Span(foreign string) string { return c.Form().Span(foreign) }
