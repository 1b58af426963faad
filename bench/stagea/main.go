// Command stagea measures Stage A retrieval on a real parallel corpus (the
// project's real-text track: the Khmer–English pairs `llink corpus
// harvest-debian` builds from Debian's LibreOffice help and gettext
// catalogs). By default the split is cross-domain, by source package
// (data.SplitByPackage, the split `llink run -split package` uses): Stage A
// trains on some packages, selects its checkpoint on 200 pairs of other
// packages (dev), and retrieval is measured on a 1,024-pair pool of held-out
// packages — the dev packages' other pairs with -eval dev (for choosing
// settings), the test packages' with -eval test. It caches the frozen
// models' vectors, trains the projector and prints pool retrieval both ways
// with chance beside it.
//
//	go run ./bench/stagea -corpus en-km-debian.jsonl [-eval dev] [-steps 3000] [-lr 1e-3] [-pool layers]
//
// Diagnostics: -coverage (the encoder tokenizer on each split's Khmer),
// -direct (retrieval between the encoder's own Khmer and English vectors,
// no projector) and -english-student (Stage A with the student reading the
// English side: the ceiling the decoder's space allows). -teacher-pool and
// -teacher-layer choose the teacher vector's definition (llink.Teacher);
// the mean pairwise cosine of the pool's teacher vectors is printed.
// -batch, -hard-m and -proj-hidden change Stage A's contrastive batch, its
// hard negatives per step and the projector's width; -stagea-seed changes
// Stage A's seed alone, on the split -seed makes. -save-projector keeps
// a run's projector; -projector FILE measures another pool through it
// without training (a dev run's projector read on -eval test: the test read
// costs the test pool's vectors only).
//
// Levers not in train.TrainStageA, for measuring before anything adopts
// them: -attn-heads H (attention pooling of the encoder's token states,
// llink.AttnPool, in place of their mean; the token states are cached
// beside the vectors), -learn-tau (a learnt temperature,
// llink.StageALossLearntTau, in place of the annealed one) and
// -mix-english P (each training row's student reads the pair's English
// side with probability P, its Khmer otherwise; -mix-shift moves those
// English vectors by the languages' mean difference).
//
// The models are the embedded tiny defaults (models/tiny) unless -encoder
// or -decoder name Hugging Face folders (e.g. continued-pretrained ones:
// the decoder is Stage A's teacher); the corpus is never committed (it is
// built from the Debian archive on the user's machine).
package main

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/data"
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/models/safetensors"
	"github.com/llink-go/llink/models/tiny"
	"github.com/llink-go/llink/models/tokenizer"
	"github.com/llink-go/llink/models/xlmr"
	"github.com/llink-go/llink/tensor"
	"github.com/llink-go/llink/train"
	"github.com/llink-go/llink/train/eval"
)

// options are the command's flags.
type options struct {
	corpus, split, eval, pool, encoder, decoder, cache string
	teacherPool, saveProjector, projector              string
	steps, maxTrain, batch, teacherLayer               int
	projHidden, hardM                                  int
	lr                                                 float64
	seed, stageASeed                                   uint64
	coverage, direct, englishStudent                   bool
	levers                                             levers
}

