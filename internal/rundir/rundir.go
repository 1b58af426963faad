// Package rundir lays out one llink run on disk:
//
//	runs/<name>/
//	  config.json     the resolved configuration (every flag and default)
//	  metrics.jsonl   one JSON object per logged training step, per stage
//	  checkpoints/    crash-safe training checkpoints
//	  results.json    the results table, machine-readable
//	  results.md      the results table as Markdown
//	  plots/          SVG/PNG figures
//
// The pipeline command creates the folder ([Create]) or reopens it to
// resume ([Open]), writes the config, plugs [Dir.Steps] into the training
// loops, and writes the results at the end. Files other than the metrics
// log are written atomically (temp file, fsync, rename), so a crash leaves
// the old version or the new one.
package rundir

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/llink-go/llink/internal/safeio"
	"github.com/llink-go/llink/train"
)

// File and folder names inside a run folder.
const (
	ConfigFile     = "config.json"
	MetricsFile    = "metrics.jsonl"
	ResultsJSON    = "results.json"
	ResultsMD      = "results.md"
	CheckpointsDir = "checkpoints"
	PlotsDir       = "plots"
)

// Record is one line of metrics.jsonl: a training step of a stage ("stage
// A", "stage B", "direct FT", …) with the wall-clock time it was logged.
type Record struct {
	Stage string    `json:"stage"`
	Time  time.Time `json:"time"`
	train.StepLog
}

// Dir is an open run folder. Its methods are safe for concurrent use.
type Dir struct {
	// Path is the run folder.
	Path string

	mu      sync.Mutex
	metrics *os.File
	w       *bufio.Writer
	now     func() time.Time
	made    bool // Create made the folder (it did not exist)
}

// DefaultName is the folder name of a run started at t: its date and time
// (20060102-150405).
func DefaultName(t time.Time) string { return t.Format("20060102-150405") }

// Create makes a new run folder root/name (name "" → [DefaultName] of now)
// with its checkpoints and plots subfolders. It refuses a folder that
// already holds a run (a config.json): reopen that one with [Open].
func Create(root, name string) (*Dir, error) {
	if name == "" {
		name = DefaultName(time.Now())
	}
	path := filepath.Join(root, name)
	if _, err := os.Stat(filepath.Join(path, ConfigFile)); err == nil {
		return nil, fmt.Errorf("rundir: %s already holds a run (resume it, or pick another name)", path)
	}
	_, err := os.Lstat(path)
	d, oerr := open(path)
	if oerr != nil {
		return nil, oerr
	}
	d.made = errors.Is(err, fs.ErrNotExist)
	return d, nil
}

// Open reopens the run folder at path (to resume it), creating any missing
// subfolder; the metrics log is appended to.
func Open(path string) (*Dir, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("rundir: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("rundir: %s is not a folder", path)
	}
	return open(path)
}

// Reopen reopens a folder that already holds a run — its metrics log,
// which every folder [Create] or [Open] made has — to resume or read it
// ([Open]). Any other folder is refused untouched, so a mistyped -out
// does not fill an unrelated folder with a run's subfolders.
func Reopen(path string) (*Dir, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("rundir: %w", err)
	}
	if _, err := os.Stat(filepath.Join(path, MetricsFile)); err != nil {
		return nil, fmt.Errorf("rundir: %s holds no run (no %s)", path, MetricsFile)
	}
	return Open(path)
}

