//go:build ignore

// gguf2json writes the vocabulary of a llama.cpp vocab GGUF as a Hugging
// Face tokenizer.json with the pipeline of the original model, for the
// conformance fixtures (scripts/fixtures.sh runs it):
//
//	go run models/tokenizer/testdata/gguf2json.go xlmr ggml-vocab-nomic-bert-moe.gguf out.json
//	go run models/tokenizer/testdata/gguf2json.go bert ggml-vocab-bert-bge.gguf out.json
//
// xlmr: xlm-roberta-base's Unigram pipeline (Precompiled charsmap, runs of
// spaces collapsed, Metaspace, <s> $A </s>). bert: bert-base-uncased's
// WordPiece pipeline (BertNormalizer, BertPreTokenizer, [CLS] $A [SEP]);
// llama.cpp stores WordPiece pieces as "▁word" / "subword", turned back
// into "word" / "##subword".
package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/llink-go/llink/models/gguf"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: gguf2json xlmr|bert in.gguf out.json")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2], os.Args[3]); err != nil {
		fmt.Fprintln(os.Stderr, "gguf2json:", err)
		os.Exit(1)
	}
}

func run(kind, in, out string) error {
	f, err := gguf.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	toks, ok := f.Strings("tokenizer.ggml.tokens")
	if !ok {
		return fmt.Errorf("%s: no tokenizer.ggml.tokens", in)
	}
	added := func(ids ...int) []map[string]any {
		var l []map[string]any
		for _, id := range ids {
			l = append(l, map[string]any{"id": id, "content": toks[id], "single_word": false,
				"lstrip": toks[id] == "<mask>", "rstrip": false, "normalized": false, "special": true})
		}
		return l
	}
	var j map[string]any
	switch kind {
	case "xlmr":
		scores, ok := f.Float32s("tokenizer.ggml.scores")
		cmap, ok2 := f.Bytes("tokenizer.ggml.precompiled_charsmap")
		if !ok || !ok2 || len(scores) != len(toks) {
			return fmt.Errorf("%s: want scores and precompiled_charsmap", in)
		}
		vocab := make([][2]any, len(toks))
		for i, t := range toks {
			vocab[i] = [2]any{t, float64(scores[i])}
		}
		j = map[string]any{
			"version": "1.0", "truncation": nil, "padding": nil,
			"added_tokens": added(0, 1, 2, 3, len(toks)-1),
			"normalizer": map[string]any{"type": "Sequence", "normalizers": []any{
				map[string]any{"type": "Precompiled", "precompiled_charsmap": base64.StdEncoding.EncodeToString(cmap)},
				map[string]any{"type": "Replace", "pattern": map[string]any{"Regex": " {2,}"}, "content": " "},
			}},
			"pre_tokenizer":  map[string]any{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true},
			"post_processor": template("<s>", 0, "</s>", 2),
			"decoder":        map[string]any{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true},
			"model":          map[string]any{"type": "Unigram", "unk_id": 3, "vocab": vocab, "byte_fallback": false},
		}
	case "bert":
		vocab := map[string]int{}
		var specials []int
		for i, t := range toks {
			switch {
			case strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]"):
				specials = append(specials, i)
			case strings.HasPrefix(t, "▁"):
				t = strings.TrimPrefix(t, "▁")
			default:
				t = "##" + t
			}
			if _, dup := vocab[t]; !dup {
				vocab[t] = i
			}
		}
		cls, sep := vocab["[CLS]"], vocab["[SEP]"]
		var sp []int
		for _, id := range specials {
			if t := toks[id]; t == "[PAD]" || t == "[UNK]" || t == "[CLS]" || t == "[SEP]" || t == "[MASK]" {
				sp = append(sp, id)
			}
		}
		j = map[string]any{
			"version": "1.0", "truncation": nil, "padding": nil,
			"added_tokens": added(sp...),
			"normalizer": map[string]any{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
				"strip_accents": nil, "lowercase": true},
			"pre_tokenizer":  map[string]any{"type": "BertPreTokenizer"},
			"post_processor": template("[CLS]", cls, "[SEP]", sep),
			"decoder":        map[string]any{"type": "WordPiece", "prefix": "##", "cleanup": true},
			"model": map[string]any{"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
				"max_input_chars_per_word": 100, "vocab": vocab},
		}
	default:
		return fmt.Errorf("unknown kind %q", kind)
	}
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	return os.WriteFile(out, b, 0o644)
}

func template(bos string, bosID int, eos string, eosID int) map[string]any {
	sp := func(s string) map[string]any {
		return map[string]any{"SpecialToken": map[string]any{"id": s, "type_id": 0}}
	}
	return map[string]any{"type": "TemplateProcessing",
		"single": []any{sp(bos), map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}}, sp(eos)},
		"pair":   []any{sp(bos), map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}}, sp(eos), map[string]any{"Sequence": map[string]any{"id": "B", "type_id": 1}}, sp(eos)},
		"special_tokens": map[string]any{
			bos: map[string]any{"id": bos, "ids": []int{bosID}, "tokens": []string{bos}},
			eos: map[string]any{"id": eos, "ids": []int{eosID}, "tokens": []string{eos}},
		}}
}
