package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/llink-go/llink/internal/rundir"
	"github.com/llink-go/llink/internal/safeio"
	"github.com/llink-go/llink/models/safetensors"
	"github.com/llink-go/llink/models/tokenizer"
	"github.com/llink-go/llink/train"
)

// snapshot hashes every file under dir (nil when dir does not exist), so a
// test can assert that a refused command left a folder as it was.
func snapshot(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	if _, err := os.Stat(dir); err != nil {
		return nil
	}
	out := map[string][32]byte{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			out[p] = sha256.Sum256(b)
		}
		return err
	})
	return out
}

// nanDecoderDir is a tiny decoder folder with a NaN in one weight.
func nanDecoderDir(t *testing.T) string {
	dir := tinyDecoderDir(t)
	path := filepath.Join(dir, "model.safetensors")
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var ts []safetensors.Tensor
	for _, info := range f.Tensors() {
		x, err := f.Float32(info.Name)
		if err != nil {
			t.Fatal(err)
		}
		if info.Name == "model.layers.0.self_attn.v_proj.weight" {
			x[7] = float32(math.NaN())
		}
		ts = append(ts, safetensors.FromFloat32(info.Name, info.Shape, x, info.DType))
	}
	f.Close()
	if err := safetensors.Write(path, ts, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestCLIRobustness runs the command line on inputs a user may type by
// mistake: each must fail with a clear message and the documented exit
// status (2 for a usage error), never panic, finish within seconds and
// leave the folders it was pointed at as they were (or not create them).
func TestCLIRobustness(t *testing.T) {
	dec := tinyDecoderDir(t)
	nanDec := nanDecoderDir(t)
	tmp := t.TempDir()
	fresh := filepath.Join(tmp, "never-created")
	// A model folder whose config.json never ends (the tokenizer's limit
	// is tested in models/tokenizer: 256 MiB of /dev/zero is slow here).
	zeroCfg := filepath.Join(tmp, "zero")
	os.Mkdir(zeroCfg, 0o755)
	if err := os.Symlink("/dev/zero", filepath.Join(zeroCfg, "config.json")); err != nil {
		t.Skip(err)
	}
	huge := "9223372036854775807"
	// Folders holding trained artifacts: refused without -resume or -force.
	trainedModel := filepath.Join(tmp, "pretrained")
	os.Mkdir(trainedModel, 0o755)
	os.WriteFile(filepath.Join(trainedModel, "model.safetensors"), []byte("a trained model"), 0o644)
	finishedRun := filepath.Join(tmp, "finished")
	os.Mkdir(finishedRun, 0o755)
	for _, f := range []string{projectorName, bundleName, "config.json"} {
		os.WriteFile(filepath.Join(finishedRun, f), []byte("trained "+f), 0o644)
	}
	cases := []struct {
		name  string
		args  []string
		stdin string
		want  string // substring of the error
		code  int
		dir   string // a folder that must be unchanged (or not created)
	}{
		{"negative -train-pairs: run", []string{"run", "-train-pairs", "-1", "-out", fresh}, "", "run: -train-pairs -1: want 1..1073741824", 2, fresh},
		{"negative -train-pairs: stage-a", []string{"stage-a", "-train-pairs", "-1", "-out", fresh}, "", "stage-a: -train-pairs -1: want 1..1073741824", 2, fresh},
		{"negative -train-pairs: embed-cache", []string{"embed-cache", "-train-pairs", "-1"}, "", "embed-cache: -train-pairs -1: want 1..1073741824", 2, ""},
		{"zero -train-tasks: stage-b", []string{"stage-b", "-train-tasks", "0", "-out", fresh}, "", "stage-b: -train-tasks 0: want 1..1073741824", 2, fresh},
		{"negative -test-tasks: run", []string{"run", "-test-tasks", "-3"}, "", "run: -test-tasks -3: want 1..1073741824", 2, ""},
		{"zero -stage-b-steps: baseline", []string{"baseline", "-stage-b-steps", "0", "-out", fresh}, "", "baseline: -stage-b-steps 0: want 1..1073741824", 2, fresh},
		{"huge -stage-a-steps: ablate", []string{"ablate", "-stage-a-steps", huge}, "", "ablate: -stage-a-steps " + huge + ": want 1..1073741824", 2, ""},
		{"NaN -bow-weight: ablate", []string{"ablate", "-bow-weight", "NaN"}, "", "ablate: -bow-weight NaN: want a finite number in [0, 1e+06]", 2, ""},
		{"-max-new overflowing the context check", []string{"generate", "-decoder", dec, "-prompt-ids", "1 2", "-max-new", huge}, "", "generate: -max-new " + huge + ": want 1..1073741824", 2, ""},
		{"-max-new past the context", []string{"generate", "-decoder", dec, "-prompt-ids", "1 2", "-max-new", "31"}, "", "generate: llama: 2 prompt tokens + 31 new exceed the decoder's context of 32 positions", 1, ""},
		{"NaN temperature", []string{"generate", "-decoder", dec, "-prompt-ids", "1", "-temperature", "NaN"}, "", "generate: -temperature NaN: want a finite number ≥ 0", 2, ""},
		{"negative temperature", []string{"generate", "-decoder", dec, "-prompt-ids", "1", "-temperature", "-0.5"}, "", "generate: -temperature -0.5: want a finite number ≥ 0", 2, ""},
		{"top-p above 1", []string{"generate", "-decoder", dec, "-prompt-ids", "1", "-top-p", "1.5"}, "", "generate: -top-p 1.5: want a finite number in [0, 1]", 2, ""},
		{"negative top-k", []string{"generate", "-decoder", dec, "-prompt-ids", "1", "-top-k", "-1"}, "", "generate: -top-k -1: want 0..1073741824", 2, ""},
		{"zero repetition penalty", []string{"generate", "-decoder", dec, "-prompt-ids", "1", "-repetition-penalty", "0"}, "", "generate: -repetition-penalty 0: want a finite number > 0 (1: off)", 2, ""},
		{"NaN repetition penalty", []string{"generate", "-decoder", dec, "-prompt-ids", "1", "-repetition-penalty", "NaN"}, "", "generate: -repetition-penalty NaN", 2, ""},
		{"NaN weights", []string{"generate", "-decoder", nanDec, "-prompt-ids", "1 2", "-max-new", "2"}, "", `tensor "model.layers.0.self_attn.v_proj.weight" holds NaN at element 7 of 128`, 1, ""},
		{"endless config.json: inspect", []string{"inspect", zeroCfg}, "", "file too large: more than 16 MiB, the limit for a config.json", 1, ""},
		{"endless config.json: generate", []string{"generate", "-decoder", zeroCfg, "-prompt-ids", "1"}, "", "file too large: more than 16 MiB, the limit for a config.json", 1, ""},
		{"ask: flags after the instruction are flags", []string{"ask", "-bundle", filepath.Join(tmp, "b.safetensors"), "Translate", "the", "passage.", "-max-new", "0"}, "", "ask: -max-new 0: want 1..1073741824", 2, ""},
		{"ask: huge -max-new", []string{"ask", "-bundle", "b", "Translate.", "-max-new", huge}, "", "ask: -max-new " + huge, 2, ""},
		{"usage: embed without -encoder", []string{"embed", "-ids"}, "", "embed: -encoder is required", 2, ""},
		{"embed: bad -batch", []string{"embed", "-encoder", dec, "-batch", "0"}, "", "embed: -batch 0: want 1..1073741824", 2, ""},
		{"embed: bad -pool", []string{"embed", "-encoder", dec, "-pool", "max"}, "", `embed: -pool "max": want mean, cls or pooler`, 2, ""},
		{"usage: generate without -decoder", []string{"generate", "-prompt-ids", "1"}, "", "generate: -decoder is required", 2, ""},
		{"usage: tokenize without -tokenizer", []string{"tokenize"}, "", "tokenize: -tokenizer is required", 2, ""},
		{"usage: inspect without a path", []string{"inspect"}, "", "inspect: want one PATH", 2, ""},
		{"usage: bench without a model", []string{"bench"}, "", "bench: want exactly one of -m PATH or -shape NAME", 2, ""},
		{"usage: corpus generate -n 0", []string{"corpus", "generate", "-n", "0"}, "", "corpus generate: -n 0: want 1..2000000", 2, ""},
		{"pretrain: NaN -lr", []string{"pretrain", "decoder", "-out", fresh, "-lr", "NaN"}, "", "pretrain decoder: -lr NaN: want a finite number in [0, 1]", 2, fresh},
		{"pretrain: negative -steps", []string{"pretrain", "encoder", "-out", fresh, "-steps", "-5"}, "", "pretrain encoder: -steps -5: want 0..1073741824", 2, fresh},
		{"pretrain over a trained model", []string{"pretrain", "decoder", "-out", trainedModel}, "", "pretrain decoder: " + trainedModel + " already holds a trained model: -resume continues its run, -force trains anew and replaces it", 2, trainedModel},
		{"stage-a over a finished run", []string{"stage-a", "-out", finishedRun}, "", finishedRun + " already holds a run (projector.safetensors): -resume continues it, -force trains anew and removes its trained files", 2, finishedRun},
		{"-resume with -force", []string{"run", "-resume", "-force", "-out", finishedRun}, "", "run: -resume continues a run, -force replaces it: give one", 2, finishedRun},
		{"embed-cache: negative -merge", []string{"embed-cache", "-merge", "-2"}, "", "embed-cache: -merge -2: want the number of shards", 2, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := snapshot(t, c.dir)
			type result struct {
				err       error
				code      int
				out, errs string
				panicked  any
			}
			done := make(chan result, 1)
			go func() {
				var r result
				defer func() {
					if p := recover(); p != nil {
						r.panicked = p
					}
					done <- r
				}()
				var o, e bytes.Buffer
				r.err = run(c.args, strings.NewReader(c.stdin), &o, &e)
				r.code = exitCode(r.err, &e)
				r.out, r.errs = o.String(), e.String()
			}()
			var r result
			select {
			case r = <-done:
			case <-time.After(30 * time.Second):
				t.Fatalf("llink %s: still running after 30 s", strings.Join(c.args, " "))
			}
			if r.panicked != nil {
				t.Fatalf("llink %s: panic: %v", strings.Join(c.args, " "), r.panicked)
			}
			if r.err == nil || r.code != c.code || !strings.Contains(r.err.Error(), c.want) {
				t.Errorf("llink %s\n got %v (exit %d)\nwant …%s… (exit %d)", strings.Join(c.args, " "), r.err, r.code, c.want, c.code)
			}
			for _, s := range []string{r.out, r.errs} {
				if strings.Contains(s, "panic:") || strings.Contains(s, "goroutine ") {
					t.Errorf("output mentions a panic:\n%s", s)
				}
			}
			if c.dir != "" {
				if after := snapshot(t, c.dir); fmt.Sprint(after) != fmt.Sprint(before) {
					t.Errorf("%s changed: %d files before, %d after", c.dir, len(before), len(after))
				}
			}
		})
	}
}

// TestEmbedRefusesBadLines: embed refuses what the library refuses — a
// line that is not UTF-8 and an empty line — naming the line.
func TestEmbedRefusesBadLines(t *testing.T) {
	_, enc := tinyFolders(t)
	for stdin, want := range map[string]string{
		"good line\nbad \xff\xfe line\n": "embed: line 2: not valid UTF-8",
		"good line\n\n":                  "embed: line 2: empty text",
		"good line\n   \nmore\n":         "embed: line 2: empty text",
	} {
		var o, e bytes.Buffer
		err := run([]string{"embed", "-encoder", enc}, strings.NewReader(stdin), &o, &e)
		if err == nil || !strings.Contains(err.Error(), want) || exitCode(err, &e) != 1 {
			t.Errorf("embed %q: %v, want %q (exit 1)", stdin, err, want)
		}
	}
}

// TestHelpInspect: `llink help inspect` explains PATH and what is printed,
// not only the usage line.
func TestHelpInspect(t *testing.T) {
	out, _, err, code := runCLI(t, "help", "inspect")
	if err != nil || code != 0 || !strings.Contains(out, "usage: llink inspect PATH") || !strings.Contains(out, "model.safetensors.index.json") || !strings.Contains(out, ".gguf") {
		t.Errorf("help inspect: %v (exit %d)\n%s", err, code, out)
	}
}

// TestFailedRunLeavesNoFolder: every command that creates a run folder
// removes it when it fails before doing any work (here: a missing corpus,
// read after the folder is made), so the same -out works on the next try;
// a folder that was there before is kept with its files; an interrupted or
// successful command keeps the folder it made. Commands that resume or read
// a run (plot, stage-b, eval, -resume) refuse a folder holding none and
// leave it as it was (they used to add checkpoints/, plots/ and a metrics
// log to it).
func TestFailedRunLeavesNoFolder(t *testing.T) {
	root := t.TempDir()
	missing := filepath.Join(root, "missing.jsonl")
	for _, cmd := range []string{"stage-a", "ablate"} {
		out := filepath.Join(root, cmd)
		_, stderr, err, code := runCLI(t, cmd, "-out", out, "-corpus", missing, "-quiet")
		if err == nil || code == 0 || !strings.Contains(stderr+err.Error(), "missing.jsonl") {
			t.Fatalf("%s: %v (exit %d)\n%s", cmd, err, code, stderr)
		}
		if folderExists(out) {
			t.Errorf("%s: the failed run left %s behind", cmd, out)
		}
		mine := filepath.Join(root, cmd+"-mine")
		if err := os.MkdirAll(mine, 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(mine, "notes.txt"), []byte("mine"), 0o644)
		if _, _, err, _ := runCLI(t, cmd, "-out", mine, "-corpus", missing, "-quiet"); err == nil {
			t.Fatalf("%s: succeeded on a missing corpus", cmd)
		}
		if b, err := os.ReadFile(filepath.Join(mine, "notes.txt")); err != nil || string(b) != "mine" {
			t.Errorf("%s: the user's folder lost its file: %v", cmd, err)
		}
	}
	// Commands that resume or read a run refuse a folder holding none,
	// without adding a run's subfolders to it.
	mine := filepath.Join(root, "mine")
	os.MkdirAll(mine, 0o755)
	os.WriteFile(filepath.Join(mine, "notes.txt"), []byte("mine"), 0o644)
	for _, args := range [][]string{{"plot", mine}, {"stage-b", "-out", mine}, {"eval", "-out", mine}, {"run", "-resume", "-out", mine}, {"stage-a", "-resume", "-out", mine}} {
		_, stderr, err, code := runCLI(t, args...)
		if err == nil || code == 0 || !strings.Contains(err.Error(), "holds no run") {
			t.Errorf("%v: %v (exit %d)\n%s", args, err, code, stderr)
		}
		if ents, _ := os.ReadDir(mine); len(ents) != 1 {
			t.Errorf("%v: the folder now holds %d entries, want its one file", args, len(ents))
		}
	}
	for _, tc := range []struct {
		name string
		err  error
		kept bool
	}{
		{"failed", errors.New("stage A batch larger than the data"), false},
		{"succeeded", nil, true},
		{"interrupted", fmt.Errorf("stopped: %w", train.ErrInterrupted), true},
	} {
		dir, err := rundir.Create(root, tc.name)
		if err != nil {
			t.Fatal(err)
		}
		closeRun(dir, tc.err)
		if kept := folderExists(dir.Path); kept != tc.kept {
			t.Errorf("closeRun, %s: folder kept = %v, want %v", tc.name, kept, tc.kept)
		}
	}
}

// errChecked stops a command whose flags passed their checks (the fuzz
// target below is about parsing, not training).
var errChecked = errors.New("flags accepted")

// FuzzTrainingFlags parses fuzzer-made command lines for every training
// command: each either fails as a usage error (exit 2, no panic) or yields
// options inside their documented ranges, and stops before any work.
func FuzzTrainingFlags(f *testing.F) {
	f.Add(uint8(0), "-train-pairs -1 -out x")
	f.Add(uint8(1), "-k 0 -stage-a-steps 99999999999999999999")
	f.Add(uint8(2), "-resume -force -out d")
	f.Add(uint8(3), "-k 256 -train-tasks 1 -test-tasks 1073741824")
	f.Add(uint8(4), "-k-values 2,0 -bow-weight NaN")
	f.Add(uint8(5), "-merge -1 -shard 3/2")
	f.Add(uint8(6), "-encoder-pool max -seed -1")
	cmds := []string{"run", "stage-a", "stage-b", "baseline", "eval", "ablate", "embed-cache"}
	checkedHook = func(cmd string, o *runOptions) error {
		if o.k < 1 || o.k > 256 || o.trainPairs < 1 || o.trainTasks < 1 || o.testTasks < 1 ||
			o.trainPairs > maxCount || o.trainTasks > maxCount || o.testTasks > maxCount {
			return fmt.Errorf("%s: out-of-range options accepted: %+v", cmd, *o)
		}
		return errChecked
	}
	defer func() { checkedHook = nil }()
	f.Fuzz(func(t *testing.T, which uint8, line string) {
		args := append([]string{cmds[int(which)%len(cmds)]}, strings.Fields(line)...)
		var o, e bytes.Buffer
		err := run(args, strings.NewReader(""), &o, &e)
		switch code := exitCode(err, &e); {
		case errors.Is(err, errChecked):
		case err == nil:
			t.Fatalf("%q ran to completion (the hook should stop it)", args)
		case code != 2 && !errors.Is(err, flag.ErrHelp):
			t.Fatalf("%q: %v (exit %d), want a usage error", args, err, code)
		}
		if s := o.String() + e.String(); strings.Contains(s, "panic:") || strings.Contains(s, "goroutine ") {
			t.Fatalf("%q: output mentions a panic:\n%s", args, s)
		}
	})
}

// TestHaltOnSignal: SIGTERM (as a cluster sends) closes the training
// loops' Stop channel, after saying so, instead of killing the process.
func TestHaltOnSignal(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM")
	}
	var e bytes.Buffer
	halt, unlisten := haltOnSignal(&syncWriter{w: &e})
	defer unlisten()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-halt:
	case <-time.After(10 * time.Second):
		t.Fatal("SIGTERM did not close the Stop channel")
	}
	if !strings.Contains(e.String(), "stopping after the current step (which writes its checkpoint)") {
		t.Errorf("stderr: %q", e.String())
	}
}