func main() {
	var o options
	flag.StringVar(&o.corpus, "corpus", "", "parallel corpus: JSONL {english, foreign, source} (harvest-debian) or TSV english<TAB>khmer with -split random")
	flag.StringVar(&o.split, "split", "package", "package: whole source packages held out (cross-domain); random: a seeded shuffle")
	flag.StringVar(&o.eval, "eval", "dev", "the pool's split: dev (for choosing settings) or test (read once)")
	flag.StringVar(&o.pool, "pool", llink.PoolLayers, "encoder pooling: layers (mean of every layer's average) or last (the paper's)")
	flag.StringVar(&o.encoder, "encoder", "", "Hugging Face encoder `folder` (default: the embedded tiny encoder)")
	flag.StringVar(&o.decoder, "decoder", "", "Hugging Face Llama decoder `folder`, Stage A's teacher (default: the embedded tiny decoder); its tokenizer must hold LLINK's tokens")
	flag.StringVar(&o.teacherPool, "teacher-pool", llink.TeacherLast, "Stage A's teacher vector: last (the decoder's state at <foreign_emb> after the English, the paper's) or mean (the mean of the English tokens' states)")
	flag.IntVar(&o.teacherLayer, "teacher-layer", 0, "the decoder states the teacher vector is read from: 0 the final-normed output (the paper's), L the residual stream after block L")
	flag.StringVar(&o.cache, "cache", ".cache/vectors", "vector cache folder")
	flag.IntVar(&o.steps, "steps", 3000, "Stage A steps")
	flag.IntVar(&o.maxTrain, "train", 0, "Stage A training pairs (0: all training pairs)")
	flag.IntVar(&o.batch, "batch", 0, "Stage A batch (0: the default, 128)")
	flag.Float64Var(&o.lr, "lr", 0, "Stage A peak learning rate (0: the default, 1e-3)")
	flag.IntVar(&o.projHidden, "proj-hidden", 0, "the projector's hidden width (0: the paper's ratio, 4× the encoder width)")
	flag.IntVar(&o.hardM, "hard-m", -1, "hard negatives per step from the teacher queue (-1: the default, 256; 0: in-batch negatives only)")
	flag.Uint64Var(&o.seed, "seed", 1, "seed (split, initialisation, sampling)")
	flag.Uint64Var(&o.stageASeed, "stagea-seed", 0, "Stage A's own seed (projector initialisation, batch order, dropout, English-row draws), for reading Stage A's spread on one split (0: -seed)")
	flag.StringVar(&o.saveProjector, "save-projector", "", "write the trained projector (its best snapshot on the selection pairs) to this `file`")
	flag.StringVar(&o.projector, "projector", "", "read the projector from this `file` (written by -save-projector with the same models, pooling and teacher) instead of training one, and only measure the pool: the selection pairs are the first dev pairs with -eval dev and test alike, so a projector trained in a dev run is the one the same flags would train for -eval test")
	flag.IntVar(&o.levers.attnHeads, "attn-heads", 0, "attention pooling of the encoder's token states with this many heads in place of their mean (0: the mean, the default)")
	flag.BoolVar(&o.levers.learnTau, "learn-tau", false, "a learnt temperature (CLIP's logit scale, starting at 1/0.17) in place of the annealed 0.17 → 0.08")
	flag.Float64Var(&o.levers.mixEnglish, "mix-english", 0, "each training row's student vector is the encoder's vector of the pair's English side with this probability, of its Khmer side otherwise (drawn every step; selection and pool stay Khmer)")
	flag.BoolVar(&o.levers.mixShift, "mix-shift", false, "with -mix-english: move the English vectors by the training pairs' mean Khmer vector minus their mean English vector")
	flag.BoolVar(&o.coverage, "coverage", false, "only print the encoder tokenizer's coverage of each split's Khmer (and of generated Khmer)")
	flag.BoolVar(&o.direct, "direct", false, "only print retrieval in the encoder's own space: each pool pair's pooled Khmer vector against its pooled English vector, no Stage A (the encoder's own cross-lingual alignment)")
	flag.BoolVar(&o.englishStudent, "english-student", false, "the student reads every pair's English in place of its Khmer: Stage A's ceiling in this decoder's space (a perfect translation into the encoder), for telling the encoder's limit from the teacher's")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "stagea:", err)
		os.Exit(1)
	}
}

// trainSeed is Stage A's seed: -stagea-seed, or -seed when it is 0. The
// split, the selection pairs and the pool always follow -seed.
func (o options) trainSeed() uint64 {
	if o.stageASeed != 0 {
		return o.stageASeed
	}
	return o.seed
}

