package tokenizer

import (
	"strings"
	"testing"
)

func benchText(khmer bool) string {
	words := englishWords
	if khmer {
		words = khmerWords
	}
	var sb strings.Builder
	for i := 0; sb.Len() < 64<<10; i++ {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(words[(i*7+i/3)%len(words)])
	}
	return sb.String()
}

func benchEncode(b *testing.B, tok Tokenizer, text string) {
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for range b.N {
		tok.Encode(text, false)
	}
}

// BenchmarkLlama3 measures the real Llama-3 tokenizer (needs `make fixtures`).
func BenchmarkLlama3(b *testing.B) {
	tok := cachedLoad(b, llama3JSON)
	b.Run("English", func(b *testing.B) { benchEncode(b, tok, benchText(false)) })
	b.Run("Khmer", func(b *testing.B) { benchEncode(b, tok, benchText(true)) })
	// Without the word cache: every word merged from bytes.
	b.Run("KhmerNoCache", func(b *testing.B) {
		text := benchText(true)
		bpe := tok.(*BPE)
		b.SetBytes(int64(len(text)))
		for range b.N {
			bpe.mu.Lock()
			clear(bpe.cache)
			bpe.mu.Unlock()
			tok.Encode(text, false)
		}
	})
}

// BenchmarkXLMR measures the xlm-roberta-base Unigram (needs `make fixtures`).
func BenchmarkXLMR(b *testing.B) {
	tok := cachedLoad(b, xlmrGGUF)
	b.Run("English", func(b *testing.B) { benchEncode(b, tok, benchText(false)) })
	b.Run("Khmer", func(b *testing.B) { benchEncode(b, tok, benchText(true)) })
}

// BenchmarkTrained measures the small trained tokenizers (no download).
func BenchmarkTrained(b *testing.B) {
	bpe, uni := small(b)
	b.Run("BPE/English", func(b *testing.B) { benchEncode(b, bpe, benchText(false)) })
	b.Run("BPE/Khmer", func(b *testing.B) { benchEncode(b, bpe, benchText(true)) })
	b.Run("Unigram/English", func(b *testing.B) { benchEncode(b, uni, benchText(false)) })
	b.Run("Unigram/Khmer", func(b *testing.B) { benchEncode(b, uni, benchText(true)) })
}

// BenchmarkLoadLlama3JSON measures parsing the 9 MB Llama-3 tokenizer.json.
func BenchmarkLoadLlama3JSON(b *testing.B) {
	p := cachePath(b, llama3JSON)
	for range b.N {
		if _, err := Load(p); err != nil {
			b.Fatal(err)
		}
	}
}