// syncWriter serialises writes (the signal goroutine writes to stderr).
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// endless is a stdin that never ends (as `< /dev/zero`).
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

// TestAskStdinCapped: `llink ask … < /dev/zero` read its stdin whole and
// grew until killed; the text is now refused past 16 MiB, naming the limit.
func TestAskStdinCapped(t *testing.T) {
	var o, e bytes.Buffer
	err := run([]string{"ask", "-bundle", "B", "Translate."}, endless{}, &o, &e)
	if !errors.Is(err, safeio.ErrTooLarge) || !strings.Contains(err.Error(), "stdin: file too large: more than 16 MiB") || exitCode(err, &e) != 1 {
		t.Fatalf("ask < endless stdin: %v", err)
	}
}

// TestCorpusOutNotReplaced: `corpus generate -out` wrote a temporary file
// and renamed it over the target whatever it was — as root that replaced
// /dev/full by a regular file and succeeded. A device or pipe is now
// written into (here a FIFO, which stays a FIFO and delivers the pairs); a
// regular file is still replaced atomically, readable by others as
// os.Create's files are (it was 0600).
func TestCorpusOutNotReplaced(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no FIFOs")
	}
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("mkfifo:", err)
	}
	got := make(chan []byte, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- nil
			return
		}
		b, _ := io.ReadAll(f)
		f.Close()
		got <- b
	}()
	if _, stderr, err, _ := runCLI(t, "corpus", "generate", "-n", "3", "-out", fifo); err != nil {
		t.Fatalf("-out FIFO: %v\n%s", err, stderr)
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO was replaced: %v, %v", st.Mode(), err)
	}
	select {
	case b := <-got:
		if bytes.Count(b, []byte("\n")) != 3 {
			t.Errorf("the FIFO's reader got %q, want 3 lines", b)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing was written into the FIFO")
	}
	file := filepath.Join(dir, "sub", "pairs.jsonl")
	if _, _, err, _ := runCLI(t, "corpus", "generate", "-n", "3", "-out", file); err != nil {
		t.Fatal(err)
	}
	ref, err := os.Create(filepath.Join(dir, "ref"))
	if err != nil {
		t.Fatal(err)
	}
	ref.Close()
	st, err := os.Stat(file)
	rst, _ := os.Stat(ref.Name())
	if err != nil || st.Mode().Perm() != rst.Mode().Perm()&0o644 {
		t.Errorf("-out file: mode %v (%v), want %v as os.Create's", st.Mode(), err, rst.Mode().Perm()&0o644)
	}
	if _, _, err, _ := runCLI(t, "corpus", "generate", "-n", "3", "-out", dir); err == nil || !strings.Contains(err.Error(), "is a folder") {
		t.Errorf("-out FOLDER: %v", err)
	}
}

