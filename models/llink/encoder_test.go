package llink

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/models/llama"
)

// testTeacher returns a teacher on a random two-block decoder with the
// byte tokenizer of the decoder tests.
func testTeacher(t *testing.T) *Teacher {
	t.Helper()
	tok := newWordTok(1)
	c := llama.Tiny(len(tok.specials) + 8)
	c.Hidden, c.Intermediate, c.Layers, c.Heads, c.KVHeads, c.HeadDim = 16, 32, 2, 2, 1, 8
	m := llama.New(c, testutil.RNG(11))
	m.Emb.W.ScaleInPlace(8)
	d, err := NewDecoder(m, tok, nil, "", "", 1)
	if err != nil {
		t.Fatal(err)
	}
	return &Teacher{Dec: d, ID: "test"}
}

// TestTeacherVectors checks every teacher vector definition against the
// states of each sentence run alone (llama's HiddenStates), averaged here
// in float64: the paper's state at <foreign_emb>, and the mean over the
// English tokens, of the final-normed output and of a middle block. The 21
// sentences of varied length span two of the teacher's batches of 16.
func TestTeacherVectors(t *testing.T) {
	e := testTeacher(t)
	m := e.Dec.Model
	d, r := m.Config.Hidden, testutil.RNG(12)
	texts := make([]string, 21)
	for i := range texts {
		var b strings.Builder
		for range 1 + r.IntN(30) {
			b.WriteByte(byte('a' + r.IntN(8)))
		}
		texts[i] = b.String()
	}
	for _, tc := range []struct {
		pool  string
		layer int
	}{{"", 0}, {TeacherLast, 0}, {TeacherLast, 1}, {TeacherMean, 0}, {TeacherMean, 1}, {TeacherMean, 2}} {
		e.Pool, e.Layer = tc.pool, tc.layer
		got, err := e.Embed(texts)
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range texts {
			ids := e.IDs(s)
			states := m.HiddenStates(m.Embed(ids).Reshape(1, len(ids), d), nil)
			h := states[len(states)-1] // final-normed
			if tc.layer > 0 {
				h = states[tc.layer]
			}
			lo, hi := len(ids)-1, len(ids) // <foreign_emb>
			if tc.pool == TeacherMean {
				lo, hi = 1, len(ids)-1 // the English tokens
			}
			for k := range d {
				var want float64
				for p := lo; p < hi; p++ {
					want += float64(h.Data()[p*d+k])
				}
				want /= float64(hi - lo)
				if g := float64(got.Row(i)[k]); math.Abs(g-want) > 1e-4*(1+math.Abs(want)) {
					t.Fatalf("pool %q layer %d, sentence %d (%d tokens) dim %d: %g, want %g", tc.pool, tc.layer, i, len(ids), k, g, want)
				}
			}
		}
	}
}

// TestTeacherStopsAtLayer checks that a teacher read from block 1 of two
// never runs block 2: with block 2's projections emptied (no matrix, so
// running them panics) it gives the same vectors, bit for bit.
func TestTeacherStopsAtLayer(t *testing.T) {
	e := testTeacher(t)
	e.Pool, e.Layer = TeacherMean, 1
	texts := []string{"abcab", "d", "ceaddbaec"}
	before, err := e.Embed(texts)
	if err != nil {
		t.Fatal(err)
	}
	top := e.Dec.Model.Layers[1]
	top.Q, top.K, top.V, top.O = &llama.Weight{}, &llama.Weight{}, &llama.Weight{}, &llama.Weight{}
	top.Gate, top.Up, top.Down = &llama.Weight{}, &llama.Weight{}, &llama.Weight{}
	after := func() (v []float32, err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("block 2 ran: %v", p)
			}
		}()
		h, err := e.Embed(texts)
		if err != nil {
			return nil, err
		}
		return h.Data(), nil
	}
	got, err := after()
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		if v != before.Data()[i] {
			t.Fatalf("value %d: %g without block 2, %g with it", i, v, before.Data()[i])
		}
	}
}

// TestTeacherDefault checks that the paper's teacher vector is the
// decoder's last hidden state, and that its cache fingerprint is the one it
// had before the definition became selectable, so old caches stay valid.
func TestTeacherDefault(t *testing.T) {
	e := testTeacher(t)
	got, err := e.Embed([]string{"abc", "de"})
	if err != nil {
		t.Fatal(err)
	}
	want := LastHidden(e.Dec.Model, [][]int{e.IDs("abc"), e.IDs("de")}, 0)
	for i, w := range want.Data() {
		if got.Data()[i] != w {
			t.Fatalf("value %d: %g, LastHidden %g", i, got.Data()[i], w)
		}
	}
	const paper = "teacher:test:bos=0:emb=6:max=256"
	if fp := e.Fingerprint(); fp != paper {
		t.Fatalf("fingerprint %q, want %q", fp, paper)
	}
}

// TestTeacherFingerprints checks that vectors of different definitions
// never share a cache key, while "" and TeacherLast (the same vectors) do.
func TestTeacherFingerprints(t *testing.T) {
	e := testTeacher(t)
	fps := map[string]bool{}
	for layer := range 3 {
		byPool := map[string]string{}
		for _, pool := range []string{"", TeacherLast, TeacherMean} {
			e.Pool, e.Layer = pool, layer
			byPool[pool] = e.Fingerprint()
			fps[e.Fingerprint()] = true
		}
		if byPool[""] != byPool[TeacherLast] {
			t.Errorf("layer %d: pool \"\" has fingerprint %q, pool last %q", layer, byPool[""], byPool[TeacherLast])
		}
	}
	if len(fps) != 6 { // (last, mean) × 3 layers
		t.Fatalf("%d distinct fingerprints for 6 definitions: %v", len(fps), fps)
	}
}

// TestTeacherErrors checks that unknown definitions and a sentence with
// nothing to average are refused with errors that name them.
func TestTeacherErrors(t *testing.T) {
	e := testTeacher(t)
	for _, tc := range []struct {
		pool  string
		layer int
		text  string
		want  string
	}{
		{"max", 0, "ab", `teacher pool "max"`},
		{TeacherMean, 3, "ab", "teacher layer 3"},
		{TeacherLast, -1, "ab", "teacher layer -1"},
		{TeacherMean, 0, "", "no tokens"},
	} {
		e.Pool, e.Layer = tc.pool, tc.layer
		if _, err := e.Embed([]string{"cd", tc.text}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("pool %q layer %d text %q: error %v, want one containing %q", tc.pool, tc.layer, tc.text, err, tc.want)
		}
	}
	c := DefaultConfig(4, 16)
	c.TeacherPool = "max"
	if c.Validate() == nil {
		t.Error("Config with teacher pool \"max\" accepted")
	}
	c.TeacherPool, c.TeacherLayer = TeacherMean, -1
	if c.Validate() == nil {
		t.Error("Config with teacher layer -1 accepted")
	}
	c.TeacherLayer = 2
	if err := c.Validate(); err != nil {
		t.Errorf("Config with the mean of block 2: %v", err)
	}
}
