package main

import (
	"cmp"
	"fmt"
	"io"
	"strings"

	"github.com/llink-go/llink/data"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/models/xlmr"
	"github.com/llink-go/llink/tensor"
	"github.com/llink-go/llink/train"
	"github.com/llink-go/llink/train/eval"
)

func init() {
	register(command{name: "probe", short: "linear probes: how much of a sentence's place, month, object and frame the encoder's pooled vector, its token states, the teacher and (with -bundle) LLINK's slots keep", run: runProbe})
}

// probeAttrs are the attributes probed, each read from a generated pair.
var probeAttrs = []struct {
	name string
	of   func(*data.Slots) string
}{
	{"place", func(s *data.Slots) string { return s.Place }},
	{"month", func(s *data.Slots) string { return monthOf(s.When) }},
	{"object", func(s *data.Slots) string { return s.Object }},
	{"frame", func(s *data.Slots) string { return s.Frame }},
}

var months = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

// monthOf returns the month named in a generated date ("12 March 2024"), or
// "" for dates without one ("yesterday", "Monday").
func monthOf(when string) string {
	for _, w := range strings.Fields(when) {
		for _, m := range months {
			if w == m {
				return m
			}
		}
	}
	return ""
}

// probeSegments is how many in-order segment means the probes read (LLINK's
// K).
const probeSegments = 8

// probeRep is one representation of the probed sentences.
type probeRep struct {
	name        string
	train, test eval.ProbeSet
}

func runProbe(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("probe", stderr)
	cf := addCommonFlags(fs)
	decoder := fs.String("decoder", "", "decoder: Hugging Face Llama `folder` (default: the embedded tiny decoder)")
	encoder := fs.String("encoder", "", "encoder: Hugging Face XLM-R/BERT `folder` (default: the embedded tiny encoder)")
	bundle := fs.String("bundle", "", "an LLINK bundle `file` trained with these models: also probe its Stage A projection and its K slots")
	nTrain := fs.Int("train", 3000, "sentences the probes are trained on (the corpus' training split)")
	nTest := fs.Int("test", 1000, "sentences they are scored on (the held-out test split)")
	steps := fs.Int("steps", 300, "optimisation steps of each probe")
	seed := fs.Uint64("seed", 1, "corpus and probe seed")
	var teacherPool string
	choiceFlag(fs, &teacherPool, "teacher-pool", "the teacher vector probed: last = the decoder's final state at <foreign_emb> after the English sentence (the paper), mean = the mean of the English tokens' states (as Stage A's -teacher-pool)", llink.TeacherLast, llink.TeacherLast, llink.TeacherMean)
	teacherLayer := fs.Int("teacher-layer", 0, "the decoder states the probed teacher vector is read from: 0 = the final-normed output (the paper), L = the residual stream after block L (as Stage A's -teacher-layer)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("probe: unexpected argument %q", fs.Arg(0))
	}
	if *teacherLayer < 0 {
		return usageErrorf("probe: -teacher-layer %d: want 0 (the final-normed output) or a decoder block 1..layers", *teacherLayer)
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"train", *nTrain}, {"test", *nTest}, {"steps", *steps}} {
		if err := checkInt("probe", f.name, f.v, 1, maxCount); err != nil {
			return err
		}
	}
	stop, err := cf.start()
	if err != nil {
		return err
	}
	defer stop()
	m, err := loadModels(*decoder, *encoder, 8)
	if err != nil {
		return err
	}
	teacher := &llink.Teacher{Dec: m.Dec, ID: m.DecoderID, Pool: teacherPool, Layer: *teacherLayer}
	if err := llink.CheckTeacher(teacher.Pool, teacher.Layer, m.Dec.Model.Config.Layers); err != nil {
		return usageErrorf("probe: %v", err)
	}
	cfg := data.DefaultConfig()
	cfg.Seed, cfg.Train, cfg.Dev, cfg.Test, cfg.Pool = *seed, *nTrain, 0, *nTest, 0
	co, err := data.Build(cfg)
	if err != nil {
		return err
	}
	reps, err := probeReps(m, teacher, co.Train, co.Test, *bundle)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Linear probes (seed %d): trained on %d sentences of the training split, accuracy on %d held-out test sentences.\n\n", *seed, *nTrain, *nTest)
	header := "| representation |"
	rule := "|---|"
	for _, a := range probeAttrs {
		header += " " + a.name + " |"
		rule += "---:|"
	}
	fmt.Fprintln(stdout, header)
	fmt.Fprintln(stdout, rule)
	labels := make([][2][]int, len(probeAttrs))
	classes := make([]int, len(probeAttrs))
	majority := "| majority class |"
	for i, a := range probeAttrs {
		labels[i][0], labels[i][1], classes[i] = probeLabels(co.Train, co.Test, a.of)
		majority += fmt.Sprintf(" %.3f (%d classes) |", majorityShare(labels[i][0], labels[i][1], classes[i]), classes[i])
	}
	fmt.Fprintln(stdout, majority)
	for _, r := range reps {
		line := "| " + r.name + " |"
		for i := range probeAttrs {
			tr, te := r.train, r.test
			tr.Y, te.Y = labels[i][0], labels[i][1]
			acc, err := eval.Probe(tr, te, classes[i], eval.ProbeOptions{Steps: *steps, Seed: *seed})
			if err != nil {
				return fmt.Errorf("probe %s on %s: %w", probeAttrs[i].name, r.name, err)
			}
			line += fmt.Sprintf(" %.3f |", acc)
		}
		fmt.Fprintln(stdout, line)
	}
	return nil
}

