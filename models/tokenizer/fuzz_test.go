package tokenizer

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
)

// FuzzTokenizerJSON: any tokenizer.json input is an error or a tokenizer
// that encodes and decodes without panicking.
func FuzzTokenizerJSON(f *testing.F) {
	bpe, uni := small(f)
	for _, t := range []Tokenizer{bpe, uni} {
		b, _ := SaveJSONBytes(t)
		f.Add(b[:min(len(b), 4000)], "hello ខ្មែរ")
	}
	f.Add([]byte(`{"model":{"type":"WordPiece","vocab":{"[UNK]":0,"a":1,"##b":2}},"normalizer":{"type":"BertNormalizer"}}`), "ab AB")
	f.Add([]byte(`{"model":{"type":"Unigram","vocab":[["<unk>",0],["▁a",-1],["b",-2]],"unk_id":0},"normalizer":{"type":"Precompiled","precompiled_charsmap":"BAAAAAAAAAA="}}`), "a b")
	f.Add([]byte(`{"model":{"type":"BPE","vocab":{},"merges":[["a","b"]]},"pre_tokenizer":{"type":"ByteLevel"},"added_tokens":[{"id":3,"content":"<x>"}],"post_processor":{"type":"RobertaProcessing","sep":["</s>",2],"cls":["<s>",0]}}`), "<x>")
	f.Fuzz(func(t *testing.T, data []byte, text string) {
		tok, err := ParseJSON(data, "fuzz.json")
		if err != nil {
			return
		}
		ids := tok.Encode(text, true)
		for _, id := range ids {
			if id < 0 || id >= tok.VocabSize() {
				t.Fatalf("id %d outside vocabulary of %d", id, tok.VocabSize())
			}
		}
		tok.Decode(ids)
		tok.Decode([]int{-1, 0, 1 << 30})
	})
}

// FuzzBPERoundTrip: byte-level BPE gives any text back, including invalid
// UTF-8, and added tokens are never split.
func FuzzBPERoundTrip(f *testing.F) {
	bpe, _ := small(f)
	for _, s := range corpus(9, 20) {
		f.Add(s)
	}
	f.Add("<|eot_id|>x<|begin_of_text|>\u200b  \n\t'S 1234")
	f.Add("\xff\xfe\xc3")
	f.Fuzz(func(t *testing.T, s string) {
		ids := bpe.Encode(s, false)
		if got := bpe.Decode(ids); got != s {
			t.Fatalf("decode(encode(%q)) = %q", s, got)
		}
		var parts []string
		splitLlama3(s, func(p string) { parts = append(parts, p) })
		joined := ""
		for _, p := range parts {
			if p == "" {
				t.Fatalf("empty piece for %q", s)
			}
			joined += p
		}
		if joined != s {
			t.Fatalf("split lost text: %q vs %q", joined, s)
		}
	})
}

// FuzzUnigram: segmentation never panics, ids are in range, and decoding
// gives the normalised text back.
func FuzzUnigram(f *testing.F) {
	_, uni := small(f)
	for _, s := range corpus(10, 20) {
		f.Add(s)
	}
	f.Add("  \u200b ＡＢ\xff ")
	f.Fuzz(func(t *testing.T, s string) {
		ids := uni.Encode(s, true)
		for _, id := range ids {
			if id < 0 || id >= uni.VocabSize() {
				t.Fatalf("id %d out of range", id)
			}
		}
		if !utf8.ValidString(uni.Decode(ids)) {
			t.Fatalf("invalid UTF-8 decode for %q", s)
		}
	})
}

// FuzzCharsmap: any blob is rejected or normalises without panicking.
func FuzzCharsmap(f *testing.F) {
	f.Add([]byte{4, 0, 0, 0, 0, 0, 0, 0}, "abc")
	f.Add([]byte{8, 0, 0, 0, 0, 4, 0, 0, 0x61, 1, 0, 0, 'x', 0}, "abc")
	f.Fuzz(func(t *testing.T, blob []byte, s string) {
		cm, err := ParseCharsmap(blob)
		if err != nil || cm == nil {
			return
		}
		cm.Normalize(s)
	})
}

