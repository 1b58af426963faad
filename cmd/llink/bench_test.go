package main

import (
	"bytes"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestBench runs bench on the tiny random shape and checks the CSV it prints:
// one pp and one tg row per thread count with positive rates (not their
// size: speed is measured in benchmarks, not asserted).
func TestBench(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run([]string{"bench", "-shape", "tiny", "-p", "8", "-n", "4", "-r", "2", "-t", "1,2", "-csv"}, nil, &out, &errb); err != nil {
		t.Fatalf("bench: %v\n%s", err, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "model,type,threads,test,avg_ts") {
		t.Fatalf("want a header and 4 rows, got:\n%s", out.String())
	}
	seen := map[string]bool{}
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		if len(f) != 9 || f[1] != "bf16" {
			t.Fatalf("row %q: want 9 fields, type bf16", l)
		}
		seen[f[2]+"/"+f[3]] = true
		for _, c := range []int{4, 8} { // avg_ts, cpu_ts
			if v, err := strconv.ParseFloat(f[c], 64); err != nil || !(v > 0) {
				t.Errorf("row %q: field %d %q not a positive number", l, c, f[c])
			}
		}
	}
	for _, k := range []string{"1/pp8", "1/tg4", "2/pp8", "2/tg4"} {
		if !seen[k] {
			t.Errorf("no row for %s in:\n%s", k, out.String())
		}
	}
}

// TestBenchBadFlags: each wrong invocation is refused with an error naming
// what is wrong.
func TestBenchBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"bench"}, "exactly one of -m"},
		{[]string{"bench", "-shape", "tiny", "-m", "x.gguf"}, "exactly one of -m"},
		{[]string{"bench", "-shape", "huge"}, `-shape "huge"`},
		{[]string{"bench", "-shape", "tiny", "-t", "0"}, "-t"},
		{[]string{"bench", "-shape", "tiny", "-dtype", "q8"}, `-dtype "q8"`},
		{[]string{"bench", "-shape", "tiny", "-r", "0"}, "bench: -r 0: want 1..1073741824"},
		{[]string{"bench", "-m", "/nonexistent/model.gguf"}, "nonexistent"},
	} {
		var out, errb bytes.Buffer
		err := run(tc.args, nil, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
}

// TestBenchQuantisedFile writes the tiny shape as a Q4_0 GGUF file and
// benchmarks the file: it loads quantised (the type column says so).
func TestBenchQuantisedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tiny-q4.gguf")
	var out, errb bytes.Buffer
	if err := run([]string{"bench", "-shape", "tiny", "-dtype", "q4_0", "-write", path}, nil, &out, &errb); err != nil {
		t.Fatalf("write: %v\n%s", err, errb.String())
	}
	out.Reset()
	if err := run([]string{"bench", "-m", path, "-p", "8", "-n", "4", "-r", "1", "-t", "1", "-csv"}, nil, &out, &errb); err != nil {
		t.Fatalf("bench: %v\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), ",Q4_0,1,tg4,") {
		t.Errorf("no Q4_0 tg4 row in:\n%s", out.String())
	}
}

// TestBenchPhases: -phases prints, after the table, one profile per test
// and thread count with a row for every phase; tg's projections have a
// GB/s column, pp's none (a prompt reads each weight once for all tokens).
func TestBenchPhases(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run([]string{"bench", "-shape", "tiny", "-p", "4", "-n", "3", "-r", "1", "-t", "1,2", "-phases"}, nil, &out, &errb); err != nil {
		t.Fatalf("bench: %v\n%s", err, errb.String())
	}
	s := out.String()
	for _, test := range []string{"phases of tg", "phases of pp"} {
		if n := strings.Count(s, test); n != 2 {
			t.Fatalf("%d %q profiles, want 2 (threads 1 and 2):\n%s", n, test, s)
		}
	}
	for _, ph := range []string{"| embed |", "| attention |", "| swiglu |", "| final norm |"} {
		if strings.Count(s, ph) != 4 {
			t.Errorf("no %q row in each profile:\n%s", ph, s)
		}
	}
	test := ""
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "phases of ") {
			test = l[len("phases of ") : len("phases of ")+2]
		}
		if strings.HasPrefix(l, "| gate+up |") || strings.HasPrefix(l, "| head |") {
			f := strings.Split(l, "|")
			if hasGBs := len(f) >= 6 && strings.TrimSpace(f[4]) != ""; hasGBs != (test == "tg") {
				t.Errorf("%s profile: projection row %q: GB/s column present %v, want %v", test, l, hasGBs, test == "tg")
			}
		}
	}
}
