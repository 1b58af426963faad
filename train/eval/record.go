package eval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/llink-go/llink/internal/safeio"
)

// Record is a committed evaluation: what ran (command, commit, machine,
// settings, seeds) and every method's score on every question, so each
// number a report quotes can be recomputed from it. bench/results holds the
// reference records; the README's result tables are rendered from them.
type Record struct {
	Command  string            `json:"command"`
	Commit   string            `json:"commit"`
	Date     string            `json:"date"`
	Machine  string            `json:"machine"`
	Seeds    []uint64          `json:"seeds"`
	Settings map[string]string `json:"settings"`
	Slices   []SliceRun        `json:"slices"`
}

// SliceRun is one test slice (e.g. held-out names and numbers, or novel
// entities) evaluated under every seed.
type SliceRun struct {
	Name  string    `json:"name"`
	About string    `json:"about"` // what is held out, in a sentence
	Seeds []SeedRun `json:"seeds"`
}

// SeedRun is one seed's questions and every method's answers scored.
type SeedRun struct {
	Seed uint64 `json:"seed"`
	// Kinds is the kind of each question, in order; every method's
	// scores follow the same order, so methods pair question by question.
	Kinds   []string       `json:"kinds"`
	Methods []MethodScores `json:"methods"`
}

// MethodScores is one method's scores on a seed's questions.
type MethodScores struct {
	Method string `json:"method"`
	// Correct holds one character per question: '1' or '0' for an exact
	// match question, '-' for a translation (scored by ChrFs instead).
	Correct string `json:"correct"`
	// ChrFs are the sentence chrF scores of the translation questions, in
	// question order.
	ChrFs        []float64  `json:"chrf_sentences"`
	CorpusChrF   float64    `json:"chrf"`
	NumericMatch int        `json:"numeric_matched"`
	NumericTotal int        `json:"numeric_total"`
	PromptTokens float64    `json:"prompt_tokens"`
	Retrieval    *Retrieval `json:"retrieval_km_en,omitempty"`
}

// KindTranslate is the task kind scored by chrF; every other kind is
// scored by exact match.
const KindTranslate = "translate"

// ScoreAnswers scores one method's outputs against the references of
// questions of the given kinds. The scores are exact; a record rounds its
// chrF values to 3 decimals only when it is written ([Record.WriteFile]).
func ScoreAnswers(method string, kinds, outputs, refs []string) (MethodScores, error) {
	if len(kinds) != len(outputs) || len(kinds) != len(refs) {
		return MethodScores{}, fmt.Errorf("eval: %s: %d kinds, %d outputs, %d references", method, len(kinds), len(outputs), len(refs))
	}
	m := MethodScores{Method: method}
	var cor strings.Builder
	var st ChrFStats
	for i, k := range kinds {
		mm, n := NumericFidelity(outputs[i], refs[i])
		m.NumericMatch += mm
		m.NumericTotal += n
		if k == KindTranslate {
			cor.WriteByte('-')
			m.ChrFs = append(m.ChrFs, ChrF(outputs[i], refs[i]))
			st.Add(outputs[i], refs[i])
			continue
		}
		if ExactMatch(outputs[i], refs[i]) {
			cor.WriteByte('1')
		} else {
			cor.WriteByte('0')
		}
	}
	m.Correct = cor.String()
	m.CorpusChrF = st.Score()
	return m, nil
}

// EM returns the exact-match rate over the non-translation questions
// (NaN when there are none).
func (m *MethodScores) EM() float64 {
	k, n := m.emCounts()
	if n == 0 {
		return math.NaN()
	}
	return float64(k) / float64(n)
}

// KindScore returns the exact-match rate of one kind's questions (kinds
// gives each question's kind), or the mean sentence chrF for translation.
func (m *MethodScores) KindScore(kinds []string, kind string) float64 {
	if kind == KindTranslate {
		var s float64
		for _, c := range m.ChrFs {
			s += c
		}
		return s / float64(len(m.ChrFs))
	}
	var k, n int
	for i, c := range m.Correct {
		if kinds[i] == kind {
			n++
			if c == '1' {
				k++
			}
		}
	}
	return float64(k) / float64(n)
}

