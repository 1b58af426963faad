package llink_test

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/llink-go/llink"
	"github.com/llink-go/llink/models/llama"
	parts "github.com/llink-go/llink/models/llink"
)

// Several goroutines share one Model: every result equals the one computed
// alone (run with -race to check for shared mutable state).
func TestConcurrentInference(t *testing.T) {
	m := tinyModel()
	khmer := []string{"សុខមានគោបីក្បាល", "ដារាលក់អង្ករ", "វីអានសៀវភៅ", "នីតាមានឆ្កែ"}
	english := []string{"Sok has three cows.", "Dara sells rice.", "Vy reads a book.", "Nita has a dog."}
	type result struct {
		vec    []float32
		ranked []llink.Ranked
		answer string
	}
	compute := func(k string) (r result, err error) {
		if r.vec, err = m.Embed(k); err != nil {
			return r, err
		}
		if r.ranked, err = m.Retrieve(k, english); err != nil {
			return r, err
		}
		r.answer, err = m.Answer("Translate to English.", k)
		return r, err
	}
	want := make([]result, len(khmer))
	for i, k := range khmer {
		var err error
		if want[i], err = compute(k); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 6 {
		wg.Go(func() {
			for j := range 2 {
				i := (g + j) % len(khmer)
				got, err := compute(khmer[i])
				if err != nil {
					errs <- err
					return
				}
				if !slices.Equal(got.vec, want[i].vec) || !slices.Equal(got.ranked, want[i].ranked) || got.answer != want[i].answer {
					errs <- errors.New("goroutine " + string(rune('0'+g)) + ": result differs from the sequential one for " + khmer[i])
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestRetrieveOrder(t *testing.T) {
	m := tinyModel()
	english := []string{"a", "bb", "ccc", "dddd", "eeeee"}
	r, err := m.Retrieve("សុខ", english)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for i, x := range r {
		if english[x.Index] != x.Text || seen[x.Index] || (i > 0 && x.Score > r[i-1].Score) {
			t.Fatalf("%+v", r)
		}
		seen[x.Index] = true
		v, _ := m.EmbedEnglish(x.Text)
		if len(v) != m.Dim() {
			t.Fatal(len(v))
		}
	}
}

// TestBadInput: each case's exact error is in README.md's "Bad input" table.
func TestBadInput(t *testing.T) {
	m := tinyModel()
	long := strings.Repeat("សុខមានគោបីក្បាល ", 400) // ~18,000 bytes: far over 256 encoder tokens
	for _, c := range []struct {
		name string
		call func() error
		is   error
		msg  string
	}{
		{"empty Khmer", func() error { _, err := m.Embed("  "); return err }, llink.ErrInput, "llink: bad input: the Khmer text is empty"},
		{"non-UTF-8 Khmer", func() error { _, err := m.Embed("សុខ\xff\xfe"); return err }, llink.ErrInput, "llink: bad input: the Khmer text is not valid UTF-8 (byte 9 is 0xff)"},
		{"non-UTF-8 instruction", func() error { _, err := m.Answer("Translate\xc3", "សុខ"); return err }, llink.ErrInput, "llink: bad input: the instruction is not valid UTF-8 (byte 9 is 0xc3)"},
		{"reserved token in text", func() error { _, err := m.Answer("Translate.", "សុខ<foreign>"); return err }, llink.ErrInput, "llink: bad input: the Khmer text contains LLINK's reserved token <foreign>"},
		{"no candidates", func() error { _, err := m.Retrieve("សុខ", nil); return err }, llink.ErrInput, "llink: bad input: no English candidates"},
		{"over-long instruction", func() error { _, err := m.Answer(strings.Repeat("Translate. ", 100), "សុខ"); return err }, llink.ErrTooLong,
			"llink: input too long: the prompt is 1174 decoder tokens; with 8 new tokens that exceeds the decoder's context of 1024"},
		{"over-long Khmer is clipped, not an error", func() error { _, err := m.Embed(long); return err }, nil, ""},
	} {
		err := c.call()
		switch {
		case c.is == nil && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.is != nil && (!errors.Is(err, c.is) || err.Error() != c.msg):
			t.Errorf("%s:\n got %v\nwant %s", c.name, err, c.msg)
		}
	}
	// Clipping keeps the first 256 encoder tokens: the long text embeds like
	// its own prefix.
	a, _ := m.Embed(long)
	b, _ := m.Embed(long[:len(long)/2])
	if !slices.Equal(a, b) {
		t.Error("over-long Khmer text is not clipped to the same prefix")
	}
}

// TestBundleMismatch: a bundle refuses the wrong models.
func TestBundleMismatch(t *testing.T) {
	dir := t.TempDir()
	c, path := tinyParts(dir, 2)
	for _, tc := range []struct {
		name string
		edit func(c *llink.Config, b *parts.Bundle)
		msg  string
	}{
		{"wrong decoder id", func(c *llink.Config, _ *parts.Bundle) { c.DecoderID = "meta-llama/Llama-3.2-1B-Instruct" },
			`llink: the bundle was trained with decoder "tiny-decoder", not "meta-llama/Llama-3.2-1B-Instruct"`},
		{"wrong encoder width", func(_ *llink.Config, b *parts.Bundle) { b.Config.EncDim = 768 },
			"llink: the bundle was trained for an encoder of width 768; this encoder has 24 (tiny-encoder)"},
		{"K mismatch", func(_ *llink.Config, b *parts.Bundle) { b.Config.K = 3 },
			"llink: the decoder tokenizer splits <f2> into 4 tokens; it must be one special token (K=3 slots)"},
	} {
		b, err := parts.LoadBundle(path, c.Decoder, c.Encoder.Width(), "", "")
		if err != nil {
			t.Fatal(err)
		}
		cc := c
		tc.edit(&cc, b)
		if _, err := llink.New(cc, b); err == nil || err.Error() != tc.msg {
			t.Errorf("%s:\n got %v\nwant %s", tc.name, err, tc.msg)
		}
	}
	// A bundle for a decoder of another width, and one with K=3 slots for a
	// decoder whose vocabulary has room for two.
	other := llama.Tiny(c.Decoder.Config.VocabSize)
	other.Hidden, other.Intermediate, other.Layers, other.Heads, other.KVHeads, other.HeadDim = 16, 32, 1, 2, 1, 8
	_, err := parts.LoadBundle(path, llama.New(other, rand.New(rand.NewPCG(1, 1))), c.Encoder.Width(), "", "")
	if want := "llink: " + path + " was trained for a decoder of width 32; this decoder has 16 (tiny-decoder)"; err == nil || err.Error() != want {
		t.Errorf("other decoder width:\n got %v\nwant %s", err, want)
	}
	_, path3 := tinyParts(t.TempDir(), 3)
	_, err = parts.LoadBundle(path3, c.Decoder, c.Encoder.Width(), "", "")
	if want := "llink: " + path3 + " needs a decoder vocabulary of 266 (+0 LLINK tokens); this decoder has 265"; err == nil || err.Error() != want {
		t.Errorf("K=3 bundle on a K=2 decoder:\n got %v\nwant %s", err, want)
	}
	// parts.LoadBundle itself refuses a bundle for another decoder id.
	if _, err := parts.LoadBundle(path, c.Decoder, c.Encoder.Width(), "other-decoder", ""); err == nil || !strings.Contains(err.Error(), `was trained with decoder "tiny-decoder", not "other-decoder"`) {
		t.Errorf("LoadBundle with the wrong decoder: %v", err)
	}
}

func TestLoadMissing(t *testing.T) {
	if _, err := llink.Load(llink.Options{}); err == nil {
		t.Fatal("Load with no paths succeeded")
	}
	dir := t.TempDir()
	_, err := llink.Load(llink.Options{Decoder: filepath.Join(dir, "nope"), Encoder: dir, Bundle: filepath.Join(dir, "b")})
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing folder: %v", err)
	}
}

// TestBadBundleFile: truncated, corrupt and wrong-kind bundle files.
func TestBadBundleFile(t *testing.T) {
	dir := t.TempDir()
	c, path := tinyParts(dir, 2)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	truncated := write("truncated.safetensors", b[:len(b)-64])
	cut := write("cut.safetensors", b[:100])
	notBundle := write("params.safetensors", nil)
	if err := parts.SaveParams(notBundle, c.Decoder.LoRAParams(), map[string]string{"format": "something-else"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, path, msg string }{
		{"truncated bundle", truncated, "llink: safetensors: " + truncated + ": header: tensor"},
		{"bundle cut inside its header", cut, "llink: safetensors: " + cut + ": header length"},
		{"not a bundle", notBundle, "llink: " + notBundle + ` is not an LLINK bundle (format "something-else")`},
	} {
		_, err := parts.LoadBundle(tc.path, c.Decoder, c.Encoder.Width(), "", "")
		if err == nil || !strings.HasPrefix(err.Error(), tc.msg) {
			t.Errorf("%s:\n got %v\nwant %s…", tc.name, err, tc.msg)
		}
	}
}
