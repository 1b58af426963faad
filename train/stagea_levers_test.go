package train

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/tensor"
)

// TestPipelineAttnPoolLearntTau: the pipeline's Stage A options
// (llink.Config.AttnHeads, StageAConfig.LearnTau) reach Stage A — the
// pooling's queries leave zero and the temperature leaves its start — the
// trained pooling is in the bundle and comes back from it, the rows that
// read the projector use it, and a Stage A stopped mid-run resumes to the
// uninterrupted run's parameters while a resume with other heads is refused
// before it trains. (The pooling's and the learnt temperature's gradients
// are checked in models/llink: TestAttnPoolGradients, TestLearntTau.)
func TestPipelineAttnPoolLearntTau(t *testing.T) {
	const k = 2
	m, d, c := toyStages(t, k)
	c.Slots.AttnHeads, c.StageA.LearnTau = 2, true
	c.BundlePath = filepath.Join(t.TempDir(), "bundle.safetensors")
	res, err := RunPipeline(m, d, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tau := res.StageA.LearntTau; tau == 0 || tau == c.StageA.TauStart {
		t.Fatalf("learnt temperature %g (start %g): it did not train", tau, c.StageA.TauStart)
	}
	b, err := llink.LoadBundle(c.BundlePath, m.Dec.Model, m.Enc.Dim(), m.DecoderID, m.EncoderID)
	if err != nil {
		t.Fatal(err)
	}
	if b.Config.AttnHeads != 2 || !b.Projector.ReadsTokens() || b.Projector.Pool.Heads != 2 {
		t.Fatalf("the bundle came back with %d heads (pool %v)", b.Config.AttnHeads, b.Projector.Pool)
	}
	q := b.Projector.Pool.Query.Value.Data()
	if slices.Max(q) == 0 && slices.Min(q) == 0 {
		t.Fatal("the attention pooling's queries did not train (or were not saved)")
	}
	for _, r := range res.Methods {
		if (r.Method == RowStageAOnly || r.Method == RowLLINK) && r.KmToEn == nil {
			t.Fatalf("%s: no retrieval", r.Method)
		}
	}

	// The Stage A vectors of a text: the pooling of its token states, not
	// the mean pooled vector.
	s, err := NewStages(m, d, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.projected("pool", b.Projector)
	if err != nil {
		t.Fatal(err)
	}
	if d := tensor.MaxAbsDiff(got, b.Projector.Project(s.vecs["pool"].Z)); d == 0 {
		t.Fatal("the pool's Stage A vectors are the mean's: the attention pooling is not read")
	}
	r := *m.Enc
	r.Pool = c.Slots.EncoderPool // the states the store holds
	tok, err := r.Tokens([]string{d.Pool[0].Foreign})
	if err != nil {
		t.Fatal(err)
	}
	one := b.Projector.Project(b.Projector.Student(nil, tok))
	for j, v := range one.Row(0) {
		if w := got.Row(0)[j]; abs32(v-w) > 2e-2*(1+abs32(w)) { // the store keeps float16 states
			t.Fatalf("pool text 0, value %d: %g from its own token states, %g from the store", j, v, w)
		}
	}

	// Stop Stage A mid-run and resume it: the uninterrupted run's
	// parameters (pooling and temperature included).
	ref, err := s.StageA()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "stage-a.safetensors")
	stop := make(chan struct{})
	c2 := c
	c2.StageA.Checkpoint = Checkpointing{Path: path, Every: 1000, Stop: stop}
	c2.StepHook = func(string, int) func(StepLog) {
		return func(l StepLog) {
			if l.Step == 7 {
				close(stop)
			}
		}
	}
	s2, err := NewStages(m, d, c2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.StageA(); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("want ErrInterrupted, got %v", err)
	}
	c3 := c
	c3.StageA.Checkpoint = Checkpointing{Path: path, Resume: true}
	s3, err := NewStages(m, d, c3, nil)
	if err != nil {
		t.Fatal(err)
	}
	resumed, err := s3.StageA()
	if err != nil {
		t.Fatal(err)
	}
	sameParams(t, ref, resumed)
	if s3.Results().StageA.LearntTau != s.Results().StageA.LearntTau {
		t.Fatalf("resumed learnt temperature %g, uninterrupted %g", s3.Results().StageA.LearntTau, s.Results().StageA.LearntTau)
	}
	// Other heads, or no learnt temperature: refused by the settings.
	for _, change := range []func(*PipelineConfig){
		func(c *PipelineConfig) { c.Slots.AttnHeads = 4 },
		func(c *PipelineConfig) { c.Slots.AttnHeads = 0 },
		func(c *PipelineConfig) { c.StageA.LearnTau = false },
	} {
		c4 := c3
		change(&c4)
		s4, err := NewStages(m, d, c4, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s4.StageA(); err == nil || !strings.Contains(err.Error(), "other settings") {
			t.Fatalf("heads %d, learnt temperature %v: resume gave %v, want a refusal naming the settings", c4.Slots.AttnHeads, c4.StageA.LearnTau, err)
		}
	}
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

// TestBundleAttnPoolMismatch: a bundle or projector file whose attention
// pooling does not match its config is refused by name, and so are heads
// that do not divide the encoder width or that feed segment slots.
func TestBundleAttnPoolMismatch(t *testing.T) {
	m := tinyDecoder(1)
	cfg := llink.DefaultConfig(m.Config.Hidden, m.Config.Hidden)
	cfg.K, cfg.ExpHidden, cfg.AttnHeads = tK, 32, 4
	dir := t.TempDir()
	pooled := cfg
	pooled.AttnHeads = 0
	proj := llink.NewProjector(cfg, testutil.RNG(5))
	proj.Pool.Query.Value.Data()[3] = 0.5
	for _, tc := range []struct {
		name string
		file llink.Config // the config the file records
		proj *llink.Projector
		want string
	}{
		{"pooling kept", cfg, proj, ""},
		{"pooling saved, config without it", pooled, proj, `unexpected tensor "attnpool.query"`},
		{"config with pooling, none saved", cfg, llink.NewProjector(pooled, testutil.RNG(5)), `missing tensor "attnpool.query"`},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".safetensors")
		b := &llink.Bundle{Config: tc.file, Projector: tc.proj, Slots: llink.NewSlots(tc.file, 1, testutil.RNG(3)),
			BaseVocab: m.Config.VocabSize, DecoderID: "tiny-dec", EncoderID: "tiny-enc"}
		if err := llink.SaveBundle(path, b, nil); err != nil {
			t.Fatal(err)
		}
		lb, err := llink.LoadBundle(path, tinyDecoder(1), cfg.EncDim, "tiny-dec", "")
		if tc.want == "" {
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if d := tensor.MaxAbsDiff(lb.Projector.Pool.Query.Value, proj.Pool.Query.Value); d != 0 {
				t.Fatalf("%s: the pooling's queries came back %g off", tc.name, d)
			}
		} else if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%s: got %v, want an error with %q", tc.name, err, tc.want)
		}
		ppath := filepath.Join(dir, "proj-"+filepath.Base(path))
		if err := llink.SaveProjector(ppath, tc.proj, tc.file, "tiny-dec", "tiny-enc"); err != nil {
			t.Fatal(err)
		}
		_, _, err = llink.LoadProjector(ppath, llink.Identity{DecDim: cfg.DecDim, EncDim: cfg.EncDim})
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Fatalf("%s: projector file: got %v, want an error with %q", tc.name, err, tc.want)
		}
	}
	for _, tc := range []struct {
		heads int
		slots string
		want  string
	}{{3, "", "divisor of the encoder width"}, {-1, "", "attention-pooling heads"}, {4, llink.SlotsSegments, "segment slots"}} {
		c := cfg
		c.AttnHeads, c.SlotInput = tc.heads, tc.slots
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%d heads, slots %q: got %v, want an error with %q", tc.heads, tc.slots, err, tc.want)
		}
	}
}
