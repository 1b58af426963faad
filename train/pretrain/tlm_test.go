package pretrain

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/llink-go/llink/data"
	"github.com/llink-go/llink/models/tokenizer"
	"github.com/llink-go/llink/models/xlmr"
)

// tlmData is smallData's encoder text with 60 generated translation pairs.
func tlmData(t *testing.T) EncoderData {
	t.Helper()
	_, ed := smallData(t)
	c, err := data.Build(data.Config{Seed: 4, Train: 60})
	if err != nil {
		t.Fatal(err)
	}
	ed.Pairs = c.Train
	return ed
}

func TestPackPair(t *testing.T) {
	for _, tc := range []struct {
		a, b, want []int
	}{
		{[]int{0, 5, 6, 2}, []int{0, 7, 2}, []int{0, 5, 6, 2, 2, 7, 2}},
		{[]int{0, 9, 2}, []int{0, 2}, []int{0, 9, 2, 2, 2}},
	} {
		a, b := slices.Clone(tc.a), slices.Clone(tc.b)
		if got := packPair(a, b, 2); !slices.Equal(got, tc.want) {
			t.Errorf("packPair(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if !slices.Equal(a, tc.a) || !slices.Equal(b, tc.b) {
			t.Errorf("packPair changed its inputs: %v %v", a, b)
		}
	}
}

// tlmFor trains the tiny config's tokenizer on d and returns it with the
// run's TLM rows (TLM share 0.5, rows of at most 64 tokens).
func tlmFor(t *testing.T, d EncoderData) (*tokenizer.Unigram, tlm) {
	t.Helper()
	c := tinyEncoder()
	c.TLM = 0.5
	tok, err := EncoderTokenizer(d, c)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := newTLM(tok, d.Pairs, c, 64)
	if err != nil {
		t.Fatal(err)
	}
	return tok, tl
}

// TestTLMRows: a TLM row is a pair of the data, English and Khmer each
// encoded as alone and clipped to half the row budget, joined as <s> a </s></s> b </s>, in both orders over
// draws; long halves are clipped to half the row budget, </s> kept.
func TestTLMRows(t *testing.T) {
	d := tlmData(t)
	tok, tl := tlmFor(t, d)
	if tl.rows != 2 || len(tl.pairs) != len(d.Pairs) {
		t.Fatalf("%d TLM rows of a batch of 4, %d pairs of %d", tl.rows, len(tl.pairs), len(d.Pairs))
	}
	want := map[string]bool{}
	for _, p := range d.Pairs {
		en, km := clip(tok.Encode(p.English, true), 32), clip(tok.Encode(p.Foreign, true), 32)
		want["en first "+fmtIDs(packPair(en, km, tl.eos))] = true
		want["km first "+fmtIDs(packPair(km, en, tl.eos))] = true
	}
	rng := rand.New(rand.NewPCG(1, 2))
	orders := map[bool]int{}
	for range 200 {
		row := tl.row(rng)
		en := want["en first "+fmtIDs(row)]
		if !en && !want["km first "+fmtIDs(row)] {
			t.Fatalf("row %v is no packed pair of the data", row)
		}
		orders[en]++
	}
	if orders[true] < 60 || orders[false] < 60 {
		t.Fatalf("orders drawn %v of 200", orders)
	}
	long := data.Pair{English: strings.Repeat("the red house ", 40), Foreign: d.Pairs[0].Foreign}
	short, err := newTLM(tok, []data.Pair{long}, EncoderConfig{TLM: 0.5, Batch: 4}, 20)
	if err != nil {
		t.Fatal(err)
	}
	if en := short.pairs[0][0]; len(en) != 10 || en[9] != tl.eos {
		t.Fatalf("clipped English half %v", en)
	}
}

func fmtIDs(ids []int) string {
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(strconv.Itoa(id) + ",")
	}
	return b.String()
}

// TestTLMMasksBothHalves: masking a batch of TLM rows chooses about 15% of
// the real tokens of each half, never a special token (the </s></s> that
// joins them included).
func TestTLMMasksBothHalves(t *testing.T) {
	d := tlmData(t)
	tok, tl := tlmFor(t, d)
	mc, err := maskConfig(tok)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var chosen, eligible [2]int
	for range 100 {
		var rows [][]int
		for range 8 {
			rows = append(rows, tl.row(rng))
		}
		b := xlmr.PadRight(rows, 1)
		orig := slices.Clone(b.IDs)
		picked, targets := xlmr.MaskTokens(&b, mc, rng)
		for k, i := range picked {
			if targets[k] != orig[i] || mc.Special(orig[i]) {
				t.Fatalf("token %d (id %d) chosen with target %d", i, orig[i], targets[k])
			}
		}
		isPicked := map[int]bool{}
		for _, i := range picked {
			isPicked[i] = true
		}
		for r := range b.B {
			half := 0
			for j := range b.T {
				i := r*b.T + j
				id := orig[i]
				if !b.Mask[i] {
					continue
				}
				if id == tl.eos {
					if j+1 < b.T && orig[i+1] == tl.eos {
						half = 1
					}
					continue
				}
				if mc.Special(id) {
					continue
				}
				eligible[half]++
				if isPicked[i] {
					chosen[half]++
				}
			}
		}
	}
	for h := range 2 {
		share := float64(chosen[h]) / float64(eligible[h])
		if eligible[h] < 1000 || share < 0.12 || share > 0.18 {
			t.Errorf("half %d: %d of %d tokens chosen (%.3f), want about 15%%", h, chosen[h], eligible[h], share)
		}
	}
}

