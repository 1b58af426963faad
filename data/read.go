package data

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// ReadOptions control the readers.
type ReadOptions struct {
	// SkipBad skips malformed lines and counts them in ReadStats instead of
	// failing on the first one.
	SkipBad bool
}

// ReadStats reports what a reader did.
type ReadStats struct {
	Lines   int // lines read, blank lines included
	Records int // records returned
	Skipped int // malformed lines skipped (with SkipBad)
	// FirstBad is the first malformed line's error, when any was skipped.
	FirstBad error
}

// LineError is a malformed line: File:Line: Msg.
type LineError struct {
	File string
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// ErrEmpty is returned (wrapped, with the file name) when input holds no
// records.
var ErrEmpty = errors.New("no records")

// maxLine bounds one line (64 MiB), so a corrupt file cannot exhaust memory.
const maxLine = 64 << 20

// readLines calls fn for each non-blank line (without its line ending) and
// applies the error policy. fn returns a message for a malformed line.
func readLines(r io.Reader, name string, opt ReadOptions, fn func(line string) (msg string)) (ReadStats, error) {
	var st ReadStats
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// Long line: gather the rest.
			buf := append([]byte(nil), line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				buf = append(buf, line...)
				if len(buf) > maxLine {
					return st, &LineError{name, st.Lines + 1, fmt.Sprintf("line longer than %d bytes", maxLine)}
				}
			}
			line = buf
		}
		if len(line) > 0 {
			st.Lines++
			if st.Lines == 1 {
				if bytes.HasPrefix(line, []byte{0xFF, 0xFE}) || bytes.HasPrefix(line, []byte{0xFE, 0xFF}) {
					return st, fmt.Errorf("%s: file is UTF-16 encoded; convert it to UTF-8", name)
				}
				line = bytes.TrimPrefix(line, []byte("\uFEFF"))
			}
			s := strings.TrimRight(string(line), "\r\n")
			if strings.TrimSpace(s) != "" {
				msg := ""
				if !utf8.ValidString(s) {
					msg = "not valid UTF-8 (the file must be UTF-8 encoded)"
				} else {
					msg = fn(s)
				}
				if msg != "" {
					le := &LineError{name, st.Lines, msg}
					if !opt.SkipBad {
						return st, le
					}
					st.Skipped++
					if st.FirstBad == nil {
						st.FirstBad = le
					}
				} else {
					st.Records++
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return st, fmt.Errorf("%s: %w", name, err)
		}
	}
	if st.Records == 0 {
		if st.Skipped > 0 {
			return st, fmt.Errorf("%s: %w: all %d non-blank lines are malformed (first: %v)", name, ErrEmpty, st.Skipped, st.FirstBad)
		}
		return st, fmt.Errorf("%s: %w (empty file)", name, ErrEmpty)
	}
	return st, nil
}

// ReadPairsTSV reads lines "english<TAB>khmer". Blank lines are ignored;
// name labels errors ("file.tsv:12: ...").
func ReadPairsTSV(r io.Reader, name string, opt ReadOptions) ([]Pair, ReadStats, error) {
	var out []Pair
	st, err := readLines(r, name, opt, func(s string) string {
		f := strings.Split(s, "\t")
		if len(f) != 2 {
			return fmt.Sprintf("expected 2 tab-separated fields (english<TAB>khmer), found %d", len(f))
		}
		en, km := strings.TrimSpace(f[0]), strings.TrimSpace(f[1])
		if en == "" {
			return "empty English field"
		}
		if km == "" {
			return "empty foreign (Khmer) field"
		}
		out = append(out, Pair{English: en, Foreign: km})
		return ""
	})
	return out, st, err
}

// ReadPairsJSONL reads lines {"english": ..., "foreign": ...} (the format of
// en-km.jsonl; other fields such as slots, source and license are kept when
// they have the types of [Pair]).
func ReadPairsJSONL(r io.Reader, name string, opt ReadOptions) ([]Pair, ReadStats, error) {
	var out []Pair
	st, err := readLines(r, name, opt, func(s string) string {
		var p Pair
		if msg := decodeLine(s, &p); msg != "" {
			return msg
		}
		p.English, p.Foreign = strings.TrimSpace(p.English), strings.TrimSpace(p.Foreign)
		switch {
		case p.English == "":
			return `missing or empty "english"`
		case p.Foreign == "":
			return `missing or empty "foreign"`
		}
		out = append(out, p)
		return ""
	})
	return out, st, err
}

// ReadTasksJSONL reads instruction lines {"input", "output", "foreign_raw",
// "english_ref"}; input, output and foreign_raw are required.
func ReadTasksJSONL(r io.Reader, name string, opt ReadOptions) ([]Task, ReadStats, error) {
	var out []Task
	st, err := readLines(r, name, opt, func(s string) string {
		var t Task
		if msg := decodeLine(s, &t); msg != "" {
			return msg
		}
		switch {
		case strings.TrimSpace(t.Instruction) == "":
			return `missing or empty "input"`
		case strings.TrimSpace(t.Answer) == "":
			return `missing or empty "output"`
		case strings.TrimSpace(t.Foreign) == "":
			return `missing or empty "foreign_raw"`
		}
		out = append(out, t)
		return ""
	})
	return out, st, err
}

// decodeLine decodes one JSON object, returning a message on failure.
func decodeLine(s string, v any) string {
	dec := json.NewDecoder(strings.NewReader(s))
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Sprintf("field %q: expected %s, found JSON %s", te.Field, te.Type, te.Value)
		}
		return "invalid JSON: " + err.Error()
	}
	if dec.More() {
		return "invalid JSON: more than one value on the line"
	}
	if !strings.HasPrefix(strings.TrimSpace(s), "{") {
		return "expected a JSON object"
	}
	return ""
}

// ReadFile reads parallel pairs from a .tsv or .jsonl file (by extension;
// other names are sniffed: a first non-blank character "{" means JSONL).
func ReadFile(path string, opt ReadOptions) ([]Pair, ReadStats, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, ReadStats{}, err
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".tsv", ".txt":
		return ReadPairsTSV(bytes.NewReader(b), path, opt)
	case ".jsonl", ".json":
		return ReadPairsJSONL(bytes.NewReader(b), path, opt)
	}
	if t := bytes.TrimLeft(b, " \t\r\n\uFEFF"); len(t) > 0 && t[0] == '{' {
		return ReadPairsJSONL(bytes.NewReader(b), path, opt)
	}
	return ReadPairsTSV(bytes.NewReader(b), path, opt)
}

// WritePairsJSONL writes pairs one JSON object per line.
func WritePairsJSONL(w io.Writer, pairs []Pair) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := range pairs {
		if err := enc.Encode(&pairs[i]); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// WriteTasksJSONL writes tasks one JSON object per line.
func WriteTasksJSONL(w io.Writer, tasks []Task) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := range tasks {
		if err := enc.Encode(&tasks[i]); err != nil {
			return err
		}
	}
	return bw.Flush()
}