// split returns Stage A's training and selection pairs and the retrieval
// pool, and says how they were made.
func split(o options, pairs []data.Pair) (trainP, sel, pool []data.Pair, err error) {
	const poolN, selN = 1024, 200
	if o.split == "random" {
		if o.eval != "test" {
			return nil, nil, nil, fmt.Errorf("-split random has no dev pool: give -eval test")
		}
		if len(pairs) < poolN+selN+128 {
			return nil, nil, nil, fmt.Errorf("%d pairs; need at least %d", len(pairs), poolN+selN+128)
		}
		r := rand.New(rand.NewPCG(o.seed, 7))
		r.Shuffle(len(pairs), func(i, j int) { pairs[i], pairs[j] = pairs[j], pairs[i] })
		fmt.Printf("random split (seed %d): pool %d, selection %d, train %d\n", o.seed, poolN, selN, len(pairs)-poolN-selN)
		return pairs[poolN+selN:], pairs[poolN : poolN+selN], pairs[:poolN], nil
	}
	s, err := data.SplitByPackage(pairs, data.DefaultPackageSplit(o.seed))
	if err != nil {
		return nil, nil, nil, err
	}
	sel, pool, _, err = s.HeldOut(o.eval == "dev", selN, poolN, o.seed)
	if err != nil {
		return nil, nil, nil, err
	}
	s.ShuffleTrain(o.seed)
	fmt.Printf("package split (seed %d): train %d pairs (%d packages: %s)\n  dev %d pairs (%s)\n  test %d pairs (%s)\n  %d held-out pairs left out (Khmer text seen in training); selection %d dev pairs, pool %d %s pairs\n",
		o.seed, len(s.Train), len(s.TrainPackages), strings.Join(s.TrainPackages, ", "), len(s.Dev), strings.Join(s.DevPackages, ", "),
		len(s.Test), strings.Join(s.TestPackages, ", "), s.DroppedSeen, len(sel), len(pool), o.eval)
	return s.Train, sel, pool, nil
}

// encoder returns the student reader: the embedded tiny encoder or the
// folder's.
func encoder(o options) (*llink.Reader, tokenizer.Tokenizer, error) {
	var enc *xlmr.Model
	var et tokenizer.Tokenizer
	var err error
	id := tiny.ID("encoder")
	if o.encoder == "" {
		enc, et, err = tiny.Encoder()
	} else {
		if id, err = folderID("encoder", o.encoder); err != nil {
			return nil, nil, err
		}
		if enc, err = xlmr.Load(o.encoder); err == nil {
			et, err = tokenizer.Load(o.encoder)
		}
	}
	if err != nil {
		return nil, nil, err
	}
	pad, ok := et.TokenID("<pad>")
	if !ok {
		return nil, nil, fmt.Errorf("encoder tokenizer lacks <pad>")
	}
	return &llink.Reader{Encoder: enc, Tok: et, Pad: pad, ID: id, Pool: o.pool}, et, nil
}

// teacher returns Stage A's teacher: the embedded tiny decoder or the
// folder's.
func teacher(o options) (*llink.Teacher, error) {
	var dec *llama.Model
	var dt tokenizer.Tokenizer
	var err error
	id := tiny.ID("decoder")
	if o.decoder == "" {
		dec, dt, err = tiny.Decoder()
	} else {
		if id, err = folderID("decoder", o.decoder); err != nil {
			return nil, err
		}
		if dec, err = llama.Load(o.decoder, llama.LoadOptions{}); err == nil {
			dt, err = tokenizer.Load(o.decoder)
		}
	}
	if err != nil {
		return nil, err
	}
	d, err := llink.NewDecoder(dec, dt, nil, "", "", 0)
	if err != nil {
		return nil, err
	}
	t := &llink.Teacher{Dec: d, ID: id, Pool: o.teacherPool, Layer: o.teacherLayer}
	return t, llink.CheckTeacher(t.Pool, t.Layer, dec.Config.Layers)
}

// folderID keys the vector caches of a model folder by its content
// (SHA-256 of config.json, tokenizer.json and every tensor of
// model.safetensors: name, type, shape and bytes), so that a model trained
// again into the same folder never reads the earlier one's cached vectors,
// while the measurements written into its metadata keep them.
func folderID(kind, dir string) (string, error) {
	h := sha256.New()
	for _, f := range []string{"config.json", "tokenizer.json"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", f, len(b))
		h.Write(b)
	}
	f, err := safetensors.Open(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		return "", err
	}
	defer f.Close()
	for _, name := range f.Names() {
		info, _ := f.Info(name)
		b, err := f.Bytes(name)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %v %v %d\n", name, info.DType, info.Shape, len(b))
		h.Write(b)
	}
	return fmt.Sprintf("%s:sha256-%x", kind, h.Sum(nil)[:8]), nil
}

