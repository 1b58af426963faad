package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/llink-go/llink/internal/rundir"
	"github.com/llink-go/llink/train"
)

func init() {
	register(command{name: "plot", synopsis: "RUN_FOLDER",
		short: "redraw a run folder's plots (loss curves, rank histogram, similarity heat maps) from its saved metrics and results",
		run:   runPlot})
}

func runPlot(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("plot", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("plot: give one run folder (runs/NAME, written by llink run)")
	}
	dir, err := rundir.Reopen(fs.Arg(0))
	if err != nil {
		return err
	}
	defer dir.Close()
	path := dir.File(rundir.ResultsJSON)
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("plot: %w (has the run finished?)", err)
	}
	var res train.Results
	if err := json.Unmarshal(b, &res); err != nil {
		return fmt.Errorf("plot: %s: %w", path, err)
	}
	if err := os.MkdirAll(dir.Plot(""), 0o755); err != nil {
		return err
	}
	writePlots(dir, &res, stderr)
	_, err = fmt.Fprintf(stdout, "plots in %s\n", dir.Plot(""))
	return err
}
