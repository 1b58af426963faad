package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/models/tokenizer"
)

func init() {
	register(command{name: "generate", short: "continue a prompt with a Llama decoder (Hugging Face folder or GGUF file)", run: runGenerate})
}

// parseIDs parses space- or comma-separated token ids.
func parseIDs(s string) ([]int, error) {
	var ids []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' }) {
		id, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("bad token id %q", f)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func runGenerate(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("generate", stderr)
	dir := fs.String("decoder", "", "Hugging Face Llama folder (config.json + safetensors) or llama.cpp .gguf file (f32/f16/bf16)")
	prompt := fs.String("prompt", "", "prompt text (needs the tokenizer)")
	promptIDs := fs.String("prompt-ids", "", `prompt token ids, e.g. "128000 9906 1917"`)
	maxNew := fs.Int("max-new", 32, "maximum new tokens")
	greedy := fs.Bool("greedy", false, "greedy decoding (same as --temperature 0)")
	temp := fs.Float64("temperature", 0, "sampling temperature (0: greedy)")
	topK := fs.Int("top-k", 0, "keep the K most likely tokens (0: off)")
	topP := fs.Float64("top-p", 0, "nucleus sampling mass (0: off)")
	rep := fs.Float64("repetition-penalty", 1, "penalty for repeated tokens (1: off)")
	seed := fs.Uint64("seed", 0, "sampling seed")
	bf16 := fs.Bool("bf16", false, "keep the weights in bfloat16")
	noStop := fs.Bool("no-stop", false, "do not stop at the config's eos tokens")
	printIDs := fs.Bool("print-ids", false, "print the generated token ids (always, without -prompt)")
	chat := fs.Bool("chat", false, "wrap -prompt in the Llama-3 instruct chat template (as a user message)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return usageErrorf("generate: -decoder is required")
	}
	if err := firstError(
		checkInt("generate", "max-new", *maxNew, 1, maxCount),
		checkFloat("generate", "temperature", *temp, 0, math.Inf(1)),
		checkInt("generate", "top-k", *topK, 0, maxCount),
		checkFloat("generate", "top-p", *topP, 0, 1),
	); err != nil {
		return err
	}
	if !(*rep > 0) || math.IsInf(*rep, 0) {
		return usageErrorf("generate: -repetition-penalty %v: want a finite number > 0 (1: off)", *rep)
	}
	if (*prompt == "") == (*promptIDs == "") {
		return usageErrorf("generate: give one of --prompt TEXT or --prompt-ids \"1 2 3\"")
	}
	var tok tokenizer.Tokenizer
	var ids []int
	if *prompt != "" {
		var err error
		if tok, err = tokenizer.Load(*dir); err != nil {
			return fmt.Errorf("generate: --prompt needs the folder's tokenizer: %w", err)
		}
		text := *prompt
		if *chat {
			text = llink.Llama3Chat(text)
		}
		ids = tok.Encode(text, !*chat)
	} else {
		var err error
		ids, err = parseIDs(*promptIDs)
		if err != nil || len(ids) == 0 {
			return fmt.Errorf("generate: --prompt-ids: want at least one id (%v)", err)
		}
	}
	m, err := llama.Load(*dir, llama.LoadOptions{BF16: *bf16})
	if err != nil {
		return err
	}
	defer m.Close()
	for _, id := range ids {
		if id < 0 || id >= m.Config.VocabSize {
			return fmt.Errorf("generate: token id %d outside the vocabulary [0, %d)", id, m.Config.VocabSize)
		}
	}
	opt := llama.GenerateOptions{MaxNew: *maxNew, Temperature: *temp, TopK: *topK, TopP: *topP, RepetitionPenalty: *rep, Seed: *seed}
	if *greedy {
		opt.Temperature = 0
	}
	if !*noStop {
		opt.Stop = m.Config.EOS
	}
	// The prompt and -max-new against the context, without overflow.
	if err := m.CheckGenerate(len(ids), opt); err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	out := m.Generate([][]int{ids}, opt)[0]
	if tok != nil {
		text := out
		if len(text) > 0 && slices.Contains(opt.Stop, text[len(text)-1]) {
			text = text[:len(text)-1]
		}
		fmt.Fprintln(stdout, tok.Decode(text))
	}
	if tok == nil || *printIDs {
		s := make([]string, len(out))
		for i, id := range out {
			s[i] = strconv.Itoa(id)
		}
		fmt.Fprintln(stdout, strings.Join(s, " "))
	}
	return nil
}