func (m *MethodScores) emCounts() (k, n int) {
	for _, c := range m.Correct {
		switch c {
		case '1':
			k, n = k+1, n+1
		case '0':
			n++
		}
	}
	return k, n
}

// emVector returns the 1/0 scores of the exact-match questions, in order.
func (m *MethodScores) emVector() []float64 {
	var v []float64
	for _, c := range m.Correct {
		switch c {
		case '1':
			v = append(v, 1)
		case '0':
			v = append(v, 0)
		}
	}
	return v
}

// Method returns the named method's scores in the seed run, or nil.
func (s *SeedRun) Method(name string) *MethodScores {
	for i := range s.Methods {
		if s.Methods[i].Method == name {
			return &s.Methods[i]
		}
	}
	return nil
}

// Validate checks that every seed run is consistent: each method scores
// every question, translations carry a chrF each, and methods appear in
// every seed.
func (r *Record) Validate() error {
	if len(r.Seeds) == 0 || len(r.Slices) == 0 {
		return fmt.Errorf("eval: record without seeds or slices")
	}
	for _, sl := range r.Slices {
		if len(sl.Seeds) != len(r.Seeds) {
			return fmt.Errorf("eval: slice %q has %d seed runs, the record %d seeds", sl.Name, len(sl.Seeds), len(r.Seeds))
		}
		var names []string
		for si, s := range sl.Seeds {
			if s.Seed != r.Seeds[si] {
				return fmt.Errorf("eval: slice %q run %d has seed %d, want %d", sl.Name, si, s.Seed, r.Seeds[si])
			}
			nt := 0
			for _, k := range s.Kinds {
				if k == KindTranslate {
					nt++
				}
			}
			var these []string
			for _, m := range s.Methods {
				these = append(these, m.Method)
				if len(m.Correct) != len(s.Kinds) || len(m.ChrFs) != nt {
					return fmt.Errorf("eval: slice %q seed %d method %q scores %d questions and %d translations, want %d and %d",
						sl.Name, s.Seed, m.Method, len(m.Correct), len(m.ChrFs), len(s.Kinds), nt)
				}
				for i, c := range m.Correct {
					if (c == '-') != (s.Kinds[i] == KindTranslate) || (c != '-' && c != '0' && c != '1') {
						return fmt.Errorf("eval: slice %q seed %d method %q: question %d (%s) scored %q", sl.Name, s.Seed, m.Method, i, s.Kinds[i], c)
					}
				}
			}
			if si == 0 {
				names = these
			} else if !slices.Equal(names, these) {
				return fmt.Errorf("eval: slice %q seed %d has methods %v, seed %d had %v", sl.Name, s.Seed, these, sl.Seeds[0].Seed, names)
			}
		}
	}
	return nil
}

// WriteFile writes the record as indented JSON, atomically (temporary file
// in the same folder, then rename) or into a device or pipe
// ([safeio.Output]). It first rounds the record's chrF
// scores to 3 decimals, as the file keeps them, in r too: a report rendered
// from r afterwards is the report rendered from the file.
func (r *Record) WriteFile(path string) error {
	if err := r.Validate(); err != nil {
		return err
	}
	r.roundChrF()
	b, err := json.MarshalIndent(r, "", " ")
	if err != nil {
		return err
	}
	return safeio.Output(path, 0o644, func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// roundChrF rounds every sentence and corpus chrF score of r to 3
// decimals.
func (r *Record) roundChrF() {
	round := func(x float64) float64 { return math.Round(x*1000) / 1000 }
	for _, sl := range r.Slices {
		for _, s := range sl.Seeds {
			for mi := range s.Methods {
				m := &s.Methods[mi]
				m.CorpusChrF = round(m.CorpusChrF)
				for i, c := range m.ChrFs {
					m.ChrFs[i] = round(c)
				}
			}
		}
	}
}

// ReadRecord reads and validates a record written by [Record.WriteFile].
func ReadRecord(path string) (*Record, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var r Record
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("eval: %s: %w", path, err)
	}
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("eval: %s: %w", path, err)
	}
	return &r, nil
}