func open(path string) (*Dir, error) {
	for _, sub := range []string{CheckpointsDir, PlotsDir} {
		if err := os.MkdirAll(filepath.Join(path, sub), 0o755); err != nil {
			return nil, fmt.Errorf("rundir: %w", err)
		}
	}
	// Temporary files of a write that a kill interrupted (no live writer
	// holds them) are removed when the run is opened again.
	for _, sub := range []string{"", CheckpointsDir, PlotsDir} {
		safeio.RemoveStale(filepath.Join(path, sub))
	}
	f, err := os.OpenFile(filepath.Join(path, MetricsFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("rundir: %w", err)
	}
	return &Dir{Path: path, metrics: f, w: bufio.NewWriter(f), now: time.Now}, nil
}

// File returns the path of name inside the run folder.
func (d *Dir) File(name string) string { return filepath.Join(d.Path, name) }

// Checkpoint returns the path of checkpoint name (e.g.
// "stage-a.safetensors") in the checkpoints folder.
func (d *Dir) Checkpoint(name string) string { return filepath.Join(d.Path, CheckpointsDir, name) }

// Plot returns the path of figure name (e.g. "loss.svg") in the plots
// folder.
func (d *Dir) Plot(name string) string { return filepath.Join(d.Path, PlotsDir, name) }

// WriteConfig stores the resolved configuration v as indented JSON.
func (d *Dir) WriteConfig(v any) error { return d.WriteJSON(ConfigFile, v) }

// ReadConfig reads config.json into v (when resuming).
func (d *Dir) ReadConfig(v any) error {
	b, err := os.ReadFile(d.File(ConfigFile))
	if err != nil {
		return fmt.Errorf("rundir: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("rundir: %s: %w", d.File(ConfigFile), err)
	}
	return nil
}

// WriteJSON stores v as indented JSON in the file name of the run folder.
func (d *Dir) WriteJSON(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("rundir: %s: %w", name, err)
	}
	return writeFile(d.File(name), append(b, '\n'))
}

// WriteResults stores results.json and results.md.
func (d *Dir) WriteResults(res *train.Results) error {
	if err := d.WriteJSON(ResultsJSON, res); err != nil {
		return err
	}
	var md bytes.Buffer
	res.WriteMarkdown(&md)
	return writeFile(d.File(ResultsMD), md.Bytes())
}

// Log appends one step of stage to the metrics log.
func (d *Dir) Log(stage string, l train.StepLog) error {
	b, err := json.Marshal(Record{Stage: stage, Time: d.now().UTC(), StepLog: l})
	if err != nil {
		return fmt.Errorf("rundir: metrics: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.w == nil {
		return errors.New("rundir: metrics log is closed")
	}
	if _, err := d.w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("rundir: metrics: %w", err)
	}
	// Flush at every record: a crash keeps every step logged so far, and a
	// step costs far more than a small write.
	if err := d.w.Flush(); err != nil {
		return fmt.Errorf("rundir: metrics: %w", err)
	}
	return nil
}

// Steps returns a training-step hook that logs every step of stage; a
// write error is reported once to errs (may be nil) and logging stops.
// Chain it with other hooks with [Tee].
func (d *Dir) Steps(stage string, errs io.Writer) func(train.StepLog) {
	failed := false
	return func(l train.StepLog) {
		if failed {
			return
		}
		if err := d.Log(stage, l); err != nil {
			failed = true
			if errs != nil {
				fmt.Fprintln(errs, "warning:", err, "(metrics logging stopped)")
			}
		}
	}
}

// Tee returns a hook calling each non-nil hook in order.
func Tee(hooks ...func(train.StepLog)) func(train.StepLog) {
	return func(l train.StepLog) {
		for _, h := range hooks {
			if h != nil {
				h(l)
			}
		}
	}
}

// Close flushes and closes the metrics log.
func (d *Dir) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.w == nil {
		return nil
	}
	err := d.w.Flush()
	if cerr := d.metrics.Close(); err == nil {
		err = cerr
	}
	d.w = nil
	return err
}

// Discard closes the run folder and removes it if [Create] made it (the
// path did not exist) and it holds no work yet: nothing but config.json,
// an empty metrics log, empty subfolders and temporaries of interrupted
// writes. A command that fails calls it, so a typo in a flag does not leave
// a folder that blocks the same name; a folder holding a checkpoint, a
// logged step or a result is kept. It reports whether the folder was
// removed.
func (d *Dir) Discard() (removed bool, err error) {
	if err := d.Close(); err != nil || !d.made || !empty(d.Path, true) {
		return false, err
	}
	if err := os.RemoveAll(d.Path); err != nil {
		return false, fmt.Errorf("rundir: %w", err)
	}
	return true, nil
}

// empty reports whether folder path holds no work: only empty subfolders
// and temporaries of interrupted writes, and at the top (top) also
// config.json and an empty metrics log.
func empty(path string, top bool) bool {
	ents, err := os.ReadDir(path)
	if err != nil {
		return false
	}
	for _, e := range ents {
		name := e.Name()
		switch {
		case e.IsDir():
			if !empty(filepath.Join(path, name), false) {
				return false
			}
		case safeio.IsTemp(name):
		case top && name == ConfigFile:
		case top && name == MetricsFile:
			if info, err := e.Info(); err != nil || info.Size() > 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// ReadMetrics reads a metrics log. When a resumed run logged a step
// twice, the later record wins; records keep their first position.
func ReadMetrics(r io.Reader) ([]Record, error) {
	var out []Record
	at := map[[2]any]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var rec Record
		if err := json.Unmarshal(line, &rec); err != nil {
			return nil, fmt.Errorf("rundir: metrics line %d: %w", n, err)
		}
		key := [2]any{rec.Stage, rec.Step}
		if i, ok := at[key]; ok {
			out[i] = rec
			continue
		}
		at[key] = len(out)
		out = append(out, rec)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("rundir: metrics: %w", err)
	}
	return out, nil
}

// ReadMetricsFile reads the metrics log at path (see [ReadMetrics]).
func ReadMetricsFile(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("rundir: %w", err)
	}
	defer f.Close()
	return ReadMetrics(f)
}

// writeFile writes data to path atomically ([safeio.WriteFile]), so a crash
// leaves the old file or the new.
func writeFile(path string, data []byte) error {
	if err := safeio.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("rundir: %w", err)
	}
	return nil
}
