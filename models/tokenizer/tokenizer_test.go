package tokenizer

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

var (
	khmerWords   = strings.Fields("ខ្ញុំ ស្រលាញ់ ភាសា ខ្មែរ សួស្តី អរគុណ ប្រទេស កម្ពុជា ភ្នំពេញ សៀវភៅ ទឹក ផ្ទះ សាលារៀន គ្រូ សិស្ស ថ្ងៃនេះ ល្អ ធំ តូច ញ៉ាំ បាយ ទៅ មក និង មាន ជា នៅ ក្នុង ១២៣ ។")
	englishWords = strings.Fields("the of and to in is you that it he was for on are as with his they I at be this have from or one had by word but not what all were we when your can said there")
)

// corpus makes n seeded mixed sentences.
func corpus(seed uint64, n int) []string {
	r := rand.New(rand.NewPCG(seed, 7))
	out := make([]string, n)
	for i := range out {
		var sb strings.Builder
		k := 3 + r.IntN(10)
		for j := 0; j < k; j++ {
			if j > 0 {
				sb.WriteString([]string{" ", " ", "\u200b", ", ", "  ", "\n"}[r.IntN(6)])
			}
			if r.IntN(2) == 0 {
				sb.WriteString(khmerWords[r.IntN(len(khmerWords))])
			} else {
				sb.WriteString(englishWords[r.IntN(len(englishWords))])
			}
		}
		if r.IntN(5) == 0 {
			sb.WriteString(" don't 2025!")
		}
		out[i] = sb.String()
	}
	return out
}

var (
	smallOnce sync.Once
	smallBPE  *BPE
	smallUni  *Unigram
)

func small(t testing.TB) (*BPE, *Unigram) {
	smallOnce.Do(func() {
		var err error
		texts := corpus(1, 400)
		smallBPE, err = TrainBPE(texts, BPETrainConfig{VocabSize: 600, Specials: []string{BeginOfText, EndOfText, EOT}, BOS: BeginOfText})
		if err != nil {
			panic(err)
		}
		smallUni, err = TrainUnigram(texts, UnigramTrainConfig{VocabSize: 300})
		if err != nil {
			panic(err)
		}
	})
	return smallBPE, smallUni
}