// byteLevelJSON is a byte-level BPE tokenizer.json with the Llama-3 split,
// every byte a token, a few merges and an added token.
func byteLevelJSON() []byte {
	vocab := map[string]int{}
	for b := 0; b < 256; b++ {
		vocab[byteStr[b]] = b
	}
	k := []rune(ByteLevelEncode("ក"))
	merges := [][2]string{{"Ġ", "t"}, {"Ġt", "h"}, {string(k[0]), string(k[1])}, {string(k[:2]), string(k[2])}}
	for _, m := range merges {
		vocab[m[0]+m[1]] = len(vocab)
	}
	j := map[string]any{
		"added_tokens": []map[string]any{{"id": len(vocab), "content": "<|x|>", "special": true}},
		"pre_tokenizer": map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "Split", "pattern": map[string]string{"Regex": llama3Pattern}, "behavior": "Isolated", "invert": false},
			map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}}},
		"decoder": map[string]any{"type": "ByteLevel"},
		"model":   map[string]any{"type": "BPE", "vocab": vocab, "merges": merges},
	}
	b, _ := json.Marshal(j)
	return b
}

// FuzzPipelineRoundTrip: a byte-level pipeline decodes its ids back to the
// text (invalid UTF-8 read as U+FFFD), fast path or not.
func FuzzPipelineRoundTrip(f *testing.F) {
	tok, err := ParseJSON(byteLevelJSON(), "bytes.json")
	if err != nil {
		f.Fatal(err)
	}
	slow := *tok.(*Pipeline)
	slow.fast = nil
	for _, s := range corpus(11, 10) {
		f.Add(s)
	}
	f.Add("<|x|>the\u200b  \n\t'S 1234<|x|")
	f.Add("\xff\xe1\x9e")
	f.Fuzz(func(t *testing.T, s string) {
		ids := tok.Encode(s, false)
		if !slices.Equal(ids, slow.Encode(s, false)) {
			t.Fatalf("fast path and pipeline differ on %q", s)
		}
		if got, want := tok.Decode(ids), strings.ToValidUTF8(s, "\uFFFD"); got != want {
			t.Fatalf("decode(encode(%q)) = %q", s, got)
		}
	})
}

// FuzzRegex: any pattern is refused or compiled, and matching any text
// gives ordered, non-overlapping, in-range matches.
func FuzzRegex(f *testing.F) {
	for _, p := range []string{llama3Pattern, gpt2Pattern, `\s+(?!\S)|\w+`, `[^\s\p{L}]+`, `\x{1F600}|a{2,}`, `(?i:ab)`} {
		f.Add(p, "Hello  wörld ១២ 😀 aaa")
	}
	f.Fuzz(func(t *testing.T, pattern, text string) {
		m, err := compileRegex(pattern)
		if err != nil {
			return
		}
		if re, ok := m.(reMatcher); ok {
			re.re.MatchTimeout = 100 * time.Millisecond
		}
		last := 0
		m.find(text, func(a, b int) {
			if a < last || b < a || b > len(text) {
				t.Fatalf("%q on %q: match [%d,%d) after %d", pattern, text, a, b, last)
			}
			last = b
		})
	})
}

// FuzzKnownSplitters: each hand-written splitter gives the matches of its
// pattern on regexp2.
func FuzzKnownSplitters(f *testing.F) {
	pats := []string{llama3Pattern, qwenPattern, gpt2Pattern, o200kPattern, deepseekPattern}
	res := make([]reMatcher, len(pats))
	for i, p := range pats {
		tr, err := translateRegex(p)
		if err != nil {
			f.Fatal(err)
		}
		re, err := regexp2.Compile(tr, regexp2.None)
		if err != nil {
			f.Fatal(err)
		}
		res[i] = reMatcher{re}
	}
	for _, s := range corpus(12, 10) {
		f.Add(s)
	}
	f.Add("HELLOworld's ÉCOLEécole'LL x\u0301y ǅemal ʰa 12345 a//\n\n  b  \t\r\n c'")
	f.Add("1a (x) #define ..abc \u0301\u0301a 12 ₹5 — «ok»\r\n\r\n  ")
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		for i, p := range pats {
			var want, got [][2]int
			res[i].find(s, func(a, b int) { want = append(want, [2]int{a, b}) })
			knownSplitter(p).find(s, func(a, b int) { got = append(got, [2]int{a, b}) })
			if !slices.Equal(got, want) {
				t.Fatalf("pattern %d on %q:\n hand    %v\n regexp2 %v", i, s, got, want)
			}
		}
	})
}
