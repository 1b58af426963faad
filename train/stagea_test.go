package train

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/tensor"
)

// synthPairs makes pairs whose teacher is a fixed non-linear function of the
// student plus noise, so a projector can learn the map.
func synthPairs(r *rand.Rand, w *tensor.Tensor, n, base int) Pairs {
	enc := w.Dim(1)
	z := tensor.RandN(r, 1, n, enc)
	h := tensor.MatMul(z, w, false, true)
	for i, v := range h.Data() {
		h.Data()[i] = float32(math.Tanh(float64(v))) + 0.05*float32(r.NormFloat64())
	}
	ids := make([]int, n)
	for i := range ids {
		ids[i] = base + i
	}
	return Pairs{Z: z, H: h, IDs: ids}
}

func TestStageALearnsRetrieval(t *testing.T) {
	r := testutil.RNG(1)
	const enc, dec = 12, 16
	w := tensor.RandN(r, 0.6, dec, enc)
	trainSet := synthPairs(r, w, 512, 0)
	dev := synthPairs(r, w, 128, 10000)
	cfg := llink.DefaultConfig(enc, dec)
	cfg.ProjHidden = 48
	proj := llink.NewProjector(cfg, testutil.RNG(2))
	before, err := RetrievalStageA(proj, dev)
	if err != nil {
		t.Fatal(err)
	}
	c := DefaultStageA()
	c.Steps, c.Warmup, c.Batch, c.QueueSize, c.HardM, c.EvalEvery = 300, 30, 32, 256, 16, 100
	var logs []StepLog
	res, err := TrainStageA(proj, trainSet, dev, c, func(l StepLog) { logs = append(logs, l) })
	if err != nil {
		t.Fatal(err)
	}
	after, _ := RetrievalStageA(proj, dev)
	t.Logf("dev R@1 %.3f → %.3f (MRR %.3f → %.3f), best step %d, loss %.3f → %.3f",
		before.R1, after.R1, before.MRR, after.MRR, res.BestStep, logs[0].Loss, res.Final)
	if after.R1 < 0.6 || after.R1 < before.R1+0.3 {
		t.Fatalf("stage A did not learn: dev R@1 %.3f → %.3f", before.R1, after.R1)
	}
	if after.MRR != res.Best.MRR {
		t.Fatalf("kept parameters give MRR %v, best recorded %v", after.MRR, res.Best.MRR)
	}
	if len(logs) != c.Steps || logs[len(logs)-1].Loss >= logs[0].Loss {
		t.Fatalf("loss did not fall: %v → %v", logs[0].Loss, logs[len(logs)-1].Loss)
	}
	// Same seed → bit-identical parameters.
	proj2 := llink.NewProjector(cfg, testutil.RNG(2))
	if _, err := TrainStageA(proj2, trainSet, dev, c, nil); err != nil {
		t.Fatal(err)
	}
	for i, p := range proj.Params() {
		if tensor.MaxAbsDiff(p.Value, proj2.Params()[i].Value) != 0 {
			t.Fatalf("parameter %s differs between identical runs", p.Name)
		}
	}
	// Save and load round trip; a wrong-shaped model is refused by name.
	path := filepath.Join(t.TempDir(), "projector.safetensors")
	if err := llink.SaveParams(path, proj.Params(), map[string]string{"stage": "A"}); err != nil {
		t.Fatal(err)
	}
	proj3 := llink.NewProjector(cfg, testutil.RNG(9))
	md, err := llink.LoadParams(path, proj3.Params())
	if err != nil || md["stage"] != "A" {
		t.Fatalf("load: %v %v", md, err)
	}
	if tensor.MaxAbsDiff(proj3.FC1.Weight.Value, proj.FC1.Weight.Value) != 0 {
		t.Fatal("loaded weights differ")
	}
	cfg.ProjHidden = 40
	_, err = llink.LoadParams(path, llink.NewProjector(cfg, testutil.RNG(9)).Params())
	if err == nil || !strings.Contains(err.Error(), "projector.fc1.weight") {
		t.Fatalf("shape mismatch error %v", err)
	}
}