// TestMemProfilePathCheckedFirst: a -memprofile that cannot be written
// fails before the work; given after the command it used to be dropped
// silently at the end (a command's stop error is not reported).
func TestMemProfilePathCheckedFirst(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "no", "such", "mem.prof")
	for _, args := range [][]string{
		{"embed-cache", "-memprofile", bad, "-quiet"},
		{"-memprofile", bad, "embed-cache", "-quiet"},
	} {
		start := time.Now()
		_, stderr, err, code := runCLI(t, args...)
		if err == nil || code != 1 || !strings.Contains(err.Error(), "memprofile") {
			t.Errorf("%v: %v (exit %d)\n%s", args, err, code, stderr)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%v: failed after %v of work, want at once", args, d)
		}
	}
}

// TestTokenizerFromPipes: `-tokenizer FIFO` with nothing writing to it
// blocked forever (sniffing for GGUF's magic, then reading); it is now an
// error at once. A shell's <(cat tokenizer.json) — a pipe whose first four
// bytes the sniffing ate — now loads.
func TestTokenizerFromPipes(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/dev/fd and mkfifo")
	}
	fifo := filepath.Join(t.TempDir(), "tokenizer.json")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("mkfifo:", err)
	}
	done := make(chan error, 1)
	go func() {
		_, _, err, _ := runCLI(t, "tokenize", "-tokenizer", fifo)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "tokenizer") {
			t.Errorf("-tokenizer FIFO: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("-tokenizer FIFO blocked")
	}
	bpe, err := tokenizer.TrainBPE([]string{"hello world", "hello there"}, tokenizer.BPETrainConfig{VocabSize: 260})
	if err != nil {
		t.Fatal(err)
	}
	js, err := tokenizer.SaveJSONBytes(bpe)
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	go func() { w.Write(js); w.Close() }()
	var o, e bytes.Buffer
	err = run([]string{"tokenize", "-tokenizer", fmt.Sprintf("/dev/fd/%d", r.Fd())}, strings.NewReader("hello\n"), &o, &e)
	if err != nil || strings.TrimSpace(o.String()) == "" {
		t.Fatalf("-tokenizer <(…): %v, output %q\n%s", err, o.String(), e.String())
	}
}
