package tokenizer

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// cacheDir is where scripts/fixtures.sh puts the third-party vocabularies.
var cacheDir = filepath.Join("..", "..", ".cache")

func cachePath(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(cacheDir, rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s not found: run `make fixtures` (scripts/fixtures.sh) to fetch the reference vocabularies", p)
	}
	return p
}

var (
	loadOnce sync.Map // path -> *onceTok
)

type onceTok struct {
	once sync.Once
	tok  Tokenizer
	err  error
}

// cachedLoad loads a reference tokenizer once per test binary.
func cachedLoad(t testing.TB, rel string) Tokenizer {
	t.Helper()
	p := cachePath(t, rel)
	v, _ := loadOnce.LoadOrStore(p, &onceTok{})
	o := v.(*onceTok)
	o.once.Do(func() { o.tok, o.err = Load(p) })
	if o.err != nil {
		t.Fatal(o.err)
	}
	return o.tok
}

const (
	llama3JSON = "npm/lenml-llama3/package/models/tokenizer.json"
	llamaGGUF  = "llama.cpp/models/ggml-vocab-llama-bpe.gguf"
	xlmrGGUF   = "llama.cpp/models/ggml-vocab-nomic-bert-moe.gguf"
)

// readVocabTest reads llama.cpp's NAME.inp/NAME.out pair: inputs separated
// by "\n__ggml_vocab_test__\n", one line of space-separated ids each.
func readVocabTest(t *testing.T, base string) ([]string, [][]int) {
	inp, err := os.ReadFile(base + ".inp")
	if err != nil {
		t.Skipf("%s.inp: %v", base, err)
	}
	out, err := os.ReadFile(base + ".out")
	if err != nil {
		t.Fatal(err)
	}
	const sep = "\n__ggml_vocab_test__\n"
	var ins []string
	for raw := string(inp); raw != ""; {
		k := strings.Index(raw, sep)
		if k < 0 {
			ins = append(ins, raw)
			break
		}
		ins = append(ins, raw[:k])
		raw = raw[k+len(sep):]
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(ins) {
		t.Fatalf("%s: %d inputs but %d outputs", base, len(ins), len(lines))
	}
	ids := make([][]int, len(lines))
	for i, l := range lines {
		ids[i] = parseIDs(t, l)
	}
	return ins, ids
}

func parseIDs(t testing.TB, l string) []int {
	ids := []int{}
	for _, f := range strings.Fields(l) {
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("bad id %q", f)
		}
		ids = append(ids, n)
	}
	return ids
}

func eqIDs(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestLlamaCppVectors compares with llama.cpp's own reference vectors for
// the llama-bpe vocabulary, loading it both from the GGUF and from the
// Llama-3 tokenizer.json.
func TestLlamaCppVectors(t *testing.T) {
	base := cachePath(t, llamaGGUF)
	ins, want := readVocabTest(t, base)
	for _, src := range []string{llamaGGUF, llama3JSON} {
		tok := cachedLoad(t, src)
		bad := 0
		for i, s := range ins {
			got := tok.Encode(s, false)
			if !eqIDs(got, want[i]) {
				bad++
				if bad < 5 {
					t.Errorf("%s: %q:\n got %v\nwant %v", src, s, got, want[i])
				}
			}
		}
		t.Logf("%s: %d/%d llama.cpp vectors identical", src, len(ins)-bad, len(ins))
	}
}