// probeReps computes the representations of the train and test sentences,
// the teacher's vectors by teacher's definition.
func probeReps(m *train.Models, teacher *llink.Teacher, trainPairs, testPairs []data.Pair, bundlePath string) ([]probeRep, error) {
	texts := func(ps []data.Pair, english bool) []string {
		out := make([]string, len(ps))
		for i, p := range ps {
			out[i] = p.Foreign
			if english {
				out[i] = p.English
			}
		}
		return out
	}
	var reps []probeRep
	tokens := map[string][2]*llink.Tokens{}
	for _, pool := range []string{llink.PoolLayers, llink.PoolLast} {
		r := *m.Enc
		r.Pool = pool
		var tk [2]*llink.Tokens
		for j, ps := range [][]data.Pair{trainPairs, testPairs} {
			var err error
			if tk[j], err = r.Tokens(texts(ps, false)); err != nil {
				return nil, err
			}
		}
		tokens[pool] = tk
		reps = append(reps, probeRep{name: "encoder, pooled (" + pool + ")",
			train: eval.ProbeSet{X: tokenMean(tk[0])}, test: eval.ProbeSet{X: tokenMean(tk[1])}})
	}
	tk := tokens[llink.PoolLayers]
	reps = append(reps, probeRep{name: "encoder, token states (layers)",
		train: eval.ProbeSet{X: tk[0].States, Mask: tk[0].Mask}, test: eval.ProbeSet{X: tk[1].States, Mask: tk[1].Mask}})
	s0, s1 := tk[0].Segments(probeSegments), tk[1].Segments(probeSegments)
	reps = append(reps, probeRep{name: fmt.Sprintf("encoder, %d segment means (layers)", probeSegments),
		train: eval.ProbeSet{X: s0.States, Mask: s0.Mask}, test: eval.ProbeSet{X: s1.States, Mask: s1.Mask}})
	var h [2]*tensor.Tensor
	for j, ps := range [][]data.Pair{trainPairs, testPairs} {
		var err error
		if h[j], err = teacher.Embed(texts(ps, true)); err != nil {
			return nil, err
		}
	}
	reps = append(reps, probeRep{name: teacherRow(teacher), train: eval.ProbeSet{X: h[0]}, test: eval.ProbeSet{X: h[1]}})
	if bundlePath == "" {
		return reps, nil
	}
	b, err := llink.LoadBundle(bundlePath, m.Dec.Model, m.Enc.Dim(), m.DecoderID, m.EncoderID)
	if err != nil {
		return nil, err
	}
	stageA, slots := probeRep{name: "Stage A projection"}, probeRep{name: fmt.Sprintf("LLINK's %d slots (%s)", b.Config.K, cmp.Or(b.Config.SlotInput, llink.SlotsPooled))}
	for j := range 2 {
		t := tokens[b.Config.EncoderPool]
		if t[j] == nil {
			t = tokens[llink.PoolLast]
		}
		src := llink.Source{V: b.Projector.Project(b.Projector.Student(tokenMean(t[j]), t[j]))} // the mean, or the attention pooling the bundle trained
		if b.Slots.ReadsTokens() {
			src.Tok = t[j]
		}
		s := b.Slots.SlotVectors(src) // [N, K, d]: a token set of K slots per text (with dynamic K, its first K_i)
		set := eval.ProbeSet{X: s, Mask: make([]bool, s.Dim(0)*s.Dim(1))}
		counts, k := b.Slots.SlotCounts(src), s.Dim(1)
		for i := range set.Mask {
			set.Mask[i] = counts == nil || i%k < counts[i/k]
		}
		if j == 0 {
			stageA.train, slots.train = eval.ProbeSet{X: src.V}, set
		} else {
			stageA.test, slots.test = eval.ProbeSet{X: src.V}, set
		}
	}
	return append(reps, stageA, slots), nil
}

