package tokenizer

import (
	"testing"
	"unicode/utf8"
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
