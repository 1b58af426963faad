package main

import (
	"bytes"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/llink-go/llink/models/gguf"
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/tokenizer"
)

// TestGenerateTextPrompt checks --prompt: the folder's tokenizer encodes it
// (with BOS), the continuation is printed as text, and --print-ids adds the
// ids, which equal a --prompt-ids run on the same encoded prompt.
func TestGenerateTextPrompt(t *testing.T) {
	dec, _ := tinyFolders(t)
	gen := func(args ...string) []string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if err := run(append([]string{"generate", "-decoder", dec, "-max-new", "5", "-greedy", "-no-stop"}, args...), nil, &stdout, &stderr); err != nil {
			t.Fatalf("generate %v: %v\n%s", args, err, stderr.String())
		}
		return strings.Split(strings.TrimRight(stdout.String(), "\n"), "\n")
	}
	out := gen("-prompt", "The price of rice", "-print-ids")
	if len(out) != 2 {
		t.Fatalf("want a text line and an id line, got %q", out)
	}
	tok, err := tokenizer.Load(dec)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, id := range tok.Encode("The price of rice", true) {
		ids = append(ids, strconv.Itoa(id))
	}
	byIDs := gen("-prompt-ids", strings.Join(ids, " "))
	if len(byIDs) != 1 || byIDs[0] != out[1] {
		t.Fatalf("--prompt gave ids %q, --prompt-ids on its encoding %q", out[1], byIDs)
	}
	var gotIDs []int
	for _, f := range strings.Fields(out[1]) {
		id, _ := strconv.Atoi(f)
		gotIDs = append(gotIDs, id)
	}
	if want := tok.Decode(gotIDs); out[0] != want {
		t.Fatalf("text %q, decoded ids %q", out[0], want)
	}
	if chat := gen("-prompt", "Hello", "-chat"); len(chat) != 1 {
		t.Fatalf("-chat: %q", chat)
	}
	var stdout, stderr bytes.Buffer
	long := strings.Repeat("5 ", 2100) // the test decoder has 1024 positions
	if err := run([]string{"generate", "-decoder", dec, "-prompt-ids", long, "-max-new", "4"}, nil, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "exceed the decoder's context of 1024 positions") {
		t.Fatalf("over-long prompt: %v", err)
	}
	if err := run([]string{"generate", "-decoder", dec, "-prompt", "a", "-prompt-ids", "1"}, nil, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "give one of") {
		t.Fatalf("both prompts: %v", err)
	}
}

// TestGenerateAndInspectGGUF converts the tiny decoder folder to GGUF: the
// same prompt ids generate the same ids from both, and inspect reads it.
func TestGenerateAndInspectGGUF(t *testing.T) {
	dec, _ := tinyFolders(t)
	m, err := llama.Load(dec, llama.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dec.gguf")
	if err := m.WriteGGUF(path, gguf.F32); err != nil {
		t.Fatal(err)
	}
	gen := func(d string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if err := run([]string{"generate", "-decoder", d, "-prompt-ids", "5 17 42 9", "-max-new", "6", "-greedy", "-no-stop"}, nil, &stdout, &stderr); err != nil {
			t.Fatalf("generate -decoder %s: %v\n%s", d, err, stderr.String())
		}
		return stdout.String()
	}
	if a, b := gen(dec), gen(path); a != b || len(strings.Fields(a)) != 6 {
		t.Fatalf("folder generated %q, GGUF %q", a, b)
	}
	var stdout, stderr bytes.Buffer
	if err := run([]string{"inspect", path}, nil, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"llama decoder: vocab", "d 32, 2 layers, 4 heads (2 kv", "gguf: ", "F32"} {
		if !strings.Contains(stdout.String(), s) {
			t.Errorf("inspect output lacks %q:\n%s", s, stdout.String())
		}
	}
}
