package main

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/llink-go/llink/data"
	"github.com/llink-go/llink/internal/rundir"
	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/safetensors"
	"github.com/llink-go/llink/models/tokenizer"
	"github.com/llink-go/llink/models/xlmr"
)

// writeFolder writes config.json, model.safetensors (random weights: norm
// gains 1, the rest N(0, std)) and, unless tok is nil, tokenizer.json into
// dir.
func writeFolder(t *testing.T, dir string, cfg any, names []string, shapes [][]int, tok tokenizer.Tokenizer, std float64) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), js, 0o644); err != nil {
		t.Fatal(err)
	}
	r := testutil.RNG(uint64(len(names)))
	var ts []safetensors.Tensor
	for i, n := range names {
		size := 1
		for _, d := range shapes[i] {
			size *= d
		}
		v := testutil.Normal(r, size, std)
		if strings.Contains(n, "norm") || strings.Contains(n, "LayerNorm.weight") {
			for j := range v {
				v[j] = 1
			}
		}
		ts = append(ts, safetensors.FromFloat32(n, shapes[i], v, safetensors.F32))
	}
	if err := safetensors.Write(filepath.Join(dir, "model.safetensors"), ts, nil); err != nil {
		t.Fatal(err)
	}
	if tok == nil {
		return
	}
	if err := tokenizer.SaveJSON(tok, filepath.Join(dir, "tokenizer.json")); err != nil {
		t.Fatal(err)
	}
}

// tinyFolders writes a random tiny decoder and encoder as Hugging Face
// folders with trained tokenizers (the decoder's English-only).
func tinyFolders(t *testing.T) (dec, enc string) {
	t.Helper()
	en, km := data.Monolingual(1500, 1)
	dt, err := tokenizer.TrainBPE(en, tokenizer.BPETrainConfig{VocabSize: 700, BOS: "<|begin_of_text|>",
		Specials: []string{"<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"}})
	if err != nil {
		t.Fatal(err)
	}
	et, err := tokenizer.TrainUnigram(append(en[:500], km...), tokenizer.UnigramTrainConfig{VocabSize: 800})
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	dc := llama.Tiny(dt.VocabSize())
	dc.Hidden, dc.Intermediate, dc.Layers, dc.Heads, dc.KVHeads, dc.HeadDim = 32, 64, 2, 4, 2, 8
	names, shapes := llama.TensorNames(dc)
	dec = filepath.Join(root, "decoder")
	writeFolder(t, dec, dc, names, shapes, dt, 0.2)
	ec := xlmr.Tiny(et.VocabSize())
	ec.Hidden, ec.Intermediate, ec.Layers, ec.Heads = 24, 48, 1, 2
	names, shapes = xlmr.TensorNames(ec)
	enc = filepath.Join(root, "encoder")
	writeFolder(t, enc, ec, names, shapes, et, 0.2)
	return dec, enc
}

// TestRunOnHFFolders runs the whole pipeline command on Hugging Face
// folders: tokenizers, LLINK tokens added to the decoder, caches, training,
// evaluation and the run folder's files.
func TestRunOnHFFolders(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end pipeline")
	}
	dec, enc := tinyFolders(t)
	out, cache := filepath.Join(t.TempDir(), "run1"), filepath.Join(t.TempDir(), "cache")
	args := []string{"run", "-quiet", "-decoder", dec, "-encoder", enc, "-out", out, "-cache", cache,
		"-k", "4", "-train-pairs", "300", "-train-tasks", "48", "-test-tasks", "16", "-stage-a-steps", "12", "-stage-b-steps", "3"}
	var stdout, stderr bytes.Buffer
	if err := run(args, nil, &stdout, &stderr); err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	for _, f := range []string{"config.json", "metrics.jsonl", "results.json", "results.md", "plots/loss.svg", "plots/ranks.svg", "checkpoints/stage-a.safetensors", bundleName} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("run folder lacks %s (%v)", f, err)
		}
	}
	md := stdout.String()
	for _, want := range []string{"| LLINK |", "| base + copy |", "| direct FT + copy |", "| copy only |", "km→en R@1", "pool of 1024 pairs", "llink fair -seeds 3"} {
		if !strings.Contains(md, want) {
			t.Fatalf("output lacks %q:\n%s", want, md)
		}
	}
	testResumeFinished(t, args, out, cache, md)
	testAsk(t, filepath.Join(out, bundleName), dec, enc)

	var res struct {
		Layers []struct {
			Name   string    `json:"name"`
			Cosine []float64 `json:"cosine"`
		} `json:"layers"`
	}
	if b, err := os.ReadFile(filepath.Join(out, "results.json")); err != nil || json.Unmarshal(b, &res) != nil {
		t.Fatalf("results.json: %v", err)
	}
	if len(res.Layers) != 2 || len(res.Layers[1].Cosine) != 2+2 { // the test decoder has 2 layers
		t.Errorf("layer analysis in results.json: %+v", res.Layers)
	}
	// llink plot redraws every plot from the saved metrics and results.
	plots := []string{"loss.svg", "ranks.svg", "layers.svg", "similarity-llink.svg", "similarity-stage-a-only.svg", "similarity-direct-ft-copy.svg"}
	if err := os.RemoveAll(filepath.Join(out, "plots")); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"plot", out}, nil, &stdout, &stderr); err != nil {
		t.Fatalf("plot: %v", err)
	}
	for _, f := range plots {
		if st, err := os.Stat(filepath.Join(out, "plots", f)); err != nil || st.Size() == 0 {
			t.Errorf("llink plot did not redraw %s (%v)", f, err)
		}
	}
	if err := run([]string{"plot", t.TempDir()}, nil, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "holds no run") {
		t.Errorf("plot on a folder without a run: %v", err)
	}
	os.Remove(filepath.Join(out, rundir.ResultsJSON))
	if err := run([]string{"plot", out}, nil, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "results.json") {
		t.Errorf("plot on a run without results: %v", err)
	}
}

