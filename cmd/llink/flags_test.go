package main

import (
	"flag"
	"testing"
)

func TestParseBytes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64 // 0: an error
	}{
		{"8GiB", 8 << 30}, {"8gib", 8 << 30}, {"8G", 8 << 30}, {"1.5GiB", 3 << 29}, {"512MiB", 512 << 20},
		{"512 MiB", 512 << 20}, {"2GB", 2e9}, {"100KB", 1e5}, {"64k", 64 << 10}, {"1TiB", 1 << 40},
		{"4096", 4096}, {"4096B", 4096},
		{"", 0}, {"GiB", 0}, {"-1GiB", 0}, {"0", 0}, {"NaN", 0}, {"inf", 0}, {"1e30", 0}, {"8 GiBs", 0}, {"8XB", 0},
	} {
		got, err := parseBytes(tc.in)
		if tc.want == 0 {
			if err == nil {
				t.Errorf("parseBytes(%q) = %d, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

// -dev-pseudo-names is on by default (dev holds names no row trained on, as
// the test does); setting it without -eval-dev is a usage error, leaving it
// at its default is not.
func TestFairDevPseudoNamesFlag(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		ok      bool
		pseudo  bool
		evalDev bool
	}{
		{nil, true, true, false},
		{[]string{"-eval-dev"}, true, true, true},
		{[]string{"-eval-dev", "-dev-pseudo-names=false"}, true, false, true},
		{[]string{"-dev-pseudo-names"}, false, true, false},
		{[]string{"-dev-pseudo-names=false"}, false, false, false},
	} {
		fs := flag.NewFlagSet("fair", flag.ContinueOnError)
		var o fairOptions
		o.register(fs)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		err := o.check(fs)
		if (err == nil) != tc.ok || o.devPseudo != tc.pseudo || o.evalDev != tc.evalDev {
			t.Errorf("%q: check %v, dev pseudo-names %v, eval-dev %v", tc.args, err, o.devPseudo, o.evalDev)
		}
	}
}
