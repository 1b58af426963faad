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
	"strconv"
	"strings"
	"unicode/utf16"
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
	if at, esc := loneSurrogate(s); at >= 0 {
		// encoding/json would turn it into U+FFFD without a word.
		return fmt.Sprintf("lone UTF-16 surrogate %s at byte %d: the text is not valid Unicode (a surrogate must be half of a \\uD8xx\\uDCxx pair)", esc, at+1)
	}
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

// loneSurrogate finds the first \uXXXX escape in the JSON text s that is
// a UTF-16 surrogate without its other half, returning its byte offset and
// text, or -1. Escaped backslashes ("\\ud800") are skipped as JSON does.
func loneSurrogate(s string) (int, string) {
	hex4 := func(i int) (rune, bool) { // the \uXXXX escape at s[i:]
		if i+6 > len(s) || s[i] != '\\' || s[i+1] != 'u' {
			return 0, false
		}
		v, err := strconv.ParseUint(s[i+2:i+6], 16, 16)
		return rune(v), err == nil
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			continue
		}
		r, ok := hex4(i)
		if !ok {
			i++ // a two-character escape such as \\ or \"
			continue
		}
		switch {
		case utf16.IsSurrogate(r) && r < 0xDC00: // high half: a low one must follow
			if lo, ok := hex4(i + 6); ok && lo >= 0xDC00 && lo <= 0xDFFF {
				i += 11
				continue
			}
			return i, s[i : i+6]
		case utf16.IsSurrogate(r):
			return i, s[i : i+6]
		}
		i += 5
	}
	return -1, ""
}

// ReadFile reads parallel pairs from a .tsv or .jsonl file (by extension;
// other names are sniffed: a first non-blank character "{" means JSONL).
// The file is streamed line by line, so its size is bounded only by the
// records it holds (one line by 64 MiB).
func ReadFile(path string, opt ReadOptions) ([]Pair, ReadStats, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, ReadStats{}, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	switch strings.ToLower(filepath.Ext(path)) {
	case ".tsv", ".txt":
		return ReadPairsTSV(br, path, opt)
	case ".jsonl", ".json":
		return ReadPairsJSONL(br, path, opt)
	}
	// Sniff the first non-blank character within the first 64 KiB.
	head, _ := br.Peek(64 << 10)
	if t := bytes.TrimLeft(head, " \t\r\n\uFEFF"); len(t) > 0 && t[0] == '{' {
		return ReadPairsJSONL(br, path, opt)
	}
	return ReadPairsTSV(br, path, opt)
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
