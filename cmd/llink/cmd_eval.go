package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/train"
)

func init() {
	register(command{name: "eval", synopsis: "-out FOLDER [flags]",
		short: "evaluate FOLDER's bundle (and the controls baseline trained, if any) against base + copy and Stage A only; writes results and plots",
		run:   stageCommand("eval", false, evaluate)})
}

// evaluate reads the folder's bundle (and the controls' LoRA, when trained),
// fills the results table and writes it with its plots.
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
	if b.Config.AttnHeads != st.o.attnHeads {
		return "", fmt.Errorf("eval: %s was trained with %s; -attn-heads %d gives %s", path, poolingName(b.Config.AttnHeads), st.o.attnHeads, poolingName(st.o.attnHeads))
	}
	if b.Config.TokensPerSegment != st.o.tokensPerSegment || b.Config.DynamicK() && b.Config.MinK != st.o.minK {
		return "", fmt.Errorf("eval: %s has dynamic K of %d tokens per segment, floor %d; -tokens-per-segment is %d, -min-k %d", path, b.Config.TokensPerSegment, b.Config.MinK, st.o.tokensPerSegment, st.o.minK)
	}
	var controls []train.Control
	for _, row := range train.DefaultControls {
		path := st.dir.File(train.ControlFile(row))
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			continue
		} else if err != nil {
			return "", err
		}
		set, err := llink.LoadLoRA(path, dec, st.m.DecoderID)
		if err != nil {
			return "", err
		}
		controls = append(controls, train.Control{Row: row, LoRA: set})
	}
	res, err := st.s.Evaluate(b, controls)
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
