package main

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/data"
	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/models/safetensors"
	"github.com/llink-go/llink/models/xlmr"
	"github.com/llink-go/llink/tensor"
	"github.com/llink-go/llink/train"
)

// TestByLengthSameVectors: the length-sorted student gives each text the
// vector its Reader gives it alone, in the caller's order, for calls
// shorter and longer than one batch.
func TestByLengthSameVectors(t *testing.T) {
	r, _, err := encoder(options{pool: llink.PoolLayers})
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for i, p := range data.Generate(11, 3) {
		texts = append(texts, strings.Repeat(p.Foreign+" ", 1+i%3)) // lengths out of order
	}
	for _, batch := range []int{1, 4, 32} {
		got, err := byLength{r, batch}.Embed(texts)
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range texts {
			want, err := r.Embed([]string{s})
			if err != nil {
				t.Fatal(err)
			}
			for j, w := range want.Data() {
				if d := math.Abs(float64(got.Row(i)[j] - w)); d > 1e-4 {
					t.Fatalf("batch %d: text %d dim %d: %v, alone %v", batch, i, j, got.Row(i)[j], w)
				}
			}
		}
	}
	if f, g := (byLength{r, 4}).Fingerprint(), r.Fingerprint(); f != g {
		t.Fatalf("fingerprint %q, the reader's %q: the caches would differ", f, g)
	}
}

