package data

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestReadPairsTSV(t *testing.T) {
	in := "\uFEFFHello.\tសួស្តី។\r\n\nThank you.\tអរគុណ។\n"
	ps, st, err := ReadPairsTSV(strings.NewReader(in), "a.tsv", ReadOptions{})
	if err != nil || len(ps) != 2 || ps[0].English != "Hello." || ps[1].Foreign != "អរគុណ។" || st.Lines != 3 {
		t.Fatalf("got %+v %+v %v", ps, st, err)
	}
}

func TestReadErrors(t *testing.T) {
	cases := []struct {
		name, in, want string
		read           func(string) error
	}{
		{"tsv no tab", "a\tb\nno tab here\n", "x:2: expected 2 tab-separated fields", nil},
		{"tsv three fields", "a\tb\tc\n", "x:1: expected 2 tab-separated fields (english<TAB>khmer), found 3", nil},
		{"tsv empty english", " \tខ\n", "x:1: empty English field", nil},
		{"tsv bad utf8", "ok\tខ\nbad\t\xff\xfe\n", "x:2: not valid UTF-8", nil},
		{"tsv utf16", "\xff\xfea\x00", "x: file is UTF-16", nil},
		{"tsv empty", "", "x: no records (empty file)", nil},
		{"tsv blank", "\n \n", "x: no records (empty file)", nil},
		{"jsonl bad json", `{"english":"a","foreign":"ខ"}` + "\n{oops\n", "x:2: invalid JSON", nil},
		{"jsonl missing", `{"english":"a"}`, `x:1: missing or empty "foreign"`, nil},
		{"jsonl type", `{"english":3,"foreign":"ខ"}`, `x:1: field "english": expected string, found JSON number`, nil},
		{"jsonl array", `["a","b"]`, "x:1: ", nil},
		{"jsonl two values", `{"english":"a","foreign":"ខ"} {}`, "x:1: invalid JSON: more than one value", nil},
		{"tasks missing output", `{"input":"Q","foreign_raw":"ខ"}`, `x:1: missing or empty "output"`, nil},
		{"jsonl lone high surrogate", `{"english":"a","foreign":"ខ\ud83d"}`, `x:1: lone UTF-16 surrogate \ud83d at byte 30: the text is not valid Unicode`, nil},
		{"jsonl lone low surrogate", `{"english":"a\uDC00b","foreign":"ខ"}`, `x:1: lone UTF-16 surrogate \uDC00 at byte 14`, nil},
		{"jsonl reversed pair", `{"english":"\udc00\ud800","foreign":"ខ"}`, `x:1: lone UTF-16 surrogate \udc00`, nil},
		{"jsonl high then text", `{"english":"\ud800\u0041","foreign":"ខ"}`, `x:1: lone UTF-16 surrogate \ud800`, nil},
		{"tasks lone surrogate", `{"input":"Q\ud800","output":"A","foreign_raw":"ខ"}`, `x:1: lone UTF-16 surrogate \ud800`, nil},
	}
	for _, c := range cases {
		var err error
		switch {
		case strings.HasPrefix(c.name, "tsv"):
			_, _, err = ReadPairsTSV(strings.NewReader(c.in), "x", ReadOptions{})
		case strings.HasPrefix(c.name, "jsonl"):
			_, _, err = ReadPairsJSONL(strings.NewReader(c.in), "x", ReadOptions{})
		default:
			_, _, err = ReadTasksJSONL(strings.NewReader(c.in), "x", ReadOptions{})
		}
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: error %v, want prefix %q", c.name, err, c.want)
		}
	}
}

func TestReadSkipBad(t *testing.T) {
	in := "a\tខ\nbroken\n\nb\tគ\n\xff\tx\n"
	ps, st, err := ReadPairsTSV(strings.NewReader(in), "x", ReadOptions{SkipBad: true})
	if err != nil || len(ps) != 2 || st.Skipped != 2 || st.Records != 2 {
		t.Fatalf("got %d pairs %+v %v", len(ps), st, err)
	}
	var le *LineError
	if !errors.As(st.FirstBad, &le) || le.Line != 2 {
		t.Fatalf("FirstBad = %v", st.FirstBad)
	}
	_, _, err = ReadPairsTSV(strings.NewReader("bad\nworse\n"), "x", ReadOptions{SkipBad: true})
	if !errors.Is(err, ErrEmpty) || !strings.Contains(err.Error(), "all 2 non-blank lines are malformed") {
		t.Fatalf("all bad: %v", err)
	}
}

