package main

import (
	"strings"
	"testing"
)

// TestProbeCommand runs the probes small on the embedded models: every
// representation gets a row with an accuracy per attribute, and bad flags
// are usage errors.
func TestProbeCommand(t *testing.T) {
	out, stderr, err, _ := runCLI(t, "probe", "-train", "200", "-test", "60", "-steps", "20")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, want := range []string{"| majority class |", "| encoder, pooled (layers) |", "| encoder, pooled (last) |",
		"| encoder, token states (layers) |", "| encoder, 8 segment means (layers) |", "| decoder teacher (English) |", "| place | month | object | frame |"} {
		if !strings.Contains(out, want) {
			t.Errorf("probe output lacks %q:\n%s", want, out)
		}
	}
	// The teacher row reads the vector the teacher flags define.
	out, stderr, err, _ = runCLI(t, "probe", "-train", "200", "-test", "60", "-steps", "20", "-teacher-pool", "mean", "-teacher-layer", "2")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if want := "| decoder teacher (English; mean, block 2) |"; !strings.Contains(out, want) || strings.Contains(out, "| decoder teacher (English) |") {
		t.Errorf("probe output with -teacher-pool mean -teacher-layer 2 lacks %q (or has the paper's row):\n%s", want, out)
	}
	for _, args := range [][]string{{"-teacher-layer", "-1"}, {"-teacher-layer", "99"}, {"-teacher-pool", "max"}} {
		if _, _, _, code := runCLI(t, append([]string{"probe", "-train", "20", "-test", "5", "-steps", "1"}, args...)...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if _, _, _, code := runCLI(t, "probe", "-train", "0"); code != 2 {
		t.Errorf("-train 0: exit %d, want 2", code)
	}
	if _, _, _, code := runCLI(t, "probe", "-bundle", t.TempDir()+"/missing.safetensors", "-train", "20", "-test", "5", "-steps", "1"); code == 0 {
		t.Error("a missing bundle was accepted")
	}
}

func TestMonthOf(t *testing.T) {
	for when, want := range map[string]string{"12 March 2024": "March", "yesterday": "", "Monday": "", "on 1 December 2019": "December"} {
		if got := monthOf(when); got != want {
			t.Errorf("monthOf(%q) = %q, want %q", when, got, want)
		}
	}
}
