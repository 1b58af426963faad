package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/llink-go/llink/internal/progress"
	"github.com/llink-go/llink/train"
)

func init() {
	register(command{name: "embed-cache", synopsis: "[-shard I/N | -merge N] [model and data flags of run]",
		short: "compute the frozen models' vector caches that `llink run` reads (one shard per machine, then merge)",
		run:   runEmbedCache})
}

const embedCacheHelp = `
The caches are keyed by the models and the exact data, so give the same model and data flags as the
run that will read them. On a cluster, run one shard per task and merge once all have finished:

  # Slurm:       #SBATCH --array=0-15
  llink embed-cache -corpus en-km.jsonl -tasks tasks.jsonl -cache /shared/vectors -shard $SLURM_ARRAY_TASK_ID/16
  # Kubernetes indexed Job (completions: 16): -shard $JOB_COMPLETION_INDEX/16
  llink embed-cache -corpus en-km.jsonl -tasks tasks.jsonl -cache /shared/vectors -merge 16
  llink run -corpus en-km.jsonl -tasks tasks.jsonl -cache /shared/vectors
`

// parseShard parses "I/N" (0 ≤ I < N).
func parseShard(s string) (i, n int, err error) {
	a, b, ok := strings.Cut(s, "/")
	if ok {
		i, err = strconv.Atoi(a)
		if err == nil {
			n, err = strconv.Atoi(b)
		}
	}
	if !ok || err != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, usageErrorf("embed-cache: -shard %q: want I/N with 0 ≤ I < N, e.g. 3/16", s)
	}
	return i, n, nil
}

func runEmbedCache(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("embed-cache", stderr)
	cf := addCommonFlags(fs)
	var o runOptions
	o.registerData(fs)
	shard := fs.String("shard", "", "compute only shard `I/N` (0-based) of every cache")
	merge := fs.Int("merge", 0, "join the `N` shards written by -shard I/N runs into the caches")
	usage := fs.Usage
	fs.Usage = func() { usage(); fmt.Fprint(fs.Output(), embedCacheHelp) }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := o.check("embed-cache", fs); err != nil {
		return err
	}
	switch {
	case *shard != "" && *merge != 0:
		return usageErrorf("embed-cache: -shard and -merge are separate steps; give one")
	case *merge < 0 || *merge > maxCount:
		return usageErrorf("embed-cache: -merge %d: want the number of shards (1..%d)", *merge, maxCount)
	}
	si, sn := 0, 1
	if *shard != "" {
		var err error
		if si, sn, err = parseShard(*shard); err != nil {
			return err
		}
	}
	stop, err := cf.start()
	if err != nil {
		return err
	}
	defer stop()
	m, err := loadModels(o.decoder, o.encoder, o.k)
	if err != nil {
		return err
	}
	d, err := loadData(o)
	if err != nil {
		return err
	}
	log := logWriter(cf, stdout)
	halt, unlisten := haltOnSignal(stderr)
	defer unlisten()
	written := map[string]string{}
	for _, set := range train.CacheSets(m, d, o.cache, llinkConfig(m, o)) {
		t0 := time.Now()
		var path string
		switch {
		case *merge > 0:
			path, err = train.MergeShards(set.Spec, *merge)
		default:
			set.Spec.Progress = progress.Counter(stderr, "vectors "+set.Name, cf.progressOptions())
			set.Spec.Stop = halt
			path, err = train.BuildShard(set.Spec, si, sn)
		}
		if errors.Is(err, train.ErrInterrupted) {
			return fmt.Errorf("embed-cache %s: %w\nthe same command continues where this one stopped (the finished caches are kept)", set.Name, err)
		}
		if err != nil {
			return fmt.Errorf("embed-cache %s: %w", set.Name, err)
		}
		written[set.Name] = path
		fmt.Fprintf(log, "%-11s %6d pairs  %s (%.1fs)\n", set.Name, len(set.Spec.Foreign), path, time.Since(t0).Seconds())
	}
	if cf.JSON {
		return writeJSON(stdout, written)
	}
	return nil
}