// teacherRow names the teacher's row: "decoder teacher (English)" for the
// paper's vector, its pool and layer beside it for any other.
func teacherRow(t *llink.Teacher) string {
	if cmp.Or(t.Pool, llink.TeacherLast) == llink.TeacherLast && t.Layer == 0 {
		return "decoder teacher (English)"
	}
	at := "final-normed"
	if t.Layer > 0 {
		at = fmt.Sprintf("block %d", t.Layer)
	}
	return fmt.Sprintf("decoder teacher (English; %s, %s)", cmp.Or(t.Pool, llink.TeacherLast), at)
}

// tokenMean is the masked mean of token states: the pooled vectors.
func tokenMean(t *llink.Tokens) *tensor.Tensor { return xlmr.MeanPool(t.States, t.Mask) }

// probeLabels numbers an attribute's values over the training sentences
// (in order of first appearance); sentences without the attribute, and test
// values never seen in training, get -1.
func probeLabels(trainPairs, testPairs []data.Pair, of func(*data.Slots) string) (trainY, testY []int, classes int) {
	ids := map[string]int{}
	label := func(ps []data.Pair, grow bool) []int {
		y := make([]int, len(ps))
		for i, p := range ps {
			y[i] = -1
			if p.Slots == nil {
				continue
			}
			v := of(p.Slots)
			if v == "" {
				continue
			}
			id, ok := ids[v]
			if !ok && grow {
				id, ok = len(ids), true
				ids[v] = id
			}
			if ok {
				y[i] = id
			}
		}
		return y
	}
	trainY = label(trainPairs, true)
	return trainY, label(testPairs, false), len(ids)
}

// majorityShare is the test accuracy of always answering the training set's
// most frequent class.
func majorityShare(trainY, testY []int, classes int) float64 {
	count := make([]int, max(classes, 1))
	for _, y := range trainY {
		if y >= 0 {
			count[y]++
		}
	}
	best := 0
	for c := range count {
		if count[c] > count[best] {
			best = c
		}
	}
	right, n := 0, 0
	for _, y := range testY {
		if y >= 0 {
			n++
			if y == best {
				right++
			}
		}
	}
	return float64(right) / float64(max(n, 1))
}
