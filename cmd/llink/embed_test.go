package main

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/llink-go/llink/models/tokenizer"
)

// TestEmbedTextLines checks that text lines on stdin go through the
// folder's tokenizer (with special tokens) and give the same vectors as
// -ids on that encoding, one JSON array of the encoder width per line.
func TestEmbedTextLines(t *testing.T) {
	_, enc := tinyFolders(t)
	embed := func(stdin string, args ...string) [][]float32 {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if err := run(append([]string{"embed", "-encoder", enc, "-batch", "2"}, args...), strings.NewReader(stdin), &stdout, &stderr); err != nil {
			t.Fatalf("embed %v: %v\n%s", args, err, stderr.String())
		}
		var out [][]float32
		dec := json.NewDecoder(&stdout)
		for dec.More() {
			var v []float32
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
		return out
	}
	lines := []string{"The price of rice", "តម្លៃអង្ករ", "a much longer line about the market and the river"}
	text := embed(strings.Join(lines, "\n") + "\n")
	tok, err := tokenizer.Load(enc)
	if err != nil {
		t.Fatal(err)
	}
	var idLines []string
	for _, l := range lines {
		var s []string
		for _, id := range tok.Encode(l, true) {
			s = append(s, strconv.Itoa(id))
		}
		idLines = append(idLines, strings.Join(s, " "))
	}
	byIDs := embed(strings.Join(idLines, "\n"), "-ids")
	if len(text) != 3 || len(text[0]) != 24 {
		t.Fatalf("got %d vectors of width %d, want 3 of 24", len(text), len(text[0]))
	}
	for i := range text {
		for j := range text[i] {
			if text[i][j] != byIDs[i][j] {
				t.Fatalf("line %d: text and -ids vectors differ at %d: %g vs %g", i, j, text[i][j], byIDs[i][j])
			}
		}
	}
	same := true
	for j := range text[0] {
		same = same && text[0][j] == text[1][j]
	}
	if same {
		t.Fatal("different lines gave the same vector")
	}
}
