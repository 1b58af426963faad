package tokenizer

import "strings"

// Llama-3 special tokens (Llama-3.1/3.2 names).
const (
	BeginOfText = "<|begin_of_text|>"
	EndOfText   = "<|end_of_text|>"
	StartHeader = "<|start_header_id|>"
	EndHeader   = "<|end_header_id|>"
	EOT         = "<|eot_id|>"
)

// Message is one chat turn.
type Message struct {
	Role    string // "system", "user" or "assistant"
	Content string
}

// Llama3Chat renders messages with the Llama-3 chat template and, when
// addGeneration, opens the assistant turn:
//
//	<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n{content}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n
//
// Content is used as is (Hugging Face's template strips it; do that first
// if wanted). Encode the result with addSpecial=false: the BOS is in it.
func Llama3Chat(messages []Message, addGeneration bool) string {
	var sb strings.Builder
	sb.WriteString(BeginOfText)
	for _, m := range messages {
		sb.WriteString(StartHeader + m.Role + EndHeader + "\n\n" + m.Content + EOT)
	}
	if addGeneration {
		sb.WriteString(StartHeader + "assistant" + EndHeader + "\n\n")
	}
	return sb.String()
}

// Llama3Prompt is Llama3Chat for one user message with an optional system
// message (empty: none), ready for generation.
func Llama3Prompt(system, user string) string {
	var msgs []Message
	if system != "" {
		msgs = append(msgs, Message{"system", system})
	}
	return Llama3Chat(append(msgs, Message{"user", user}), true)
}
