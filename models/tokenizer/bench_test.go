package tokenizer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlclark/regexp2"
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

// BenchmarkHF measures real tokenizer.json pipelines (needs `make
// fixtures`) on 64 KiB of Khmer and of English; testdata/bench_hf.mjs
// measures the Hugging Face library on the same texts.
func BenchmarkHF(b *testing.B) {
	for _, c := range hfReal {
		if c.name == "llama2" || c.name == "gptoss" {
			continue
		}
		b.Run(c.name, func(b *testing.B) {
			tok := cachedLoad(b, c.path)
			b.Run("English", func(b *testing.B) { benchEncode(b, tok, benchText(false)) })
			b.Run("Khmer", func(b *testing.B) { benchEncode(b, tok, benchText(true)) })
		})
	}
}

// BenchmarkGGUF measures the tokenizers built from llama.cpp's GGUF
// vocabularies (needs `make fixtures`).
func BenchmarkGGUF(b *testing.B) {
	for _, p := range []string{llamaGGUF, xlmrGGUF} {
		b.Run(strings.TrimSuffix(filepath.Base(p), ".gguf"), func(b *testing.B) {
			tok := cachedLoad(b, p)
			b.Run("English", func(b *testing.B) { benchEncode(b, tok, benchText(false)) })
			b.Run("Khmer", func(b *testing.B) { benchEncode(b, tok, benchText(true)) })
		})
	}
}

// TestWriteBenchText writes the benchmark texts for testdata/bench_hf.mjs
// to the folder named by LLINK_BENCH_TEXT (skipped when unset).
func TestWriteBenchText(t *testing.T) {
	dir := os.Getenv("LLINK_BENCH_TEXT")
	if dir == "" {
		t.Skip("LLINK_BENCH_TEXT not set")
	}
	for name, khmer := range map[string]bool{"english.txt": false, "khmer.txt": true} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(benchText(khmer)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
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

// BenchmarkSplitLlama3 compares the hand-written Llama-3 splitter with the
// same pattern on regexp2 (why the known patterns are written by hand).
func BenchmarkSplitLlama3(b *testing.B) {
	tr, err := translateRegex(llama3Pattern)
	if err != nil {
		b.Fatal(err)
	}
	re, err := regexp2.Compile(tr, regexp2.None)
	if err != nil {
		b.Fatal(err)
	}
	for _, m := range []struct {
		name string
		m    matcher
	}{{"hand", knownSplitter(llama3Pattern)}, {"regexp2", reMatcher{re}}} {
		for _, lang := range []string{"English", "Khmer"} {
			text := benchText(lang == "Khmer")
			b.Run(m.name+"/"+lang, func(b *testing.B) {
				b.SetBytes(int64(len(text)))
				for range b.N {
					m.m.find(text, func(int, int) {})
				}
			})
		}
	}
}
