package main

import (
	"flag"
	"testing"

	"github.com/llink-go/llink/train"
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

// -dev-names is real by default (dev holds real names no row trained on, as
// the test does); setting it without -eval-dev, or -pseudo-alphabet without
// -pseudo-names, is a usage error, leaving them at their defaults is not.
func TestFairDevNamesFlag(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		ok      bool
		names   train.Names
		evalDev bool
	}{
		{nil, true, train.DevReal, false},
		{[]string{"-eval-dev"}, true, train.DevReal, true},
		{[]string{"-eval-dev", "-dev-names", "training"}, true, "", true},
		{[]string{"-eval-dev", "-dev-names", "full"}, true, train.FullPseudo, true},
		{[]string{"-dev-names", "simple"}, false, train.SimplePseudo, false},
		{[]string{"-pseudo-alphabet", "full"}, false, train.DevReal, false},
		{[]string{"-pseudo-alphabet", "full", "-pseudo-names", "0.5"}, true, train.DevReal, false},
	} {
		fs := flag.NewFlagSet("fair", flag.ContinueOnError)
		var o fairOptions
		o.register(fs)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		err := o.check(fs)
		if (err == nil) != tc.ok || o.devNamesFrom() != tc.names || o.evalDev != tc.evalDev {
			t.Errorf("%q: check %v, dev names %q, eval-dev %v", tc.args, err, o.devNamesFrom(), o.evalDev)
		}
	}
}
