package train

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/llink-go/llink/data"
	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/models/safetensors"
	"github.com/llink-go/llink/models/xlmr"
	"github.com/llink-go/llink/tensor"
)

// charTok is a character-level tokenizer with special tokens, enough to
// drive the pipeline in tests.
type charTok struct {
	specials []string
	ids      map[string]int
	toks     []string
	bos, eos int // added by Encode(addSpecial) when ≥ 0
}

func newCharTok(texts []string, specials []string) *charTok {
	t := &charTok{ids: map[string]int{}, bos: -1, eos: -1}
	add := func(s string) {
		if _, ok := t.ids[s]; !ok {
			t.ids[s] = len(t.toks)
			t.toks = append(t.toks, s)
		}
	}
	for _, s := range specials {
		add(s)
	}
	var runes []string
	for _, s := range texts {
		for _, r := range s {
			runes = append(runes, string(r))
		}
	}
	sort.Strings(runes)
	for _, r := range runes {
		add(r)
	}
	t.specials = specials
	return t
}

func (t *charTok) Encode(s string, addSpecial bool) []int {
	var out []int
	if addSpecial && t.bos >= 0 {
		out = append(out, t.bos)
	}
outer:
	for len(s) > 0 {
		for _, sp := range t.specials {
			if strings.HasPrefix(s, sp) {
				out = append(out, t.ids[sp])
				s = s[len(sp):]
				continue outer
			}
		}
		r := []rune(s)[0]
		id, ok := t.ids[string(r)]
		if !ok {
			id = t.ids["<unk>"]
		}
		out = append(out, id)
		s = s[len(string(r)):]
	}
	if addSpecial && t.eos >= 0 {
		out = append(out, t.eos)
	}
	return out
}

func (t *charTok) Decode(ids []int) string {
	var b strings.Builder
	for _, id := range ids {
		if id >= 0 && id < len(t.toks) && !slices.Contains(t.specials, t.toks[id]) {
			b.WriteString(t.toks[id])
		}
	}
	return b.String()
}

func toyData() Data {
	names := []string{"sok", "dara", "vy", "nita", "chan", "mey", "rith", "pov"}
	khm := []string{"សុខ", "ដារា", "វី", "នីតា", "ចាន់", "ម៉ី", "រិទ្ធ", "ពៅ"}
	var d Data
	for i := 0; i < 64; i++ {
		n := i % len(names)
		pr := data.Pair{English: fmt.Sprintf("%s has %d cows", names[n], i), Foreign: fmt.Sprintf("%sមានគោ%dក្បាល", khm[n], i)}
		switch {
		case i < 40:
			d.TrainPairs = append(d.TrainPairs, pr)
		case i < 48:
			d.DevPairs = append(d.DevPairs, pr)
		default:
			d.Pool = append(d.Pool, pr)
		}
		t := data.Task{Kind: "who", Instruction: "Who has cows?", Foreign: pr.Foreign, EnglishPassage: pr.English, Answer: names[n]}
		if i%2 == 1 {
			t = data.Task{Kind: "translate", Instruction: "Translate to English.", Foreign: pr.Foreign, EnglishPassage: pr.English, Answer: pr.English}
		}
		if i < 48 {
			d.TrainTasks = append(d.TrainTasks, t)
		} else {
			d.TestTasks = append(d.TestTasks, t)
		}
	}
	return d
}

func TestPipelineEndToEnd(t *testing.T) {
	const k = 2
	m, d, c := toyStages(t, k)
	c.StageB.Steps = 6
	var log bytes.Buffer
	res, err := RunPipeline(m, d, c, &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	var md bytes.Buffer
	res.WriteMarkdown(&md)
	t.Logf("\n%s\n%s", log.String(), md.String())
	if len(res.Methods) != len(DefaultRows) {
		t.Fatalf("%d methods, want %d", len(res.Methods), len(DefaultRows))
	}
	for i, r := range res.Methods {
		_, q, _ := rowForm(r.Method, k)
		if r.Method != DefaultRows[i] || (q != NoRetrieval) != (r.KmToEn != nil) || (r.KmToEn != nil && r.KmToEn.N != len(d.Pool)) || r.PromptTokens == 0 {
			t.Fatalf("row %d (%s): incomplete result %+v", i, r.Method, r)
		}
	}
	raw, slots := res.Methods[0], res.Methods[len(res.Methods)-1]
	// Each test passage holds one two-digit number, which the copy
	// channel passes on after the K slots as " NN" (3 character tokens).
	if slots.ForeignTokens != k+3 || raw.ForeignTokens <= k+3 || raw.PromptTokens <= slots.PromptTokens {
		t.Fatalf("token usage: raw %v/%v, slots %v/%v", raw.PromptTokens, raw.ForeignTokens, slots.PromptTokens, slots.ForeignTokens)
	}
	want := []string{"km→en R@1", "numeric fidelity"}
	for _, row := range DefaultRows {
		want = append(want, "| "+row+" |")
	}
	for _, want := range want {
		if !strings.Contains(md.String(), want) {
			t.Fatalf("report lacks %q", want)
		}
	}
	// A second run reuses every vector cache: it writes no cache file and
	// rewrites none.
	before := cacheFiles(t, c.CacheDir)
	keys := map[string]bool{}
	for _, set := range CacheSets(m, d, c.CacheDir, c.Slots) {
		keys[set.Spec.Key()+".safetensors"] = true
	}
	mean := c.Slots // another teacher vector: another cache for every set
	mean.TeacherPool = llink.TeacherMean
	for _, set := range CacheSets(m, d, c.CacheDir, mean) {
		if keys[set.Spec.Key()+".safetensors"] {
			t.Fatalf("set %s: the mean teacher shares the paper teacher's cache key", set.Name)
		}
	}
	if len(before) != len(keys) {
		t.Fatalf("%d cache files after the first run, want one per distinct set (%d): %v", len(before), len(keys), before)
	}
	if _, err := RunPipeline(m, d, c, nil); err != nil {
		t.Fatal(err)
	}
	if after := cacheFiles(t, c.CacheDir); !maps.Equal(before, after) {
		t.Fatalf("the second run changed the caches:\nbefore %v\nafter  %v", before, after)
	}
	for name := range keys {
		if _, ok := before[name]; !ok {
			t.Fatalf("cache file %s missing", name)
		}
	}
}

// cacheFiles maps each file of a cache folder to its size and
// modification time.
func cacheFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range es {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = fmt.Sprintf("%d bytes, %s", info.Size(), info.ModTime().Format(time.RFC3339Nano))
	}
	return out
}

