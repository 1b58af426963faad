package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs the program in-process and returns stdout, stderr, the error
// and the exit status main would use.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, err error, code int) {
	t.Helper()
	var o, e bytes.Buffer
	err = run(args, strings.NewReader(""), &o, &e)
	code = exitCode(err, &e)
	return o.String(), e.String(), err, code
}

func TestHelpListsEveryCommand(t *testing.T) {
	out, _, err, code := runCLI(t, "help")
	if err != nil || code != 0 {
		t.Fatalf("help: %v (exit %d)", err, code)
	}
	for name := range commands {
		if !strings.Contains(out, "\n  "+name+" ") {
			t.Errorf("help does not list %q:\n%s", name, out)
		}
	}
	for _, want := range []string{"-cpuprofile file", "-quiet", "Exit status"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

func TestHelpJSON(t *testing.T) {
	for _, args := range [][]string{{"help", "-json"}, {"-json", "help"}} {
		out, _, err, _ := runCLI(t, args...)
		if err != nil {
			t.Fatal(err)
		}
		var list []struct{ Name, Short string }
		if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != len(commands) {
			t.Fatalf("%v: %v (%d entries)\n%s", args, err, len(list), out)
		}
	}
}

// Every command answers -h with its flags and their defaults, exit 0.
func TestDashHEveryCommand(t *testing.T) {
	for name := range commands {
		for _, h := range []string{"-h", "--help"} {
			stdout, stderr, err, code := runCLI(t, name, h)
			if (err != nil && !errors.Is(err, flag.ErrHelp)) || code != 0 {
				t.Errorf("%s %s: err %v, exit %d", name, h, err, code)
			}
			if !strings.Contains(stdout+stderr, name) {
				t.Errorf("%s %s: usage does not name the command:\n%s%s", name, h, stdout, stderr)
			}
		}
		out, _, err, _ := runCLI(t, "help", name)
		if err != nil || !strings.Contains(out, name) {
			t.Errorf("help %s: %v\n%s", name, err, out)
		}
	}
}

func TestNewFlagSetUsage(t *testing.T) {
	var buf bytes.Buffer
	fs := newFlagSet("help", &buf)
	fs.Int("n", 7, "how many")
	if err := fs.Parse([]string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Fatal(err)
	}
	for _, want := range []string{"usage: llink help [-json] [COMMAND]", "list the commands", "Flags:", "how many (default 7)"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("usage lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"-frobnicate"}, "flag provided but not defined: -frobnicate"},
		{[]string{"run", "-frobnicate"}, "flag provided but not defined: -frobnicate"},
		{[]string{"run", "-k", "eight"}, `invalid value "eight" for flag -k`},
		{[]string{"-threads", "-1", "help"}, "-threads -1"},
		{[]string{"help", "frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"help", "run", "embed"}, "at most one COMMAND"},
	} {
		_, stderr, err, code := runCLI(t, c.args...)
		if err == nil || code != 2 || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%v: err %v, exit %d; want %q, exit 2", c.args, err, code, c.msg)
		}
		if !strings.Contains(strings.ToLower(stderr), "usage") && !strings.Contains(stderr, "llink:") {
			t.Errorf("%v: stderr says neither usage nor error:\n%s", c.args, stderr)
		}
	}
}

func TestProfilesAndThreads(t *testing.T) {
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "mem.pprof")
	if _, _, err, _ := runCLI(t, "-threads", "1", "-cpuprofile", cpu, "-memprofile", mem, "help"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{cpu, mem} {
		if st, err := os.Stat(p); err != nil || st.Size() == 0 {
			t.Fatalf("%s: %v", p, err)
		}
	}
	// A command's own copy inherits the values given before it and does not
	// start them twice.
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	topFlags = commonFlags{Quiet: true, CPUProfile: cpu}
	cf := addCommonFlags(fs)
	topFlags = commonFlags{}
	if !cf.Quiet || cf.CPUProfile != cpu || !cf.progressOptions().Quiet {
		t.Fatalf("inherited %+v", cf)
	}
	if err := fs.Parse([]string{"-json"}); err != nil || !cf.JSON {
		t.Fatal(err)
	}
}