func TestStageABadInput(t *testing.T) {
	cfg := llink.DefaultConfig(4, 4)
	proj := llink.NewProjector(cfg, testutil.RNG(1))
	r := testutil.RNG(2)
	small := synthPairs(r, tensor.RandN(r, 1, 4, 4), 8, 0)
	c := DefaultStageA()
	c.Steps, c.Warmup = 5, 1
	if _, err := TrainStageA(proj, small, Pairs{}, c, nil); err == nil || !strings.Contains(err.Error(), "batch 128") {
		t.Fatalf("batch larger than data: %v", err)
	}
	c.Batch = 4
	small.H.Data()[3] = float32(math.NaN())
	if _, err := TrainStageA(proj, small, Pairs{}, c, nil); err == nil || !strings.Contains(err.Error(), "step") {
		t.Fatalf("NaN teacher: %v", err)
	}
}

// TestStageALevers: a student lever that makes the cached vectors on the
// tape gives TrainStageA's projector bit for bit (the levers change only
// what they replace); a learnt temperature trains, is logged as the step's
// τ and ends at the kept step's value; a student without its dev vectors
// and parameters without a student are refused. (Levers checkpoint and
// resume: TestPipelineAttnPoolLearntTau.)
func TestStageALevers(t *testing.T) {
	r := testutil.RNG(5)
	const enc, dec = 6, 5
	w := tensor.RandN(r, 0.6, dec, enc)
	trainSet, dev := synthPairs(r, w, 40, 0), synthPairs(r, w, 10, 1000)
	cfg := llink.DefaultConfig(enc, dec)
	c := DefaultStageA()
	c.Steps, c.Warmup, c.Batch, c.EvalEvery, c.HardM = 12, 2, 8, 4, 5
	want := llink.NewProjector(cfg, testutil.RNG(3))
	wres, err := TrainStageA(want, trainSet, dev, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := llink.NewProjector(cfg, testutil.RNG(3))
	cached := StageALevers{
		Student:    func(tp *autograd.Tape, idx []int) *autograd.Var { return autograd.Const(rows(trainSet.Z, idx)) },
		DevStudent: func() *tensor.Tensor { return dev.Z },
	}
	gres, err := TrainStageALevers(got, trainSet, dev, c, cached, nil)
	if err != nil {
		t.Fatal(err)
	}
	if gres.BestStep != wres.BestStep || gres.Best.MRR != wres.Best.MRR || gres.Best.R1 != wres.Best.R1 {
		t.Fatalf("kept step %d (%+v), TrainStageA's %d (%+v)", gres.BestStep, gres.Best, wres.BestStep, wres.Best)
	}
	for i, p := range got.Params() {
		if !slices.Equal(p.Value.Data(), want.Params()[i].Value.Data()) {
			t.Fatalf("%s differs from TrainStageA's", p.Name)
		}
	}

	lv := StageALevers{LogScale: llink.NewLogScale(c.TauStart)}
	start := lv.LogScale.Value.Data()[0]
	var taus []float64
	proj := llink.NewProjector(cfg, testutil.RNG(3))
	if _, err := TrainStageALevers(proj, trainSet, dev, c, lv, func(l StepLog) { taus = append(taus, l.Tau) }); err != nil {
		t.Fatal(err)
	}
	if lv.LogScale.Value.Data()[0] == start || len(taus) != c.Steps || taus[0] == taus[len(taus)-1] {
		t.Fatalf("learnt temperature: log scale %g from %g, logged τ %v", lv.LogScale.Value.Data()[0], start, taus)
	}

	for _, bad := range []StageALevers{{Student: cached.Student}, {Params: []*autograd.Var{lv.LogScale}}} {
		if _, err := TrainStageALevers(llink.NewProjector(cfg, testutil.RNG(3)), trainSet, dev, c, bad, nil); err == nil || !strings.Contains(err.Error(), "stage A") {
			t.Errorf("levers %+v: %v", bad, err)
		}
	}
}