// randSource serves random tensors for any BERT-family name, its shape
// inferred from the name (enough to build a random xlmr model in tests).
type randSource struct {
	c    xlmr.Config
	seed uint64
}

func (s randSource) shape(name string) []int {
	d, f := s.c.Hidden, s.c.Intermediate
	switch {
	case strings.HasSuffix(name, "word_embeddings.weight"):
		return []int{s.c.VocabSize, d}
	case strings.HasSuffix(name, "position_embeddings.weight"):
		return []int{s.c.MaxPositions, d}
	case strings.HasSuffix(name, "token_type_embeddings.weight"):
		return []int{s.c.TypeVocabSize, d}
	case strings.HasSuffix(name, "intermediate.dense.weight"):
		return []int{f, d}
	case strings.HasSuffix(name, "intermediate.dense.bias"):
		return []int{f}
	case strings.HasSuffix(name, "output.dense.weight") && !strings.Contains(name, "attention"):
		return []int{d, f}
	case strings.HasSuffix(name, ".weight") && !strings.Contains(name, "LayerNorm"):
		return []int{d, d}
	default:
		return []int{d}
	}
}

func (s randSource) Names() []string { return nil }
func (s randSource) Info(name string) (safetensors.TensorInfo, bool) {
	return safetensors.TensorInfo{Name: name, DType: safetensors.F32, Shape: s.shape(name)}, true
}
func (s randSource) Float32(name string) ([]float32, error) {
	n := 1
	for _, v := range s.shape(name) {
		n *= v
	}
	if strings.Contains(name, "LayerNorm.weight") {
		out := make([]float32, n)
		for i := range out {
			out[i] = 1
		}
		return out, nil
	}
	return testutil.Normal(testutil.RNG(s.seed+uint64(len(name))), n, 0.2), nil
}

func xlmrNew(t *testing.T, c xlmr.Config) *xlmr.Model {
	t.Helper()
	m, err := xlmr.FromCheckpoint(c, randSource{c: c, seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPipelineTokenSlots runs the pipeline with each token-level slot
// input: Stage B trains on the token states, every row is evaluated (the
// layer analysis included), and the saved bundle loads back as the same
// kind of slots, making slots from token states.
func TestPipelineTokenSlots(t *testing.T) {
	for _, tc := range []struct {
		input string
		r     int // words per segment
	}{{llink.SlotsTokens, 0}, {llink.SlotsSegments, 0}, {llink.SlotsWords, 0}, {llink.SlotsVocab, 0}, {llink.SlotsWords, 2}} {
		const k = 2
		input := tc.input
		m, d, c := toyStages(t, k)
		c.Slots.SlotInput, c.Slots.WordsPerSegment = input, tc.r
		c.WordAlign = WordAlignConfig{Steps: 5, Batch: 8, LR: 1e-2}
		c.BundlePath = filepath.Join(t.TempDir(), "bundle.safetensors")
		res, err := RunPipeline(m, d, c, nil)
		if err != nil {
			t.Fatalf("%s: %v", input, err)
		}
		last := res.Methods[len(res.Methods)-1]
		if last.Method != RowLLINK || last.KmToEn == nil || len(last.Answers) != len(d.TestTasks) || len(res.Layers) == 0 {
			t.Fatalf("%s: incomplete LLINK result %+v", input, last)
		}
		b, err := llink.LoadBundle(c.BundlePath, m.Dec.Model, m.Enc.Dim(), m.DecoderID, m.EncoderID)
		if err != nil {
			t.Fatalf("%s: %v", input, err)
		}
		if b.Config.SlotInput != input || b.Config.WordsPerSegment != tc.r || !b.Slots.ReadsTokens() || b.Slots.TokenWidth() != m.Enc.Dim() {
			t.Fatalf("%s: the bundle came back as %q slots (reads tokens %v, width %d)", input, b.Config.SlotInput, b.Slots.ReadsTokens(), b.Slots.TokenWidth())
		}
		tok, err := m.Enc.Tokens([]string{d.Pool[0].Foreign, d.Pool[1].Foreign})
		if err != nil {
			t.Fatal(err)
		}
		z := tensor.RandN(testutil.RNG(7), 1, 2, m.Enc.Dim())
		s := b.Slots.SlotVectors(llink.Source{V: b.Projector.Project(z), Tok: tok})
		if !slices.Equal(s.Shape(), []int{2, k, m.Dec.Model.Config.Hidden}) {
			t.Fatalf("%s: slots %v", input, s.Shape())
		}
	}
}
