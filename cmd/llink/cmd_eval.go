package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/llink"
)

func init() {
	register(command{name: "eval", synopsis: "-out FOLDER [flags]",
		short: "evaluate FOLDER's bundle (and baseline, if trained) against base and Stage A only; writes results and plots",
		run:   stageCommand("eval", false, evaluate)})
}

// evaluate reads the folder's bundle (and direct fine-tuning LoRA, when
// there is one), fills the results table and writes it with its plots.
func evaluate(st *stage) (string, error) {
	path := st.dir.File(bundleName)
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("eval: %w (run stage-b -out %s first)", err, st.o.out)
	}
	dec := st.m.Dec.Model
	b, err := llink.LoadBundle(path, dec, st.m.Enc.Dim(), st.m.DecoderID, st.m.EncoderID)
	if err != nil {
		return "", fmt.Errorf("eval: %w", err)
	}
	if b.Config.K != st.o.k {
		return "", fmt.Errorf("eval: %s has K=%d slots; -k is %d", path, b.Config.K, st.o.k)
	}
	var ft llama.Adapters
	if _, err := os.Stat(st.dir.File(baselineName)); err == nil {
		if ft, err = llink.LoadLoRA(st.dir.File(baselineName), dec, st.m.DecoderID); err != nil {
			return "", err
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	res, err := st.s.Evaluate(b, ft)
	if err != nil {
		return "", err
	}
	if err := st.dir.WriteResults(res); err != nil {
		return "", err
	}
	writePlots(st.dir, res, st.stderr)
	if !st.cf.JSON {
		fmt.Fprintln(st.stdout)
		res.WriteMarkdown(st.stdout)
	}
	return st.dir.File("results.md"), nil
}
