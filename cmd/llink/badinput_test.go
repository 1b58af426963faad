package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/models/safetensors"
)

// tinyDecoderDir writes a random tiny Llama checkpoint folder (config.json
// and model.safetensors) and returns it.
func tinyDecoderDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	c := llama.Tiny(64)
	c.Hidden, c.Intermediate, c.Layers, c.Heads, c.KVHeads, c.HeadDim, c.MaxPositions = 16, 32, 1, 2, 1, 8, 32
	cfg, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	names, shapes := llama.TensorNames(c)
	var ts []safetensors.Tensor
	r := testutil.RNG(1)
	for i, n := range names {
		size := 1
		for _, d := range shapes[i] {
			size *= d
		}
		ts = append(ts, safetensors.FromFloat32(n, shapes[i], testutil.Normal(r, size, 0.02), safetensors.F32))
	}
	if err := safetensors.Write(filepath.Join(dir, "model.safetensors"), ts, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

// badCase is one row of README.md's "Bad input" table: the command line,
// the exact error and the exit status.
type badCase struct {
	name string
	args []string
	err  string // exact error text (after "llink: ")
	code int
}

func checkBad(t *testing.T, cases []badCase) {
	t.Helper()
	for _, c := range cases {
		_, _, err, code := runCLI(t, c.args...)
		if err == nil || err.Error() != c.err || code != c.code {
			t.Errorf("%s: llink %s\n got %v (exit %d)\nwant %s (exit %d)", c.name, strings.Join(c.args, " "), err, code, c.err, c.code)
		}
	}
}

func TestBadInputCheckpoints(t *testing.T) {
	good := tinyDecoderDir(t)
	if _, _, err, _ := runCLI(t, "generate", "--decoder", good, "--prompt-ids", "1 2 3", "--max-new", "2"); err != nil {
		t.Fatalf("the intact checkpoint fails: %v", err)
	}
	st := filepath.Join(good, "model.safetensors")
	b, err := os.ReadFile(st)
	if err != nil {
		t.Fatal(err)
	}
	truncated := tinyDecoderDir(t)
	if err := os.WriteFile(filepath.Join(truncated, "model.safetensors"), b[:len(b)-100], 0o644); err != nil {
		t.Fatal(err)
	}
	garbage := tinyDecoderDir(t)
	if err := os.WriteFile(filepath.Join(garbage, "model.safetensors"), []byte("this is not a checkpoint, just text"), 0o644); err != nil {
		t.Fatal(err)
	}
	noConfig := tinyDecoderDir(t)
	os.Remove(filepath.Join(noConfig, "config.json"))
	checkBad(t, []badCase{
		{"truncated checkpoint", []string{"generate", "--decoder", truncated, "--prompt-ids", "1 2"},
			"llama: safetensors: " + filepath.Join(truncated, "model.safetensors") + `: header: tensor "model.layers.0.mlp.down_proj.weight": data_offsets [11392,13440) out of range: the data section has 13404 bytes`, 1},
		{"corrupt checkpoint", []string{"generate", "--decoder", garbage, "--prompt-ids", "1 2"},
			"llama: safetensors: " + filepath.Join(garbage, "model.safetensors") + ": header length 2338328219631577204 exceeds the limit of 100000000 bytes", 1},
		{"missing config.json", []string{"generate", "--decoder", noConfig, "--prompt-ids", "1 2"},
			"llama: open " + filepath.Join(noConfig, "config.json") + ": no such file or directory", 1},
		{"token id outside the vocabulary", []string{"generate", "--decoder", good, "--prompt-ids", "1 99"},
			"generate: token id 99 outside the vocabulary [0, 64)", 1},
	})

}

func TestBadInputCorpus(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	empty := write("empty.tsv", "")
	oneCol := write("bad.tsv", "hello\tសួស្តី\njust one column\n")
	badJSON := write("bad.jsonl", "{\"english\":\"hi\",\"foreign\":\"សួស្តី\"}\n{\"english\": 3\n")
	nonUTF8 := write("latin1.tsv", "hello\t\xff\xfe\n")
	checkBad(t, []badCase{
		{"empty corpus", []string{"corpus", "stats", empty}, empty + ": no records (empty file)", 1},
		{"malformed TSV", []string{"corpus", "stats", oneCol}, oneCol + ":2: expected 2 tab-separated fields (english<TAB>khmer), found 1", 1},
		{"malformed JSONL", []string{"corpus", "stats", badJSON}, badJSON + ":2: invalid JSON: unexpected EOF", 1},
		{"non-UTF-8 corpus", []string{"corpus", "stats", nonUTF8}, nonUTF8 + ":1: not valid UTF-8 (the file must be UTF-8 encoded)", 1},
		{"missing corpus", []string{"corpus", "stats", filepath.Join(dir, "nope.tsv")}, "open " + filepath.Join(dir, "nope.tsv") + ": no such file or directory", 1},
	})
}

func TestBadInputCommandLine(t *testing.T) {
	checkBad(t, []badCase{
		{"unknown command", []string{"trian"}, `unknown command "trian" (see ` + "`llink help`)", 2},
		{"unknown flag", []string{"generate", "--temprature", "0.7"}, "flag provided but not defined: -temprature", 2},
		{"bad flag value", []string{"generate", "--max-new", "many"}, `invalid value "many" for flag -max-new: parse error`, 2},
		{"flag without value", []string{"generate", "--decoder"}, "flag needs an argument: -decoder", 2},
		{"negative threads", []string{"-threads", "-2", "selfcheck"}, "-threads -2: want 0 (all cores) or more", 2},
	})
	// K is checked against models/llink's range, the same for every
	// pipeline command.
	want := fmt.Sprintf("-k %d: want 1..%d slots", llink.MaxK+1, llink.MaxK)
	k := strconv.Itoa(llink.MaxK + 1)
	checkBad(t, []badCase{
		{"K too large: run", []string{"run", "-k", k}, "run: " + want, 2},
		{"K zero: run", []string{"run", "-k", "0"}, "run: -k 0: want 1..256 slots", 2},
		{"K too large: stage-a", []string{"stage-a", "-out", t.TempDir(), "-k", k}, "stage-a: " + want, 2},
		{"K too large: embed-cache", []string{"embed-cache", "-k", k}, "embed-cache: " + want, 2},
		{"K too large: ablate", []string{"ablate", "-k-values", "8," + k}, `ablate: -k-values "8,` + k + `": want a comma-separated list of K in 1..256`, 2},
	})
	// The teacher vector's definition, a data flag of every pipeline command.
	checkBad(t, []badCase{
		{"unknown teacher pool", []string{"run", "-teacher-pool", "max"}, `invalid value "max" for flag -teacher-pool: want last or mean`, 2},
		{"negative teacher layer", []string{"embed-cache", "-teacher-layer", "-1"}, "embed-cache: -teacher-layer -1: want 0 (the final-normed output) or a decoder block 1..layers", 2},
	})
	// The other choice flags, one mechanism (choiceFlag).
	checkBad(t, []badCase{
		{"unknown encoder pool", []string{"run", "-encoder-pool", "max"}, `invalid value "max" for flag -encoder-pool: want last or layers`, 2},
		{"unknown split", []string{"run", "-split", "shuffle"}, `invalid value "shuffle" for flag -split: want random or package`, 2},
		{"unknown slots", []string{"run", "-slots", "bag"}, `invalid value "bag" for flag -slots: want pooled, tokens, segments, words or vocab`, 2},
	})
	// Kind weights of the training tasks (fair) and the decoder's boost
	// (pretrain): one parser.
	checkBad(t, []badCase{
		{"unknown kind weight", []string{"fair", "-task-weights", "yesno=3"}, `invalid value "yesno=3" for flag -task-weights: "yesno=3": want KIND=N,… with N in 1..100 and kinds [translate who where what when how_many extract_number yes_no]`, 2},
		{"zero kind weight", []string{"fair", "-task-weights", "yes_no=0"}, `invalid value "yes_no=0" for flag -task-weights: "yes_no=0": want KIND=N,… with N in 1..100 and kinds [translate who where what when how_many extract_number yes_no]`, 2},
		{"kind weighed twice", []string{"fair", "-task-weights", "yes_no=2,yes_no=3"}, `invalid value "yes_no=2,yes_no=3" for flag -task-weights: "yes_no=2,yes_no=3": kind yes_no given twice`, 2},
		{"unknown boost kind", []string{"pretrain", "decoder", "-boost", "who=x", "-out", t.TempDir()}, `pretrain decoder: -boost: "who=x": want KIND=N,… with N in 1..100 and kinds [translate who where what when how_many extract_number yes_no]`, 2},
	})
	// Dynamic K: the rule's flags, checked the same way by run and fair.
	for _, cmd := range []string{"run", "fair"} {
		checkBad(t, []badCase{
			{"negative tokens per segment: " + cmd, []string{cmd, "-slots", "words", "-tokens-per-segment", "-1"}, cmd + ": -tokens-per-segment -1: want 0 (every text gets -k slots) to 65536", 2},
			{"dynamic K on pooled slots: " + cmd, []string{cmd, "-tokens-per-segment", "2"}, cmd + ": -tokens-per-segment needs -slots segments, words or vocab (slots made of in-order segments); -slots pooled has one K for every text", 2},
			{"dynamic K on the resampler: " + cmd, []string{cmd, "-slots", "tokens", "-tokens-per-segment", "2"}, cmd + ": -tokens-per-segment needs -slots segments, words or vocab (slots made of in-order segments); -slots tokens has one K for every text", 2},
			{"negative lexical hidden width: " + cmd, []string{cmd, "-slots", "words", "-lexical-hidden", "-3"}, cmd + ": -lexical-hidden -3: want 0 (a linear lexical map) or a positive width", 2},
			{"lexical hidden width on pooled slots: " + cmd, []string{cmd, "-lexical-hidden", "512"}, cmd + ": -lexical-hidden needs -slots words or vocab (only word slots have a lexical map); -slots pooled has none", 2},
			{"floor without dynamic K: " + cmd, []string{cmd, "-slots", "words", "-min-k", "4"}, cmd + ": -min-k needs -tokens-per-segment", 2},
			{"floor not a multiple: " + cmd, []string{cmd, "-slots", "words", "-k", "24", "-words-per-segment", "2", "-tokens-per-segment", "1", "-min-k", "5"}, cmd + ": -min-k 5: want 0 (one segment) or a multiple of -words-per-segment 2 up to -k 24", 2},
			{"floor above K: " + cmd, []string{cmd, "-slots", "segments", "-k", "8", "-tokens-per-segment", "1", "-min-k", "9"}, cmd + ": -min-k 9: want 0 (one segment) or a multiple of -words-per-segment 1 up to -k 8", 2},
		})
	}
	// Stage A's levers (-attn-heads, -learn-tau), shared by the pipeline
	// commands; the heads are checked against the encoder once it is loaded.
	checkBad(t, []badCase{
		{"negative heads: run", []string{"run", "-attn-heads", "-1"}, "run: -attn-heads -1: want 0 (the mean of the token states) or a number of heads that divides the encoder width", 2},
		{"negative heads: fair", []string{"fair", "-attn-heads", "-1"}, "fair: -attn-heads -1: want 0 (the mean of the token states) or a number of heads that divides the encoder width", 2},
		{"heads not a number: stage-a", []string{"stage-a", "-out", t.TempDir(), "-attn-heads", "four"}, `invalid value "four" for flag -attn-heads: parse error`, 2},
		{"heads with segment slots: ablate", []string{"ablate", "-attn-heads", "4", "-slots", "segments"}, "ablate: -attn-heads with -slots segments: segment slots project each segment's mean, not the attention pooling (use -slots pooled, tokens, words or vocab)", 2},
		{"learn-tau with a value", []string{"run", "-learn-tau=maybe"}, `invalid boolean value "maybe" for -learn-tau: parse error`, 2},
		{"heads that do not divide the width", []string{"run", "-attn-heads", "3", "-train-pairs", "200", "-out", filepath.Join(t.TempDir(), "r")}, "llink: 3 attention-pooling heads, want 0 (the mean) or a divisor of the encoder width 256", 1},
	})
}
