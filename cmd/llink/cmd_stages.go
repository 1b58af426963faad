package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/llink-go/llink/internal/rundir"
	"github.com/llink-go/llink/train"
)

// The per-stage commands run `llink run`'s steps one per process, passing
// files through a shared run folder (-out): stage-a writes projector.
// safetensors, stage-b reads it and writes the LLINK bundle, baseline
// writes the fine-tuned controls' LoRA, eval reads them and writes the
// results and plots. Each takes run's model, data and step flags, which
// must be the same for every stage of a folder (the vector caches and the
// saved parts are checked against the models). A stage is one file
// (cmd_stage_*.go) holding its body; stageCommand does the rest.
const projectorName = "projector.safetensors"

// stage is what a stage's body works with.
type stage struct {
	name   string
	o      runOptions
	cf     *commonFlags
	dir    *rundir.Dir
	m      *train.Models
	c      train.PipelineConfig
	s      *train.Stages
	log    io.Writer
	stdout io.Writer
	stderr io.Writer
}

// stageCommand makes a per-stage command: the flags of run, the run
// folder (created by the first stage, -out; opened by the others), the
// models, data and vector caches; then body, which returns the file it
// wrote.
func stageCommand(name string, first bool, body func(st *stage) (wrote string, err error)) func([]string, io.Reader, io.Writer, io.Writer) error {
	return func(args []string, _ io.Reader, stdout, stderr io.Writer) (err error) {
		fs := newFlagSet(name, stderr)
		st := &stage{name: name, cf: addCommonFlags(fs), stdout: stdout, stderr: stderr}
		o := &st.o
		o.registerData(fs)
		o.registerMethod(fs)
		o.registerTraining(fs, 150)
		fs.StringVar(&o.out, "out", "", "the run `folder` the stages share (created by the first)")
		if err := fs.Parse(args); err != nil {
			return err
		}
		if o.out == "" {
			return usageErrorf("%s: -out FOLDER is required (the folder the stages share)", name)
		}
		if err := o.check(name, fs); err != nil {
			return err
		}
		stop, err := st.cf.start()
		if err != nil {
			return err
		}
		defer stop()
		start := time.Now()
		if st.dir, err = openStageDir(o, first); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		defer func() { closeRun(st.dir, err) }()
		if st.m, err = loadModels(o.decoder, o.encoder, o.k); err != nil {
			return err
		}
		d, err := loadData(*o)
		if err != nil {
			return err
		}
		st.c = pipelineConfig(*o, st.m, st.dir)
		addHooks(&st.c, st.dir, st.cf, stderr, false)
		if name != "eval" { // the training stages stop at a checkpoint
			defer stopOnSignal(&st.c, stderr)()
		}
		st.log = logWriter(st.cf, stdout)
		var wrote string
		if st.s, err = train.NewStages(st.m, d, st.c, st.log); err == nil { // builds the vector caches
			wrote, err = body(st)
		}
		if errors.Is(err, train.ErrInterrupted) {
			return fmt.Errorf("%w\nresume with: llink %s -resume -out %s (and the same flags)", err, name, o.out)
		}
		if err != nil {
			return err
		}
		if st.cf.JSON {
			return writeJSON(stdout, map[string]any{"stage": name, "wrote": wrote, "timing_seconds": st.s.Results().Timing})
		}
		fmt.Fprintf(stdout, "%s: wrote %s (%.0fs)\n", name, wrote, time.Since(start).Seconds())
		return nil
	}
}

// openStageDir opens the stages' shared folder; the first stage creates it
// (or reuses one that exists) unless it resumes.
func openStageDir(o *runOptions, first bool) (*rundir.Dir, error) {
	if !first || o.resume {
		d, err := rundir.Reopen(o.out)
		if err != nil && !first {
			return nil, fmt.Errorf("%w (run stage-a -out %s first)", err, o.out)
		}
		return d, err
	}
	if _, err := os.Stat(o.out); err == nil {
		trained := []string{projectorName, bundleName, rundir.ResultsJSON}
		for _, row := range train.ControlRows {
			trained = append(trained, train.ControlFile(row))
		}
		for _, f := range trained {
			if folderExists(filepath.Join(o.out, f)) && !o.force {
				return nil, usageErrorf("%s already holds a run (%s): -resume continues it, -force trains anew and removes its trained files", o.out, f)
			}
		}
		if o.force { // no file of the old run may outlive it, stale
			for _, f := range trained {
				os.Remove(filepath.Join(o.out, f))
			}
		}
		return rundir.Open(o.out)
	}
	root, name := filepath.Split(filepath.Clean(o.out))
	return rundir.Create(root, name)
}