// TestEncoderTLMLossDrops: a small run with half its rows TLM, padded in
// groups, lowers its training loss and its dev MLM loss against the same
// run stopped after one step; its metadata records the pairs and the TLM
// share.
func TestEncoderTLMLossDrops(t *testing.T) {
	d := tlmData(t)
	c := tinyEncoder()
	c.TLM, c.Group, c.Batch, c.MaxTokens, c.LR = 0.5, 3, 8, 64, 3e-3
	losses := map[int][2]float64{}
	for _, steps := range []int{1, 120} {
		c.Steps = steps
		dir := t.TempDir()
		res, err := Encoder(dir, d, c, Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, md := weights(t, dir)
		dev, err := strconv.ParseFloat(md["dev_mlm_loss"], 64)
		if err != nil {
			t.Fatal(err)
		}
		losses[steps] = [2]float64{res.Loss, dev}
		if md["tlm_pairs"] != strconv.Itoa(len(d.Pairs)) || !strings.Contains(md["pretrain_config"], `"tlm":0.5`) {
			t.Fatalf("metadata %v", md)
		}
	}
	first, last := losses[1], losses[120]
	if last[0] > first[0]-0.3 || last[1] > first[1]-0.3 {
		t.Fatalf("training loss %.3f → %.3f, dev MLM loss %.3f → %.3f: want both at least 0.3 lower", first[0], last[0], first[1], last[1])
	}
}

func TestNewTLMErrors(t *testing.T) {
	d := tlmData(t)
	tok, _ := tlmFor(t, d)
	for _, tc := range []struct {
		share float64
		pairs []data.Pair
		want  string
	}{
		{0.5, nil, "no translation pairs"},
		{1, d.Pairs, "want 0 ≤ share < 1"},
		{-0.1, d.Pairs, "want 0 ≤ share < 1"},
	} {
		_, err := newTLM(tok, tc.pairs, EncoderConfig{TLM: tc.share, Batch: 8}, 64)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("share %g, %d pairs: %v, want an error saying %q", tc.share, len(tc.pairs), err, tc.want)
		}
	}
	if tl, err := newTLM(tok, nil, EncoderConfig{Batch: 8}, 64); err != nil || tl.rows != 0 {
		t.Errorf("no TLM: %d rows, %v", tl.rows, err)
	}
	for _, n := range []int{-1, 1, 3} {
		c := tinyEncoder()
		c.MaxTokens = n
		dir := filepath.Join(t.TempDir(), "never")
		if _, err := Encoder(dir, d, c, Options{}); err == nil || !strings.Contains(err.Error(), "want 0 or at least 4") {
			t.Errorf("MaxTokens %d: %v", n, err)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("MaxTokens %d: the refused run created its folder", n)
		}
	}
}

// TestLengthGroups: rows are split into groups of the given size in order
// of length, every row kept once; size 0 keeps the batch whole and in
// order.
func TestLengthGroups(t *testing.T) {
	rows := [][]int{{1, 2, 3}, {1}, {1, 2, 3, 4, 5}, {1, 2}, {7}, {1, 2, 3, 4}, {8, 9}}
	for _, tc := range []struct {
		size  int
		sizes []int
	}{{0, []int{7}}, {7, []int{7}}, {9, []int{7}}, {3, []int{3, 3, 1}}, {2, []int{2, 2, 2, 1}}, {1, []int{1, 1, 1, 1, 1, 1, 1}}} {
		gs := lengthGroups(rows, tc.size)
		var sizes []int
		var flat [][]int
		for _, g := range gs {
			sizes = append(sizes, len(g))
			flat = append(flat, g...)
		}
		if !slices.Equal(sizes, tc.sizes) {
			t.Fatalf("size %d: groups of %v, want %v", tc.size, sizes, tc.sizes)
		}
		if len(gs) == 1 {
			if !slices.EqualFunc(flat, rows, slices.Equal) {
				t.Fatalf("size %d: one group reordered: %v", tc.size, flat)
			}
			continue
		}
		if !slices.IsSortedFunc(flat, func(a, b []int) int { return len(a) - len(b) }) || len(flat) != len(rows) {
			t.Fatalf("size %d: %v not sorted by length", tc.size, flat)
		}
		// Stable: of the equal lengths, the earlier row first.
		if i, j := slices.IndexFunc(flat, func(r []int) bool { return r[0] == 1 && len(r) == 1 }), slices.IndexFunc(flat, func(r []int) bool { return r[0] == 7 }); i > j {
			t.Fatalf("size %d: not stable: %v", tc.size, flat)
		}
	}
}