// byLength is a student that encodes the texts of one call in batches of
// batch texts of similar length (sorted by bytes, a proxy for tokens), so
// that a few long sentences do not pad the rest: the same vectors (and
// cache key) as its Reader's, for less work on corpora of mixed lengths.
type byLength struct {
	*llink.Reader
	batch int
}

// Embed returns the pooled vectors of texts [N, d], in their order.
func (b byLength) Embed(texts []string) (*tensor.Tensor, error) {
	order := make([]int, len(texts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int { return len(texts[x]) - len(texts[y]) })
	out := tensor.New(len(texts), b.Dim())
	for lo := 0; lo < len(order); lo += b.batch {
		idx := order[lo:min(lo+b.batch, len(order))]
		sub := make([]string, len(idx))
		for j, i := range idx {
			sub[j] = texts[i]
		}
		v, err := b.Reader.Embed(sub)
		if err != nil {
			return nil, err
		}
		for j, i := range idx {
			copy(out.Row(i), v.Row(j))
		}
	}
	return out, nil
}

func run(o options) error {
	if o.corpus == "" {
		return fmt.Errorf("give -corpus FILE")
	}
	if o.eval != "dev" && o.eval != "test" {
		return fmt.Errorf("-eval %q: want dev or test", o.eval)
	}
	if o.pool != llink.PoolLayers && o.pool != llink.PoolLast {
		return fmt.Errorf("-pool %q: want %s or %s", o.pool, llink.PoolLayers, llink.PoolLast)
	}
	if err := o.levers.check(); err != nil {
		return err
	}
	if o.levers.mixEnglish > 0 && o.englishStudent {
		return fmt.Errorf("-mix-english mixes English rows into a Khmer student: not with -english-student")
	}
	pairs, st, err := data.ReadFile(o.corpus, data.ReadOptions{})
	if err != nil {
		return err
	}
	fmt.Printf("corpus %s: %d pairs (%d lines)\n", o.corpus, len(pairs), st.Lines)
	trainP, sel, pool, err := split(o, pairs)
	if err != nil {
		return err
	}
	student, et, err := encoder(o)
	if err != nil {
		return err
	}
	if o.coverage {
		gen := data.Generate(2000, o.seed)
		for _, set := range []struct {
			name string
			ps   []data.Pair
		}{{"generated", gen}, {"train", trainP}, {"selection", sel}, {"pool", pool}} {
			coverage(et, set.name, set.ps)
		}
		return nil
	}
	if o.direct {
		return direct(student, o.eval, pool)
	}
	if o.englishStudent {
		for _, ps := range [][]data.Pair{trainP, sel, pool} {
			for i := range ps {
				ps[i].Foreign = ps[i].English
			}
		}
		fmt.Println("the student reads the English side (-english-student)")
	}
	if o.maxTrain > 0 && o.maxTrain < len(trainP) {
		trainP = trainP[:o.maxTrain]
	}
	tch, err := teacher(o)
	if err != nil {
		return err
	}
	vectors := func(name string, ps []data.Pair) (train.Pairs, error) {
		// The cache hands over 1,024 pairs at a time, each side run in
		// batches of similar length (the teacher sorts its own).
		spec := &train.CacheSpec{Dir: o.cache, Student: byLength{student, 32}, Teacher: tch, Batch: 1024}
		for _, p := range ps {
			spec.Foreign = append(spec.Foreign, p.Foreign)
			spec.English = append(spec.English, p.English)
		}
		t0 := time.Now()
		v, err := train.LoadOrBuildCache(spec)
		fmt.Printf("vectors %-9s %6d pairs (%s)\n", name, len(ps), time.Since(t0).Round(time.Second))
		return v, err
	}
	pc := llink.DefaultConfig(student.Dim(), tch.Dim())
	pc.EncoderPool, pc.TeacherLayer = o.pool, o.teacherLayer
	if o.teacherPool != llink.TeacherLast {
		pc.TeacherPool = o.teacherPool
	}
	if o.projHidden > 0 {
		pc.ProjHidden = o.projHidden
	}
	pc.AttnHeads = o.levers.attnHeads
	if err := pc.Validate(); err != nil {
		return err
	}
	if o.levers.any() && (o.projector != "" || o.saveProjector != "") {
		return fmt.Errorf("-projector and -save-projector keep the projector only: not with -attn-heads, -learn-tau or -mix-english")
	}
	if o.projector != "" {
		return measureSaved(o, pc, student, tch, pool, vectors)
	}
	trainV, err := vectors("train", trainP)
	if err != nil {
		return err
	}
	selV, err := vectors("selection", sel)
	if err != nil {
		return err
	}
	poolV, err := vectors("pool", pool)
	if err != nil {
		return err
	}
	fmt.Printf("teacher vectors (%s, layer %d): mean pairwise cosine %.3f over the pool\n",
		o.teacherPool, o.teacherLayer, meanCosine(poolV.H.Data(), poolV.Len(), poolV.H.Dim(1)))
	if o.stageASeed != 0 {
		fmt.Printf("stage A seed %d (split seed %d)\n", o.stageASeed, o.seed)
	}
	c := train.DefaultStageA()
	c.Steps, c.Warmup, c.Seed = o.steps, max(o.steps/10, 1), o.trainSeed()
	c.EvalEvery = max(o.steps/10, 1)
	c.QueueSize = min(c.QueueSize, len(trainP))
	if o.batch > 0 {
		c.Batch = o.batch
	}
	if o.lr > 0 {
		c.LR = float32(o.lr)
		c.LRMin = min(c.LRMin, c.LR)
	}
	if o.hardM >= 0 {
		c.HardM = o.hardM
	}
	proj := llink.NewProjector(pc, rand.New(rand.NewPCG(o.trainSeed(), 0x11)))
	if o.levers.any() {
		return runLevers(o, proj, student, c, trainV, selV, poolV, trainP, sel, pool, vectors)
	}
	t0 := time.Now()
	res, err := train.TrainStageA(proj, trainV, selV, c, nil)
	if err != nil {
		return err
	}
	fmt.Printf("stage A: %d steps, batch %d, lr %.0e, pool %s, projector hidden %d, hard negatives %d (%s); best selection R@1 %.3f (step %d)\n",
		o.steps, c.Batch, c.LR, o.pool, pc.ProjHidden, c.HardM, time.Since(t0).Round(time.Second), res.Best.R1, res.BestStep)
	if o.saveProjector != "" {
		if err := llink.SaveProjector(o.saveProjector, proj, pc, tch.ID, student.ID); err != nil {
			return err
		}
	}
	q := proj.Project(poolV.Z)
	return retrieval(o.eval, q.Data(), poolV.H.Data(), poolV.Len(), poolV.H.Dim(1))
}

// runLevers trains Stage A with the levers o sets (train.TrainStageALevers) and prints
// the pool's retrieval. vectors gives (and caches) the vectors of pairs, for
// the English rows of -mix-english.
func runLevers(o options, proj *llink.Projector, student *llink.Reader, c train.StageAConfig,
	trainV, selV, poolV train.Pairs, trainP, sel, pool []data.Pair,
	vectors func(string, []data.Pair) (train.Pairs, error)) error {
	var trainTok, selTok, poolTok *train.TokenStore
	if proj.ReadsTokens() {
		var err error
		for _, set := range []struct {
			name string
			ps   []data.Pair
			dst  **train.TokenStore
		}{{"train", trainP, &trainTok}, {"selection", sel, &selTok}, {"pool", pool, &poolTok}} {
			t0 := time.Now()
			texts := make([]string, len(set.ps))
			for i, p := range set.ps {
				texts[i] = p.Foreign
			}
			if *set.dst, err = train.LoadOrBuildTokens(student, texts, o.cache); err != nil {
				return err
			}
			fmt.Printf("token states %-9s %6d texts, %d tokens (%s)\n", set.name, len(texts), (*set.dst).Tokens(), time.Since(t0).Round(time.Second))
		}
	}
	lv := leverSet(proj, trainTok, selV, selTok)
	if o.levers.mixEnglish > 0 {
		en := slices.Clone(trainP)
		for i := range en {
			en[i].Foreign = en[i].English
		}
		enV, err := vectors("train-en", en)
		if err != nil {
			return err
		}
		mix := &englishMix{km: trainV.Z, en: enV.Z, p: o.levers.mixEnglish, r: rand.New(rand.NewPCG(o.trainSeed(), 0xE6))}
		if o.levers.mixShift {
			mix.en = shiftMean(enV.Z, trainV.Z)
		}
		lv.Student = func(tp *autograd.Tape, idx []int) *autograd.Var { return autograd.Const(mix.rows(idx)) }
		lv.DevStudent = func() *tensor.Tensor { return selV.Z }
	}
	if o.levers.learnTau {
		lv.LogScale = llink.NewLogScale(c.TauStart)
	}
	t0 := time.Now()
	res, err := train.TrainStageALevers(proj, trainV, selV, c, lv, nil)
	if err != nil {
		return err
	}
	fmt.Printf("stage A with levers (attention heads %d, learnt temperature %v, English rows %g, shifted %v): %d steps, batch %d, lr %.0e, pool %s, hard negatives %d (%s); best selection R@1 %.3f (step %d)\n",
		o.levers.attnHeads, o.levers.learnTau, o.levers.mixEnglish, o.levers.mixShift, o.steps, c.Batch, c.LR, o.pool, c.HardM, time.Since(t0).Round(time.Second), res.Best.R1, res.BestStep)
	if lv.LogScale != nil {
		fmt.Printf("learnt temperature at the kept step: %.4f\n", llink.LearntTau(lv.LogScale))
	}
	q := proj.Project(studentVectors(poolV.Z, proj, poolTok))
	return retrieval(o.eval, q.Data(), poolV.H.Data(), poolV.Len(), poolV.H.Dim(1))
}

// measureSaved measures the pool's retrieval through the projector file
// o.projector, which must have been trained for these models, this
// encoder pooling and this teacher vector (want).
func measureSaved(o options, want llink.Config, student *llink.Reader, tch *llink.Teacher, pool []data.Pair,
	vectors func(string, []data.Pair) (train.Pairs, error)) error {
	proj, c, err := llink.LoadProjector(o.projector, llink.Identity{DecoderID: tch.ID, EncoderID: student.ID, DecDim: tch.Dim(), EncDim: student.Dim()})
	if err != nil {
		return err
	}
	if c.EncoderPool != want.EncoderPool || c.TeacherPool != want.TeacherPool || c.TeacherLayer != want.TeacherLayer {
		return fmt.Errorf("%s was trained with encoder pooling %q and teacher %q at layer %d, not %q and %q at layer %d",
			o.projector, c.EncoderPool, c.TeacherPool, c.TeacherLayer, want.EncoderPool, want.TeacherPool, want.TeacherLayer)
	}
	poolV, err := vectors("pool", pool)
	if err != nil {
		return err
	}
	fmt.Printf("projector %s (hidden %d), not trained again\n", o.projector, c.ProjHidden)
	q := proj.Project(poolV.Z)
	return retrieval(o.eval, q.Data(), poolV.H.Data(), poolV.Len(), poolV.H.Dim(1))
}

// meanCosine returns the mean cosine between distinct rows of x (n rows
// of dim values): (‖Σ x̂ᵢ‖² − n) / (n(n−1)), with x̂ᵢ = xᵢ/‖xᵢ‖. Near 1,
// the vectors lie in a narrow cone and retrieval among them is hard.
func meanCosine(x []float32, n, dim int) float64 {
	sum := make([]float64, dim)
	for i := range n {
		row := x[i*dim : (i+1)*dim]
		var ss float64
		for _, v := range row {
			ss += float64(v) * float64(v)
		}
		inv := 1 / math.Sqrt(max(ss, 1e-30))
		for k, v := range row {
			sum[k] += float64(v) * inv
		}
	}
	var s2 float64
	for _, v := range sum {
		s2 += v * v
	}
	return (s2 - float64(n)) / float64(n*(n-1))
}

// direct prints retrieval between the encoder's own pooled vectors of the
// pool's Khmer and English sides, without a projector.
func direct(r *llink.Reader, split string, pool []data.Pair) error {
	side := func(english bool) ([]float32, error) {
		var out []float32
		for lo := 0; lo < len(pool); lo += 32 {
			var texts []string
			for _, p := range pool[lo:min(lo+32, len(pool))] {
				if english {
					texts = append(texts, p.English)
				} else {
					texts = append(texts, p.Foreign)
				}
			}
			v, err := r.Embed(texts)
			if err != nil {
				return nil, err
			}
			out = append(out, v.Data()...)
		}
		return out, nil
	}
	km, err := side(false)
	if err != nil {
		return err
	}
	en, err := side(true)
	if err != nil {
		return err
	}
	fmt.Printf("encoder space, no Stage A:\n")
	return retrieval(split, km, en, len(pool), r.Dim())
}

// retrieval prints pool retrieval both ways between queries q (the Khmer
// side) and keys h (the English side), n vectors of dim each.
func retrieval(split string, q, h []float32, n, dim int) error {
	sim, err := eval.CosineMatrix(q, h, n, dim)
	if err != nil {
		return err
	}
	for _, dir := range []struct {
		name string
		sim  []float32
	}{{"km→en", sim}, {"en→km", eval.Transpose(sim, n)}} {
		ranks, err := eval.RanksFromSimilarity(dir.sim, n)
		if err != nil {
			return err
		}
		m := eval.FromRanks(ranks)
		fmt.Printf("%s pool %s  R@1 %.3f  R@5 %.3f  R@10 %.3f  MRR %.3f  mean rank %.1f  (chance R@1 %.4f)\n",
			split, dir.name, m.R1, m.R5, m.R10, m.MRR, m.MeanRank, 1.0/float64(n))
	}
	return nil
}

// coverage prints how the encoder's tokenizer covers the Khmer side of
// pairs: tokens per Khmer-script character, the share of tokens that are
// the unknown token (the tokenizer has no byte fallback), the share of
// Khmer-script characters the vocabulary cannot spell alone, and the share
// of sentences with an unknown token.
func coverage(tok tokenizer.Tokenizer, name string, pairs []data.Pair) {
	unk, ok := tok.TokenID("<unk>")
	if !ok {
		fmt.Printf("coverage %s: the tokenizer has no <unk>\n", name)
		return
	}
	var tokens, unks, khmer, oovChars, withUnk int
	oov := map[rune]bool{}
	for _, p := range pairs {
		ids := tok.Encode(p.Foreign, false)
		tokens += len(ids)
		n := 0
		for _, id := range ids {
			if id == unk {
				n++
			}
		}
		unks += n
		if n > 0 {
			withUnk++
		}
		for _, r := range p.Foreign {
			if !unicode.Is(unicode.Khmer, r) {
				continue
			}
			khmer++
			bad, seen := oov[r]
			if !seen {
				bad = slices.Contains(tok.Encode(string(r), false), unk)
				oov[r] = bad
			}
			if bad {
				oovChars++
			}
		}
	}
	var missing []string
	for r, bad := range oov {
		if bad {
			missing = append(missing, fmt.Sprintf("%c U+%04X", r, r))
		}
	}
	slices.Sort(missing)
	fmt.Printf("coverage %-9s %6d sentences: %.2f tokens per Khmer character, %.2f%% of tokens <unk>, %.2f%% of Khmer characters unspellable (%d kinds: %s), %.1f%% of sentences with an <unk>\n",
		name, len(pairs), float64(tokens)/float64(max(khmer, 1)), 100*float64(unks)/float64(max(tokens, 1)),
		100*float64(oovChars)/float64(max(khmer, 1)), len(missing), strings.Join(missing, ", "), 100*float64(withUnk)/float64(max(len(pairs), 1)))
}
