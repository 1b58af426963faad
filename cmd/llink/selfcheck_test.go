package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/llink-go/llink/asm"
)

// TestSelfCheck runs `llink selfcheck` and checks it reports every available
// kernel level, in order, as ok against the float64 reference.
func TestSelfCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("times a 384³ GEMM 20 times per level")
	}
	var out bytes.Buffer
	if err := selfCheck(&out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	line := regexp.MustCompile(`(?m)^sgemm 384x384x384 (\S+) +ok \(max rel err ([0-9.e+-]+)\) +[0-9.]+ GFLOP/s$`)
	got := line.FindAllStringSubmatch(out.String(), -1)
	if len(got) != len(asm.Available()) {
		t.Fatalf("%d ok lines for %d levels:\n%s", len(got), len(asm.Available()), out.String())
	}
	for i, l := range asm.Available() {
		if got[i][1] != l.String() {
			t.Errorf("line %d is level %s, want %s", i, got[i][1], l)
		}
	}
	if !strings.Contains(out.String(), "kernel levels: ") {
		t.Errorf("no kernel levels line:\n%s", out.String())
	}
}
