package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llink-go/llink/data"
)

// writeSourcedCorpus writes a JSONL corpus of 40 packages of 150 pairs,
// each pair with its provenance, a number and a Latin-script word.
func writeSourcedCorpus(t *testing.T) string {
	t.Helper()
	var pairs []data.Pair
	for p := 0; p < 40; p++ {
		for i := 0; i < 150; i++ {
			n := p*1000 + i
			pairs = append(pairs, data.Pair{
				English: fmt.Sprintf("Open file %d with App%02d now", n, p),
				Foreign: fmt.Sprintf("បើក​ឯកសារ %s ដោយ App%02d ឥឡូវ", data.ToKhmerDigits(fmt.Sprint(n)), p),
				Source:  fmt.Sprintf("pkg%02d:/usr/share/locale/km/LC_MESSAGES/a.mo#%d", p, i),
			})
		}
	}
	path := filepath.Join(t.TempDir(), "real.jsonl")
	var b bytes.Buffer
	if err := data.WritePairsJSONL(&b, pairs); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadDataPackageSplit(t *testing.T) {
	path := writeSourcedCorpus(t)
	for _, evalDev := range []bool{false, true} {
		var note bytes.Buffer
		o := runOptions{corpus: path, split: splitPackage, seed: 2, trainPairs: 4000, trainTasks: 300, testTasks: 90, evalDev: evalDev, note: &note}
		d, err := loadData(o)
		if err != nil {
			t.Fatal(err)
		}
		trainPkgs := map[string]bool{}
		for _, p := range d.TrainPairs {
			trainPkgs[data.SourcePackage(p)] = true
		}
		byKm := map[string]data.Pair{}
		for _, p := range append(d.Pool, d.DevPairs...) {
			if trainPkgs[data.SourcePackage(p)] {
				t.Fatalf("eval-dev %v: held-out pair %s is from a training package", evalDev, p.Source)
			}
			byKm[p.Foreign] = p
		}
		if len(d.Pool) != 1024 || len(d.DevPairs) != 200 || len(d.TrainTasks) != 300 || len(d.TestTasks) != 90 {
			t.Fatalf("eval-dev %v: pool %d, dev %d, tasks %d/%d", evalDev, len(d.Pool), len(d.DevPairs), len(d.TrainTasks), len(d.TestTasks))
		}
		kinds := map[string]int{}
		for _, tk := range d.TestTasks {
			kinds[tk.Kind]++
			if _, inPool := byKm[tk.Foreign]; inPool {
				t.Fatalf("eval-dev %v: test task passage %q is a pool or dev pair", evalDev, tk.Foreign)
			}
			if !strings.Contains(tk.Foreign, "App") {
				t.Fatalf("task passage %q is not from the corpus", tk.Foreign)
			}
		}
		if kinds[data.KindTranslate] == 0 || kinds[data.KindNumber] == 0 || kinds[data.KindLatin] == 0 {
			t.Errorf("eval-dev %v: test task kinds %v", evalDev, kinds)
		}
		if !strings.Contains(note.String(), "package split (seed 2)") {
			t.Errorf("no split note: %q", note.String())
		}
	}
}

func TestLoadDataPackageSplitNeedsSources(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plain.tsv")
	var b strings.Builder
	for i := 0; i < 2500; i++ {
		fmt.Fprintf(&b, "Open file %d now\tបើក​ឯកសារ %d\n", i, i)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	o := runOptions{corpus: path, split: splitPackage, seed: 1, trainPairs: 100, trainTasks: 10, testTasks: 10}
	if _, err := loadData(o); err == nil || !strings.Contains(err.Error(), "no source package") {
		t.Errorf("err = %v, want a missing-provenance error", err)
	}
	o.corpus = ""
	if _, err := loadData(o); err == nil || !strings.Contains(err.Error(), "splits a -corpus") {
		t.Errorf("-split package without -corpus: err = %v", err)
	}
	o.corpus, o.split = path, splitRandom
	d, err := loadData(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Pool) != 1024 || len(d.TestTasks) != 10 {
		t.Errorf("random split: pool %d, test tasks %d", len(d.Pool), len(d.TestTasks))
	}
}