// testResumeFinished resumes the finished run made by args (run folder
// out, vector caches in cache, printed report md) and checks it trains and
// embeds nothing again: every stage's steps are logged once in
// metrics.jsonl and left so, no checkpoint or cache file is rewritten, and
// the bundle, the results table and the layer analysis are the same.
func testResumeFinished(t *testing.T, args []string, out, cache, md string) {
	t.Helper()
	steps := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(readFile(t, filepath.Join(out, rundir.MetricsFile))), "\n") {
		var l rundir.Record
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("metrics.jsonl: %v in %q", err, line)
		}
		steps[l.Stage]++
	}
	// -stage-a-steps 12 -stage-b-steps 3; the two fine-tuned controls get
	// Stage B's budget.
	if want := map[string]int{"stage A": 12, "stage B": 3, "direct FT + copy": 3, "copy only": 3}; !maps.Equal(steps, want) {
		t.Fatalf("steps logged per stage: %v, want %v", steps, want)
	}
	files := func() map[string]time.Time {
		m := map[string]time.Time{}
		for _, d := range []string{filepath.Join(out, rundir.CheckpointsDir), cache} {
			es, err := os.ReadDir(d)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range es {
				info, err := e.Info()
				if err != nil {
					t.Fatal(err)
				}
				m[filepath.Join(d, e.Name())] = info.ModTime()
			}
		}
		return m
	}
	type outcome struct {
		Methods, Layers json.RawMessage
		StageA          struct {
			BestStep int
			Best     json.RawMessage
			Final    float64
		} `json:"stage_a"`
	}
	results := func() (o outcome) {
		if err := json.Unmarshal([]byte(readFile(t, filepath.Join(out, rundir.ResultsJSON))), &o); err != nil {
			t.Fatalf("results.json: %v", err)
		}
		return o
	}
	metrics, before, res, bundle := readFile(t, filepath.Join(out, rundir.MetricsFile)), files(), results(), readFile(t, filepath.Join(out, bundleName))
	if len(before) != 4+5 { // stage A, stage B, two controls; five vector caches
		t.Fatalf("checkpoints and caches after the run: %v", slices.Sorted(maps.Keys(before)))
	}

	var stdout, stderr bytes.Buffer
	if err := run(append(args, "-resume"), nil, &stdout, &stderr); err != nil {
		t.Fatalf("resume: %v\n%s", err, stderr.String())
	}
	if readFile(t, filepath.Join(out, rundir.MetricsFile)) != metrics {
		t.Error("resuming a finished run logged training steps again")
	}
	if after := files(); !maps.Equal(after, before) {
		t.Errorf("resuming a finished run rewrote checkpoints or caches:\nbefore %v\nafter  %v", before, after)
	}
	if readFile(t, filepath.Join(out, bundleName)) != bundle {
		t.Error("resuming a finished run changed the bundle")
	}
	if again := results(); !bytes.Equal(again.Methods, res.Methods) || !bytes.Equal(again.Layers, res.Layers) ||
		again.StageA.BestStep != res.StageA.BestStep || !bytes.Equal(again.StageA.Best, res.StageA.Best) || again.StageA.Final != res.StageA.Final || res.StageA.Final == 0 {
		t.Error("resuming a finished run changed results.json's methods, layers or Stage A's best projector or final loss")
	}
	// The printed report is the same but for the run's duration.
	report := func(s string) string { r, _, _ := strings.Cut(s, "\nresults: "); return r }
	if report(stdout.String()) != report(md) {
		t.Errorf("the resumed run's report differs:\n%s\nfirst run's:\n%s", stdout.String(), md)
	}
}

// readFile returns a file's contents, failing the test if it cannot.
func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// testAsk answers with the bundle a run wrote, from -text and from stdin
// (the same greedy answer), and checks the refusals.
func testAsk(t *testing.T, bundle, dec, enc string) {
	const khmer = "សុខា ទិញ ត្រី ២ គីឡូក្រាម នៅ ភ្នំពេញ។"
	ask := func(stdin string, args ...string) (string, error) {
		var stdout, stderr bytes.Buffer
		err := run(append([]string{"ask", "-quiet"}, args...), strings.NewReader(stdin), &stdout, &stderr)
		return stdout.String(), err
	}
	a1, err := ask("", "-bundle", bundle, "-decoder", dec, "-encoder", enc, "-max-new", "4", "-text", khmer, "Who", "is", "mentioned?")
	if err != nil {
		t.Fatalf("ask: %v", err)
	}
	a2, err := ask(khmer+"\n", "-bundle", bundle, "-decoder", dec, "-encoder", enc, "-max-new", "4", "Who is mentioned?")
	if err != nil || a1 != a2 {
		t.Fatalf("ask from stdin: %q (%v), from -text: %q", a2, err, a1)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"Who?"}, "-bundle is required"},
		{[]string{"-bundle", bundle}, "give the instruction"},
		{[]string{"-bundle", bundle, "-decoder", dec, "Who?"}, "both -decoder and -encoder"},
		// The bundle was trained for the random test folders, not the
		// embedded models: refused, naming what does not fit.
		{[]string{"-bundle", bundle, "-text", khmer, "Who?"}, "was trained for"},
		{[]string{"-bundle", filepath.Join(filepath.Dir(bundle), "results.json"), "-decoder", dec, "-encoder", enc, "-text", khmer, "Who?"}, "results.json"},
	} {
		if _, err := ask("", tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ask %q: error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
}