// TestTeacherFolder: -decoder loads a decoder folder as Stage A's teacher,
// keyed by its content; the embedded one is the default.
func TestTeacherFolder(t *testing.T) {
	emb, err := teacher(options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := "../../models/tiny/decoder"
	fromDir, err := teacher(options{decoder: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(fromDir.ID, "decoder:sha256-") || fromDir.ID == emb.ID {
		t.Fatalf("ids %q and %q", fromDir.ID, emb.ID)
	}
	a, err1 := emb.Embed([]string{"Open the file."})
	b, err2 := fromDir.Embed([]string{"Open the file."})
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	for i := range a.Data() {
		if a.Data()[i] != b.Data()[i] {
			t.Fatalf("the folder of the embedded decoder gives another vector at %d", i)
		}
	}
	if _, err := teacher(options{decoder: t.TempDir()}); err == nil {
		t.Fatal("an empty folder loaded")
	}
}

// TestFolderID: a folder's id follows its weights, configuration and
// tokenizer, not the metadata measurements are written into.
func TestFolderID(t *testing.T) {
	write := func(dir string, w []float32, md map[string]string) string {
		t.Helper()
		for f, text := range map[string]string{"config.json": `{"hidden_size": 2}`, "tokenizer.json": `{"model": {}}`} {
			if err := os.WriteFile(filepath.Join(dir, f), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		ts := []safetensors.Tensor{safetensors.FromFloat32("w", []int{2, 2}, w, safetensors.BF16)}
		if err := safetensors.Write(filepath.Join(dir, "model.safetensors"), ts, md); err != nil {
			t.Fatal(err)
		}
		id, err := folderID("decoder", dir)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	dir := t.TempDir()
	w := []float32{0.5, -1.25, 3, 0.125}
	a := write(dir, w, map[string]string{"command": "x"})
	b := write(dir, w, map[string]string{"command": "x", "stage_a_dev": "R@1 0.05"})
	w[2] = 2
	c := write(dir, w, map[string]string{"command": "x"})
	if a != b || a == c || !strings.HasPrefix(a, "decoder:sha256-") {
		t.Fatalf("ids %q (metadata added: %q; a weight changed: %q)", a, b, c)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), []byte(`{"model": {"x": 1}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if d, err := folderID("decoder", dir); err != nil || d == c {
		t.Fatalf("another tokenizer kept the id %q (%v)", d, err)
	}
	if _, err := folderID("decoder", t.TempDir()); err == nil {
		t.Fatal("an empty folder has an id")
	}
}

// TestMeanCosine: the closed form against the pairwise mean, on vectors of
// different lengths.
func TestMeanCosine(t *testing.T) {
	x := []float32{2, 0, 0, 3, 1, 1, -1, 0.5}
	// Pairs: (1,2) 0, (1,3) 1/√2, (1,4) −2/√5, (2,3) 1/√2, (2,4) 1/√5, (3,4) −0.5/√2.5.
	want := (0 + 2/math.Sqrt2 - 1/math.Sqrt(5) - 0.5/math.Sqrt(2.5)) / 6
	if got := meanCosine(x, 4, 2); math.Abs(got-want) > 1e-9 {
		t.Fatalf("mean cosine %v, want %v", got, want)
	}
}

// TestTeacherDefinition: -teacher-pool and -teacher-layer reach the
// teacher (and its cache key); a layer the decoder lacks is refused.
func TestTeacherDefinition(t *testing.T) {
	paper, err := teacher(options{teacherPool: llink.TeacherLast})
	if err != nil {
		t.Fatal(err)
	}
	mean, err := teacher(options{teacherPool: llink.TeacherMean, teacherLayer: 2})
	if err != nil {
		t.Fatal(err)
	}
	if mean.Pool != llink.TeacherMean || mean.Layer != 2 || mean.Fingerprint() == paper.Fingerprint() {
		t.Fatalf("teacher %q layer %d, fingerprints %q and %q", mean.Pool, mean.Layer, mean.Fingerprint(), paper.Fingerprint())
	}
	if _, err := teacher(options{teacherPool: llink.TeacherMean, teacherLayer: 99}); err == nil {
		t.Fatal("teacher layer 99 accepted")
	}
}

// TestSavedProjector: a projector saved by a training run measures the
// pool exactly as that run did when read back with -projector (no
// training), and is refused for another teacher vector.
func TestSavedProjector(t *testing.T) {
	if testing.Short() {
		t.Skip("Stage A on 1,500 pairs")
	}
	dir, o := smallPackageRun(t, 20, 300)
	o.saveProjector = filepath.Join(dir, "p.safetensors")
	poolLines := func(o options) (string, error) {
		out, err := captureStdout(t, func() error { return run(o) })
		var lines []string
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "dev pool ") {
				lines = append(lines, l)
			}
		}
		return strings.Join(lines, "\n"), err
	}
	trained, err := poolLines(o)
	if err != nil || !strings.Contains(trained, "km→en") || !strings.Contains(trained, "en→km") {
		t.Fatalf("training run: %v\n%s", err, trained)
	}
	o.projector, o.saveProjector = o.saveProjector, ""
	if read, err := poolLines(o); err != nil || read != trained {
		t.Fatalf("read back: %v\n%s\nwant\n%s", err, read, trained)
	}
	o.teacherLayer = 2
	if _, err := poolLines(o); err == nil || !strings.Contains(err.Error(), "at layer 1") {
		t.Fatalf("a projector for block 1's teacher used with block 2's: %v", err)
	}
}

// smallPackageRun returns a temporary folder and the options of a small
// dev run on a package-split corpus written there (teacher: block 1's mean,
// batch 32, no hard negatives, seed 1), with Stage A's steps and its
// training pairs capped at maxTrain.
func smallPackageRun(t *testing.T, steps, maxTrain int) (string, options) {
	dir := t.TempDir()
	return dir, options{corpus: packageCorpus(t, dir), split: "package", eval: "dev", pool: llink.PoolLayers,
		cache: filepath.Join(dir, "cache"), teacherPool: llink.TeacherMean, teacherLayer: 1,
		steps: steps, maxTrain: maxTrain, batch: 32, hardM: -1, seed: 1}
}

// packageCorpus writes a generated corpus of 6,000 pairs from 40 source
// packages into dir, as harvest-debian writes them, and returns its path.
func packageCorpus(t *testing.T, dir string) string {
	t.Helper()
	pairs := data.Generate(6000, 5)
	for i := range pairs {
		pairs[i].Source = fmt.Sprintf("pkg%02d:/usr/share/locale/km/LC_MESSAGES/a.mo#%d", i%40, i)
	}
	var b bytes.Buffer
	if err := data.WritePairsJSONL(&b, pairs); err != nil {
		t.Fatal(err)
	}
	corpus := filepath.Join(dir, "c.jsonl")
	if err := os.WriteFile(corpus, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return corpus
}

// captureStdout runs f with os.Stdout sent to a file and returns what it
// printed.
func captureStdout(t *testing.T, f func() error) (string, error) {
	t.Helper()
	tmp, err := os.CreateTemp(t.TempDir(), "stdout")
	if err != nil {
		t.Fatal(err)
	}
	defer tmp.Close()
	saved := os.Stdout
	os.Stdout = tmp
	err = f()
	os.Stdout = saved
	out, rerr := os.ReadFile(tmp.Name())
	if rerr != nil {
		t.Fatal(rerr)
	}
	return string(out), err
}

// randomPairs returns n cached-vector pairs of random values.
func randomPairs(r *rand.Rand, n, enc, dec int) train.Pairs {
	ids := make([]int, n)
	for i := range ids {
		ids[i] = 1000 + i
	}
	return train.Pairs{Z: tensor.RandN(r, 1, n, enc), H: tensor.RandN(r, 1, n, dec), IDs: ids}
}

// smallStageA is a Stage A short enough for a test, with every part on:
// warm-up, dropout draws, hard negatives, selection.
func smallStageA() train.StageAConfig {
	c := train.DefaultStageA()
	c.Steps, c.Warmup, c.Batch, c.EvalEvery, c.HardM = 12, 2, 8, 4, 5
	return c
}

// TestTrainLeversTrains: attention pooling over cached token states and a
// learnt temperature both train (the queries leave zero, the temperature
// leaves its start), and the token states come back from their cache file
// as they were computed.
func TestTrainLeversTrains(t *testing.T) {
	student, _, err := encoder(options{pool: llink.PoolLayers})
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, p := range data.Generate(24, 5) {
		texts = append(texts, p.Foreign)
	}
	dir := t.TempDir()
	tok, err := train.LoadOrBuildTokens(student, texts, dir)
	if err != nil {
		t.Fatal(err)
	}
	again, err := train.LoadOrBuildTokens(student, texts, dir) // from the file
	if err != nil {
		t.Fatal(err)
	}
	all := make([]int, len(texts))
	for i := range all {
		all[i] = i
	}
	if a, b := tok.Batch(all), again.Batch(all); tok.Tokens() != again.Tokens() || !slices.Equal(a.States.Data(), b.States.Data()) || !slices.Equal(a.Mask, b.Mask) {
		t.Fatal("token states read back differ from those written")
	}
	z, err := student.Embed(texts)
	if err != nil {
		t.Fatal(err)
	}
	// Half precision keeps the pooled vector the Reader gives.
	for i, v := range xlmr.MeanPool(tok.Batch(all).States, tok.Batch(all).Mask).Data() {
		if math.Abs(float64(v-z.Data()[i])) > 2e-3*(1+math.Abs(float64(z.Data()[i]))) {
			t.Fatalf("value %d: %g from the token states, the Reader pools %g", i, v, z.Data()[i])
		}
	}
	r := testutil.RNG(42)
	set := randomPairs(r, len(texts), student.Dim(), 5)
	set.Z = z
	c := smallStageA()
	pc := llink.DefaultConfig(student.Dim(), 5)
	pc.AttnHeads = 4
	proj := llink.NewProjector(pc, r)
	ap := proj.Pool
	lv := leverSet(proj, tok, set, tok)
	lv.LogScale = llink.NewLogScale(c.TauStart)
	logScale, start := lv.LogScale, lv.LogScale.Value.Data()[0]
	if _, err := train.TrainStageALevers(proj, set, set, c, lv, nil); err != nil {
		t.Fatal(err)
	}
	if slices.Max(ap.Query.Value.Data()) == 0 && slices.Min(ap.Query.Value.Data()) == 0 {
		t.Error("the attention pooling's queries did not train")
	}
	if logScale.Value.Data()[0] == start {
		t.Error("the temperature did not train")
	}
}

// TestLeversCheck: the lever combinations the bench refuses, and those it
// runs.
func TestLeversCheck(t *testing.T) {
	for _, tc := range []struct {
		l    levers
		want string // "" for none
	}{
		{levers{}, ""},
		{levers{learnTau: true, attnHeads: 4}, ""},
		{levers{mixEnglish: 0.5, learnTau: true}, ""},
		{levers{mixEnglish: 1, mixShift: true}, ""},
		{levers{attnHeads: -1}, "-attn-heads"},
		{levers{mixEnglish: -0.1}, "probability"},
		{levers{mixEnglish: 1.5}, "probability"},
		{levers{mixEnglish: math.NaN()}, "probability"},
		{levers{mixShift: true}, "give -mix-english"},
		{levers{mixEnglish: 0.5, attnHeads: 4}, "not with -attn-heads"},
	} {
		err := tc.l.check()
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: got %v, want an error with %q", tc.l, err, tc.want)
		}
	}
}

// TestEnglishMix: with probability 0 every row is the Khmer row, with 1 the
// English row, with 0.5 one of the two at about half the draws each, and
// the same seed draws the same rows.
func TestEnglishMix(t *testing.T) {
	r := testutil.RNG(7)
	km, en := tensor.RandN(r, 1, 50, 3), tensor.RandN(r, 1, 50, 3)
	idx := []int{0, 7, 7, 49, 3, 18, 25, 31, 40, 11}
	for _, tc := range []struct {
		p            float64
		lo, hi       float64 // bounds on the share of English rows
		draws, first int
	}{{0, 0, 0, 1, 0}, {1, 1, 1, 1, 0}, {0.5, 0.45, 0.55, 400, 0}, {0.2, 0.15, 0.25, 400, 0}} {
		m := &englishMix{km: km, en: en, p: tc.p, r: rand.New(rand.NewPCG(1, 0xE6))}
		again := &englishMix{km: km, en: en, p: tc.p, r: rand.New(rand.NewPCG(1, 0xE6))}
		var nEn, n int
		for range tc.draws {
			got, want := m.rows(idx), again.rows(idx)
			if !slices.Equal(got.Data(), want.Data()) {
				t.Fatalf("p %g: the same seed drew other rows", tc.p)
			}
			for i, row := range idx {
				switch {
				case slices.Equal(got.Row(i), en.Row(row)):
					nEn++
				case !slices.Equal(got.Row(i), km.Row(row)):
					t.Fatalf("p %g: row %d is neither pair %d's Khmer nor its English vector", tc.p, i, row)
				}
				n++
			}
		}
		if share := float64(nEn) / float64(n); share < tc.lo || share > tc.hi {
			t.Errorf("p %g: %.3f of the rows English, want [%g, %g]", tc.p, share, tc.lo, tc.hi)
		}
	}
}

// TestShiftMean: the shifted English vectors have the Khmer vectors' mean
// and keep their differences from one another.
func TestShiftMean(t *testing.T) {
	r := testutil.RNG(9)
	km, en := tensor.RandN(r, 1, 40, 5), tensor.RandN(r, 1, 30, 5)
	for i := range en.Dim(0) {
		for k := range en.Row(i) {
			en.Row(i)[k] += 3 + float32(k) // an offset per component
		}
	}
	got := shiftMean(en, km)
	mean := func(x *tensor.Tensor, k int) float64 {
		var s float64
		for i := range x.Dim(0) {
			s += float64(x.Row(i)[k])
		}
		return s / float64(x.Dim(0))
	}
	for k := range 5 {
		if d := math.Abs(mean(got, k) - mean(km, k)); d > 1e-5 {
			t.Errorf("component %d: shifted mean %g, Khmer mean %g", k, mean(got, k), mean(km, k))
		}
		for i := 1; i < en.Dim(0); i++ {
			want := en.Row(i)[k] - en.Row(0)[k]
			if d := got.Row(i)[k] - got.Row(0)[k]; math.Abs(float64(d-want)) > 1e-5 {
				t.Fatalf("row %d, component %d: difference from row 0 %g, was %g", i, k, d, want)
			}
		}
	}
}

// TestEnglishMixStageA: English rows with probability 0 train exactly the
// projector Stage A trains without a lever (the mix draws from its own
// stream), and with probability 1 another one.
func TestEnglishMixStageA(t *testing.T) {
	r := testutil.RNG(11)
	set := randomPairs(r, 40, 6, 5)
	en := tensor.RandN(r, 1, 40, 6)
	c := smallStageA()
	trainWith := func(lv train.StageALevers) []float32 {
		proj := llink.NewProjector(llink.DefaultConfig(6, 5), rand.New(rand.NewPCG(1, 0x11)))
		if _, err := train.TrainStageALevers(proj, set, set, c, lv, nil); err != nil {
			t.Fatal(err)
		}
		var out []float32
		for _, p := range proj.Params() {
			out = append(out, p.Value.Data()...)
		}
		return out
	}
	mixed := func(p float64) train.StageALevers {
		m := &englishMix{km: set.Z, en: en, p: p, r: rand.New(rand.NewPCG(1, 0xE6))}
		return train.StageALevers{
			Student:    func(tp *autograd.Tape, idx []int) *autograd.Var { return autograd.Const(m.rows(idx)) },
			DevStudent: func() *tensor.Tensor { return set.Z },
		}
	}
	plain := trainWith(train.StageALevers{})
	if got := trainWith(mixed(0)); !slices.Equal(got, plain) {
		t.Error("English rows with probability 0 trained another projector than Stage A without levers")
	}
	if got := trainWith(mixed(1)); slices.Equal(got, plain) {
		t.Error("English rows with probability 1 trained the Khmer rows' projector")
	}
}

// TestRunEnglishMix: the command runs Stage A with shifted English rows on
// a small package-split corpus and prints both retrieval directions, and
// refuses -mix-english with -english-student.
func TestRunEnglishMix(t *testing.T) {
	if testing.Short() {
		t.Skip("vectors of 1,600 pairs")
	}
	_, o := smallPackageRun(t, 10, 200)
	o.levers = levers{mixEnglish: 0.5, mixShift: true, learnTau: true}
	out, err := captureStdout(t, func() error { return run(o) })
	if err != nil || !strings.Contains(out, "English rows 0.5, shifted true") ||
		!strings.Contains(out, "dev pool km→en") || !strings.Contains(out, "dev pool en→km") || !strings.Contains(out, "train-en") {
		t.Fatalf("run: %v\n%s", err, out)
	}
	o.englishStudent = true
	if _, err := captureStdout(t, func() error { return run(o) }); err == nil || !strings.Contains(err.Error(), "-english-student") {
		t.Fatalf("-mix-english with -english-student: %v", err)
	}
}

// TestStageASeed: -stagea-seed equal to -seed is the run without it, and
// another value trains another projector on the same split.
func TestStageASeed(t *testing.T) {
	if testing.Short() {
		t.Skip("vectors of 1,400 pairs")
	}
	_, o := smallPackageRun(t, 20, 200)
	read := func(stageASeed uint64) (split, pool string) {
		o.stageASeed = stageASeed
		out, err := captureStdout(t, func() error { return run(o) })
		if err != nil {
			t.Fatalf("-stagea-seed %d: %v\n%s", stageASeed, err, out)
		}
		for _, l := range strings.Split(out, "\n") {
			switch {
			case strings.HasPrefix(l, "package split"), strings.HasPrefix(l, "  "):
				split += l + "\n"
			case strings.HasPrefix(l, "dev pool "):
				pool += l + "\n"
			}
		}
		return split, pool
	}
	split, pool := read(0)
	if s, p := read(1); s != split || p != pool {
		t.Errorf("-stagea-seed 1 with -seed 1 differs from the run without it:\n%s%s\nwant\n%s%s", s, p, split, pool)
	}
	if s, p := read(2); s != split || p == pool {
		t.Errorf("-stagea-seed 2: split the same %v, pool retrieval the same %v (want true, false)", s == split, p == pool)
	}
}