func TestRoundTripAndReadFile(t *testing.T) {
	c, _ := Build(Config{Seed: 2, Train: 50, Dev: 5, Test: 5, Pool: 5})
	dir := t.TempDir()
	var buf bytes.Buffer
	if err := WritePairsJSONL(&buf, c.Train); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "en-km.jsonl")
	os.WriteFile(path, buf.Bytes(), 0o644)
	got, _, err := ReadFile(path, ReadOptions{})
	if err != nil || len(got) != 50 || got[3].English != c.Train[3].English || *got[3].Slots != *c.Train[3].Slots {
		t.Fatalf("round trip: %v", err)
	}
	tasks := MakeTasks(c.Dev, 1)
	buf.Reset()
	WriteTasksJSONL(&buf, tasks)
	back, _, err := ReadTasksJSONL(&buf, "t.jsonl", ReadOptions{})
	if err != nil || len(back) != len(tasks) || back[7] != tasks[7] {
		t.Fatalf("tasks round trip: %v", err)
	}
	tsv := filepath.Join(dir, "pairs")
	os.WriteFile(tsv, []byte("Hi.\tសួស្តី។\n"), 0o644)
	if ps, _, err := ReadFile(tsv, ReadOptions{}); err != nil || len(ps) != 1 {
		t.Fatalf("sniffed TSV: %v", err)
	}
	if _, _, err := ReadFile(filepath.Join(dir, "missing.tsv"), ReadOptions{}); err == nil {
		t.Fatal("missing file: no error")
	}
}

func TestLongLine(t *testing.T) {
	long := strings.Repeat("ក", 200000)
	ps, _, err := ReadPairsTSV(strings.NewReader("a\t"+long+"\nb\tខ"), "x", ReadOptions{})
	if err != nil || len(ps) != 2 || ps[0].Foreign != long {
		t.Fatalf("long line: %v", err)
	}
}

func checkPairs(t *testing.T, ps []Pair, st ReadStats, err error) {
	if err != nil {
		var le *LineError
		if !errors.As(err, &le) && !errors.Is(err, ErrEmpty) && !strings.Contains(err.Error(), "UTF-16") {
			t.Fatalf("unexpected error type: %v", err)
		}
		return
	}
	if len(ps) != st.Records || len(ps) == 0 {
		t.Fatalf("%d pairs, stats %+v", len(ps), st)
	}
	for _, p := range ps {
		if p.English == "" || p.Foreign == "" || !utf8.ValidString(p.English) || !utf8.ValidString(p.Foreign) {
			t.Fatalf("bad pair %+v", p)
		}
	}
}

func FuzzReadJSONL(f *testing.F) {
	f.Add([]byte(`{"english":"Hi.","foreign":"សួស្តី។"}`+"\n"), false)
	f.Add([]byte("{\"english\":\"a\",\"foreign\":\"b\",\"slots\":{\"frame\":\"x\"}}\n{bad"), true)
	f.Add([]byte("\xff\xfe"), false)
	f.Fuzz(func(t *testing.T, b []byte, skip bool) {
		ps, st, err := ReadPairsJSONL(bytes.NewReader(b), "f", ReadOptions{SkipBad: skip})
		checkPairs(t, ps, st, err)
	})
}

func FuzzReadTSV(f *testing.F) {
	f.Add([]byte("Hi.\tសួស្តី។\n"), false)
	f.Add([]byte("a\tb\tc\n\n\xff\n"), true)
	f.Fuzz(func(t *testing.T, b []byte, skip bool) {
		ps, st, err := ReadPairsTSV(bytes.NewReader(b), "f", ReadOptions{SkipBad: skip})
		checkPairs(t, ps, st, err)
	})
}

func FuzzReadTasksJSONL(f *testing.F) {
	f.Add([]byte(`{"input":"Translate.","output":"Hi.","foreign_raw":"សួស្តី។","english_ref":"Hi."}`), false)
	f.Add([]byte("{\"input\":1}\n"), true)
	f.Fuzz(func(t *testing.T, b []byte, skip bool) {
		ts, st, err := ReadTasksJSONL(bytes.NewReader(b), "f", ReadOptions{SkipBad: skip})
		if err == nil {
			if len(ts) != st.Records {
				t.Fatalf("%d tasks, stats %+v", len(ts), st)
			}
			for _, x := range ts {
				if x.Instruction == "" || x.Answer == "" || x.Foreign == "" {
					t.Fatalf("incomplete task %+v", x)
				}
			}
		}
	})
}

// TestSurrogatePairsAccepted: valid pairs and escaped backslashes that only
// look like surrogates decode as JSON says.
func TestSurrogatePairsAccepted(t *testing.T) {
	in := `{"english":"emoji \ud83d\ude00 and \\ud800 and \u00e9","foreign":"ខ\\\\"}`
	ps, _, err := ReadPairsJSONL(strings.NewReader(in), "x", ReadOptions{})
	if err != nil || ps[0].English != "emoji \U0001F600 and \\ud800 and é" || ps[0].Foreign != "ខ\\\\" {
		t.Fatalf("got %+v, %v", ps, err)
	}
}

// TestReadFileStreams: a corpus is read line by line, so an endless file
// without newlines stops at the line limit instead of filling memory.
func TestReadFileStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 64 MiB")
	}
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	dir := t.TempDir()
	for _, name := range []string{"zero"} { // sniffed, then read as TSV
		path := filepath.Join(dir, name)
		if err := os.Symlink("/dev/zero", path); err != nil {
			t.Skip(err)
		}
		_, _, err := ReadFile(path, ReadOptions{})
		if want := path + ":1: line longer than 67108864 bytes"; err == nil || err.Error() != want {
			t.Errorf("ReadFile(%s) = %v, want %q", name, err, want)
		}
	}
}