func TestSplitLlama3(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"Hello world", []string{"Hello", " world"}},
		{"I'm DON'T we'll", []string{"I", "'m", " DON", "'T", " we", "'ll"}},
		{"a  b", []string{"a", " ", " b"}},
		{"a   \n\n  b", []string{"a", "   \n\n", " ", " b"}},
		{"1234567", []string{"123", "456", "7"}},
		{"x  ", []string{"x", "  "}},
		{" ... !!\n\nx", []string{" ...", " !!\n\n", "x"}},
		{"ខ្មែរ", []string{"ខ", "្ម", "ែរ"}},
		{"a\u200bខ", []string{"a", "\u200bខ"}},
		{"\t\tfoo", []string{"\t", "\tfoo"}},
		{"'sup", []string{"'s", "up"}},
	}
	for _, c := range cases {
		var got []string
		splitLlama3(c.in, func(s string) { got = append(got, s) })
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("split(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestByteLevelMap(t *testing.T) {
	if byteStr[' '] != "Ġ" || byteStr['\n'] != "Ċ" || byteStr['a'] != "a" {
		t.Fatalf("byte map: %q %q %q", byteStr[' '], byteStr['\n'], byteStr['a'])
	}
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	if got := ByteLevelDecode(ByteLevelEncode(string(all))); got != string(all) {
		t.Fatal("byte-level map does not round-trip")
	}
}

func TestTrainedBPERoundTrip(t *testing.T) {
	tok, _ := small(t)
	if n := tok.VocabSize(); n > 600 || n < 500 {
		t.Fatalf("vocab size %d, want 500..600 (stops when pairs run out)", n)
	}
	for _, s := range append(corpus(2, 200), "", " ", "🦙 new ʕ•ᴥ•ʔ text\r\n", "\xff\xfe bad utf8") {
		ids := tok.Encode(s, false)
		if got := tok.Decode(ids); got != s {
			t.Fatalf("round trip %q -> %q", s, got)
		}
	}
	ids := tok.Encode("hi", true)
	if bos, _ := tok.TokenID(BeginOfText); ids[0] != bos {
		t.Fatalf("no BOS: %v", ids)
	}
}

func TestTrainingDeterministic(t *testing.T) {
	texts := corpus(3, 150)
	a, _ := TrainBPE(texts, BPETrainConfig{VocabSize: 400})
	b, _ := TrainBPE(texts, BPETrainConfig{VocabSize: 400})
	ja, _ := a.MarshalJSON()
	jb, _ := b.MarshalJSON()
	if string(ja) != string(jb) {
		t.Fatal("BPE training is not deterministic")
	}
	u1, _ := TrainUnigram(texts, UnigramTrainConfig{VocabSize: 200})
	u2, _ := TrainUnigram(texts, UnigramTrainConfig{VocabSize: 200})
	j1, _ := u1.MarshalJSON()
	j2, _ := u2.MarshalJSON()
	if string(j1) != string(j2) {
		t.Fatal("Unigram training is not deterministic")
	}
}

// TestSaveLoad: a trained tokenizer saved as tokenizer.json loads back
// (file and folder) and encodes identically.
func TestSaveLoad(t *testing.T) {
	bpe, uni := small(t)
	dir := t.TempDir()
	for name, tok := range map[string]Tokenizer{"bpe": bpe, "unigram": uni} {
		sub := filepath.Join(dir, name)
		os.Mkdir(sub, 0o755)
		if err := SaveJSON(tok, filepath.Join(sub, "tokenizer.json")); err != nil {
			t.Fatal(err)
		}
		back, err := Load(sub)
		if err != nil {
			t.Fatal(err)
		}
		if back.VocabSize() != tok.VocabSize() {
			t.Fatalf("%s: vocab %d != %d", name, back.VocabSize(), tok.VocabSize())
		}
		for _, s := range corpus(4, 100) {
			for _, sp := range []bool{false, true} {
				if a, b := tok.Encode(s, sp), back.Encode(s, sp); !reflect.DeepEqual(a, b) {
					t.Fatalf("%s: %q: %v != %v after reload", name, s, a, b)
				}
			}
		}
	}
}

func TestUnigram(t *testing.T) {
	_, u := small(t)
	if u.VocabSize() > 300 {
		t.Errorf("vocab %d > 300", u.VocabSize())
	}
	ids := u.Encode("ខ្ញុំ ស្រលាញ់", true)
	if ids[0] != 0 || ids[len(ids)-1] != 2 {
		t.Fatalf("XLM-R layout: %v", ids)
	}
	if p, _ := u.Token(3); p != "<unk>" {
		t.Fatalf("id 3 = %q", p)
	}
	if got := u.Decode(u.Encode("  the   word  ", false)); got != "the word" {
		t.Errorf("decode = %q", got)
	}
	// unknown characters fuse into one <unk>
	if got := u.Encode("ZZZQQQ", false); !reflect.DeepEqual(got[len(got)-1:], []int{3}) {
		t.Errorf("unknowns: %v", got)
	}
	for _, c := range []struct{ in, want string }{
		{"a b", "▁a▁b"}, {"  a  b  ", "▁a▁b"}, {"a\u200bb", "▁ab"}, {"ＡＢ", "▁AB"}, {"", ""}, {"   ", ""},
	} {
		if got := u.Normalize(c.in); got != c.want {
			t.Errorf("Normalize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestFairseqLayout(t *testing.T) {
	p, s, ty := FairseqLayout([]string{"<unk>", "<s>", "</s>", "▁a", "b"}, []float64{0, 0, 0, -1, -2})
	want := []string{"<s>", "<pad>", "</s>", "<unk>", "▁a", "b", "<mask>"}
	if !reflect.DeepEqual(p, want) || s[4] != -1 || ty[6] != TypeUserDefined {
		t.Fatalf("%v %v %v", p, s, ty)
	}
}

func TestAddSpecialTokens(t *testing.T) {
	bpe, uni := small(t)
	for _, tok := range []Tokenizer{bpe, uni} {
		n := tok.VocabSize()
		specials := []string{"<foreign>", "</foreign>", "<foreign_emb>", "<f0>", "<f1>", "<f2>", "<f3>", "<f4>", "<f5>", "<f6>", "<f7>"}
		ids := tok.AddSpecialTokens(specials...)
		for i, id := range ids {
			if id != n+i {
				t.Fatalf("%T: %s got id %d, want %d", tok, specials[i], id, n+i)
			}
		}
		if again := tok.AddSpecialTokens("<f0>"); again[0] != ids[3] {
			t.Fatalf("re-adding changed the id")
		}
		got := tok.Encode("the<foreign><f0><f7></foreign> word", false)
		var seen []int
		for _, id := range got {
			if id >= n {
				seen = append(seen, id)
			}
		}
		if !reflect.DeepEqual(seen, []int{ids[0], ids[3], ids[10], ids[1]}) {
			t.Fatalf("%T: specials split: %v", tok, got)
		}
	}
}

func TestChatTemplate(t *testing.T) {
	got := Llama3Prompt("Be brief.", "Hi")
	want := "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
	if got != want {
		t.Fatalf("got %q", got)
	}
	if got := Llama3Prompt("", "Hi"); !strings.HasPrefix(got, BeginOfText+StartHeader+"user") {
		t.Fatalf("got %q", got)
	}
}

func TestWordPiece(t *testing.T) {
	vocab := map[string]int{"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "hello": 4, "world": 5, "##s": 6, "un": 7, "##aff": 8, "##able": 9, ",": 10, "!": 11, "東": 12, "cafe": 13}
	w, err := NewWordPiece(WordPieceConfig{Vocab: vocab, Lowercase: true, StripAccents: true, HandleChineseChars: true, CleanText: true, Prefix: []int{2}, Suffix: []int{3}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		in   string
		want []int
	}{
		{"Hello, worlds!", []int{2, 4, 10, 5, 6, 11, 3}},
		{"unaffable", []int{2, 7, 8, 9, 3}},
		{"東京 Café\u200b", []int{2, 12, 1, 13, 3}},
		{"xyz", []int{2, 1, 3}},
	}
	for _, c := range cases {
		if got := w.Encode(c.in, true); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: got %v want %v", c.in, got, c.want)
		}
	}
	if got := w.Decode([]int{7, 8, 9, 5}); got != "unaffable world" {
		t.Errorf("decode %q", got)
	}
}

func TestParseJSONErrors(t *testing.T) {
	bad := []string{"", "{", `{"model":{"type":"Nope"}}`, `{"model":{"type":"BPE","vocab":{"a":0},"bogus":1}}`,
		`{"model":{"type":"Unigram","vocab":[["a","x"]]}}`, `{"model":{"type":"WordPiece","vocab":{"a":0}}}`,
		`{"model":{"type":"BPE","vocab":{},"merges":[]},"pre_tokenizer":{"type":"ByteLevel"},"added_tokens":[{"id":99999999,"content":"x"}]}`}
	for _, s := range bad {
		if _, err := ParseJSON([]byte(s), "bad.json"); err == nil || !strings.Contains(err.Error(), "bad.json") {
			t.Errorf("%q: err = %v", s, err)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("missing file loaded")
	}
}

func TestCharsmapBad(t *testing.T) {
	for _, b := range [][]byte{{1, 2}, {8, 0, 0, 0, 1}, {3, 0, 0, 0, 1, 2, 3, 4}} {
		if _, err := ParseCharsmap(b); err == nil {
			t.Errorf("%v accepted", b)
		}
	}
	// A one-unit trie matches nothing; normalisation copies the input.
	cm, err := ParseCharsmap([]byte{4, 0, 0, 0, 0, 0, 0, 0})
	if err != nil {
		t.Fatal(err)
	}
	if got := cm.Normalize("ab\xffc"); got != "ab\uFFFDc" || !utf8.ValidString(got) {
		t.Errorf("got %q", got)
	}
}

// TestLoadEndlessFile: a tokenizer path that never ends (/dev/zero, here
// behind a tokenizer.json link in a folder) is refused at the size limit.
func TestLoadEndlessFile(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	dir := t.TempDir()
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "tokenizer.json")); err != nil {
		t.Skip(err)
	}
	defer func(n int64) { maxJSONSize = n }(maxJSONSize)
	maxJSONSize = 1 << 20 // the real limit (256 MiB) takes seconds to reach
	for _, path := range []string{dir, "/dev/zero"} {
		_, err := Load(path)
		if want := "file too large: more than 1 MiB, the limit for a tokenizer.json"; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load(%s) = %v, want an error containing %q", path, err, want)
		}
	}
}
