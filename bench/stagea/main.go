// Command stagea measures Stage A retrieval on a real parallel corpus (the
// project's real-world test bed: the Khmer–English pairs `llink corpus
// harvest-debian` builds from Debian's LibreOffice help and gettext
// catalogs). It holds out a seeded 1,024-pair retrieval pool and a 200-pair
// dev set, caches the frozen models' vectors, trains the projector on the
// rest and prints pool retrieval both ways with chance beside it.
//
//	go run ./bench/stagea -corpus en-km-debian.jsonl [-steps 3000]
//
// The models are the embedded tiny default (models/tiny); the corpus is never
// committed (it is built from the Debian archive on the user's machine).
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/llink-go/llink/data"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/models/tiny"
	"github.com/llink-go/llink/train"
	"github.com/llink-go/llink/train/eval"
)

func main() {
	corpus := flag.String("corpus", "", "parallel corpus: TSV english<TAB>khmer or JSONL {english, foreign}")
	steps := flag.Int("steps", 3000, "Stage A steps")
	seed := flag.Uint64("seed", 1, "seed (split, initialisation, sampling)")
	cache := flag.String("cache", ".cache/vectors", "vector cache folder")
	maxTrain := flag.Int("train", 0, "Stage A training pairs (0: all that remain after pool and dev)")
	flag.Parse()
	if err := run(*corpus, *steps, *seed, *cache, *maxTrain); err != nil {
		fmt.Fprintln(os.Stderr, "stagea:", err)
		os.Exit(1)
	}
}

func run(corpus string, steps int, seed uint64, cacheDir string, maxTrain int) error {
	if corpus == "" {
		return fmt.Errorf("give -corpus FILE")
	}
	pairs, st, err := data.ReadFile(corpus, data.ReadOptions{})
	if err != nil {
		return err
	}
	const poolN, devN = 1024, 200
	if len(pairs) < poolN+devN+128 {
		return fmt.Errorf("%s: %d pairs; need at least %d", corpus, len(pairs), poolN+devN+128)
	}
	r := rand.New(rand.NewPCG(seed, 7))
	r.Shuffle(len(pairs), func(i, j int) { pairs[i], pairs[j] = pairs[j], pairs[i] })
	pool, dev, trainP := pairs[:poolN], pairs[poolN:poolN+devN], pairs[poolN+devN:]
	if maxTrain > 0 && maxTrain < len(trainP) {
		trainP = trainP[:maxTrain]
	}
	fmt.Printf("corpus %s: %d pairs read (%+v); pool %d, dev %d, train %d\n", corpus, len(pairs), st, len(pool), len(dev), len(trainP))

	dec, dt, err := tiny.Decoder()
	if err != nil {
		return err
	}
	enc, et, err := tiny.Encoder()
	if err != nil {
		return err
	}
	pad, ok := et.TokenID("<pad>")
	if !ok {
		return fmt.Errorf("tiny encoder tokenizer lacks <pad>")
	}
	d, err := llink.NewDecoder(dec, dt, nil, "", "", 0)
	if err != nil {
		return err
	}
	teacher := &llink.Teacher{Dec: d, ID: "tiny-decoder"}
	student := &llink.Reader{Encoder: enc, Tok: et, Pad: pad, ID: "tiny-encoder"}
	vectors := func(name string, ps []data.Pair) (train.Pairs, error) {
		spec := &train.CacheSpec{Dir: cacheDir, Student: student, Teacher: teacher, Batch: 32}
		for _, p := range ps {
			spec.Foreign = append(spec.Foreign, p.Foreign)
			spec.English = append(spec.English, p.English)
		}
		t0 := time.Now()
		v, err := train.LoadOrBuildCache(spec)
		fmt.Printf("vectors %-5s %6d pairs (%s)\n", name, len(ps), time.Since(t0).Round(time.Second))
		return v, err
	}
	trainV, err := vectors("train", trainP)
	if err != nil {
		return err
	}
	devV, err := vectors("dev", dev)
	if err != nil {
		return err
	}
	poolV, err := vectors("pool", pool)
	if err != nil {
		return err
	}
	c := train.DefaultStageA()
	c.Steps, c.Warmup, c.Seed = steps, max(steps/10, 1), seed
	c.EvalEvery = max(steps/10, 1)
	proj := llink.NewProjector(llink.DefaultConfig(enc.Config.Hidden, dec.Config.Hidden), rand.New(rand.NewPCG(seed, 0x11)))
	t0 := time.Now()
	res, err := train.TrainStageA(proj, trainV, devV, c, nil)
	if err != nil {
		return err
	}
	fmt.Printf("stage A: %d steps, batch %d (%s); best dev R@1 %.3f (step %d)\n", steps, c.Batch, time.Since(t0).Round(time.Second), res.Best.R1, res.BestStep)
	q, n, dim := proj.Project(poolV.Z), poolV.Len(), poolV.H.Dim(1)
	sim, err := eval.CosineMatrix(q.Data(), poolV.H.Data(), n, dim)
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
		fmt.Printf("pool %s  R@1 %.3f  R@5 %.3f  R@10 %.3f  MRR %.3f  mean rank %.1f  (chance R@1 %.4f)\n",
			dir.name, m.R1, m.R5, m.R10, m.MRR, m.MeanRank, 1.0/float64(n))
	}
	return nil
}
