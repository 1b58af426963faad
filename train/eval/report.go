package eval

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// MethodSummary is one method's scores in one slice, over the seeds.
type MethodSummary struct {
	Method       string
	EM           Interval // exact match (non-translation questions)
	ChrF         Interval // corpus chrF of the translations
	Numeric      Interval // numeric fidelity: reference quantities reproduced
	PerKind      map[string]Interval
	PromptTokens float64
	R1           Interval // km→en retrieval R@1, when the method has it
}

// Summarise returns every method's summary, in the order of the first seed.
// With several seeds the intervals are t-intervals over seeds; with one,
// the exact-match intervals are Wilson intervals over its questions.
func (sl *SliceRun) Summarise() []MethodSummary {
	if len(sl.Seeds) == 0 {
		return nil
	}
	var out []MethodSummary
	for _, m0 := range sl.Seeds[0].Methods {
		s := MethodSummary{Method: m0.Method, PerKind: map[string]Interval{}}
		var em, chrf, num, tok, r1 []float64
		perKind := map[string][]float64{}
		for _, run := range sl.Seeds {
			m := run.Method(m0.Method)
			em = append(em, m.EM())
			chrf = append(chrf, m.CorpusChrF)
			num = append(num, ratio(m.NumericMatch, m.NumericTotal))
			tok = append(tok, m.PromptTokens)
			if m.Retrieval != nil {
				r1 = append(r1, m.Retrieval.R1)
			}
			for _, k := range kindsOf(run.Kinds) {
				perKind[k] = append(perKind[k], m.KindScore(run.Kinds, k))
			}
		}
		s.EM, s.ChrF, s.Numeric = clamp(MeanInterval(em), 1), clamp(MeanInterval(chrf), 100), clamp(MeanInterval(num), 1)
		if len(sl.Seeds) == 1 {
			m := sl.Seeds[0].Method(m0.Method)
			k, n := m.emCounts()
			s.EM = Wilson(k, n)
			s.Numeric = Wilson(m.NumericMatch, m.NumericTotal)
		}
		for k, v := range perKind {
			top := 1.0
			if k == KindTranslate {
				top = 100
			}
			s.PerKind[k] = clamp(MeanInterval(v), top)
		}
		s.PromptTokens = MeanInterval(tok).Est
		if len(r1) == len(sl.Seeds) {
			s.R1 = clamp(MeanInterval(r1), 1)
		}
		out = append(out, s)
	}
	return out
}

// clamp keeps a t-interval of a bounded score inside [0, top]: with few
// seeds the symmetric interval can pass the bounds, which no score can.
func clamp(iv Interval, top float64) Interval {
	if !math.IsNaN(iv.Lo) {
		iv.Lo, iv.Hi = max(iv.Lo, 0), min(iv.Hi, top)
	}
	return iv
}

func ratio(k, n int) float64 {
	if n == 0 {
		return math.NaN()
	}
	return float64(k) / float64(n)
}

// kindsOf lists the distinct kinds in order of first appearance.
func kindsOf(kinds []string) []string {
	var out []string
	for _, k := range kinds {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// Paired returns method a's difference from method b on the same questions
// over every seed of the slice: in exact match, and in sentence chrF of
// the translations (zero Interval when the slice has none), each with its
// two-level bootstrap interval ([PairedBootstrap]).
func (sl *SliceRun) Paired(a, b string, iters int, seed uint64) (em, chrf Interval, err error) {
	var ea, eb, ca, cb [][]float64
	for _, run := range sl.Seeds {
		ma, mb := run.Method(a), run.Method(b)
		if ma == nil || mb == nil {
			return em, chrf, fmt.Errorf("eval: slice %q seed %d lacks method %q or %q", sl.Name, run.Seed, a, b)
		}
		ea, eb = append(ea, ma.emVector()), append(eb, mb.emVector())
		ca, cb = append(ca, ma.ChrFs), append(cb, mb.ChrFs)
	}
	if em, err = PairedBootstrap(ea, eb, iters, seed); err != nil {
		return em, chrf, fmt.Errorf("exact match, %s vs %s: %w", a, b, err)
	}
	if len(ca[0]) > 0 {
		if chrf, err = PairedBootstrap(ca, cb, iters, seed+1); err != nil {
			return em, chrf, fmt.Errorf("chrF, %s vs %s: %w", a, b, err)
		}
	}
	return em, chrf, nil
}

// BootstrapIters is the replicate count of the paired intervals in reports.
const BootstrapIters = 10000

// ReportOptions says which method is the one under test and which rows are
// fair controls for it (same information: e.g. the copy channel's spans).
type ReportOptions struct {
	Method   string   // e.g. "LLINK"
	Fair     []string // controls a claim may be made against
	Controls []string // every method the method is compared with (paired rows)
}

// WriteMarkdown renders the record's tables: per slice, every method's
// scores with 95% intervals, then the method's paired differences from each
// control, then a plain-words headline against the strongest fair control.
// The output depends on the record alone, so a document can be checked
// against it.
func (r *Record) WriteMarkdown(w io.Writer, o ReportOptions) error {
	seeds := make([]string, len(r.Seeds))
	for i, s := range r.Seeds {
		seeds[i] = fmt.Sprint(s)
	}
	fmt.Fprintf(w, "Record: `%s` at commit %s, %s, on %s; seeds %s.\n", r.Command, r.Commit, r.Date, r.Machine, strings.Join(seeds, ", "))
	for _, sl := range r.Slices {
		if err := sl.writeMarkdown(w, o); err != nil {
			return err
		}
	}
	return nil
}

func (sl *SliceRun) writeMarkdown(w io.Writer, o ReportOptions) error {
	sum := sl.Summarise()
	run0 := sl.Seeds[0]
	kinds := kindsOf(run0.Kinds)
	counts := map[string]int{}
	for _, k := range run0.Kinds {
		counts[k]++
	}
	var per []string
	for _, k := range kinds {
		per = append(per, fmt.Sprintf("%s %d", k, counts[k]))
	}
	fmt.Fprintf(w, "\n#### %s\n\n%s %d questions per seed (%s).\n\n", sl.Name, sl.About, len(run0.Kinds), strings.Join(per, ", "))
	fmt.Fprintf(w, "| method | exact match | chrF | numeric fidelity | km→en R@1 | prompt tokens | %s |\n", strings.Join(kinds, " | "))
	fmt.Fprintf(w, "|---|---:|---:|---:|---:|---:|%s\n", strings.Repeat("---:|", len(kinds)))
	for _, s := range sum {
		cells := make([]string, len(kinds))
		for i, k := range kinds {
			if k == KindTranslate {
				cells[i] = fmt.Sprintf("%.1f", s.PerKind[k].Est)
			} else {
				cells[i] = fmt.Sprintf("%.2f", s.PerKind[k].Est)
			}
		}
		r1 := "—"
		if s.R1.N > 0 {
			r1 = fmtIv(s.R1, 3)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %.1f | %s |\n", s.Method, fmtIv(s.EM, 3), fmtIv(s.ChrF, 1), fmtIv(s.Numeric, 3), r1, s.PromptTokens, strings.Join(cells, " | "))
	}
	fmt.Fprintf(w, "\nPer-kind columns: exact match (translate: mean sentence chrF), means over seeds. Intervals: 95%%, %s.\n", ivKind(len(sl.Seeds)))
	if o.Method == "" || sl.Seeds[0].Method(o.Method) == nil {
		return nil
	}
	fmt.Fprintf(w, "\n| %s minus | exact match | sentence chrF | |\n|---|---:|---:|---|\n", o.Method)
	diffs := map[string]Interval{}
	for _, c := range o.Controls {
		if sl.Seeds[0].Method(c) == nil {
			continue
		}
		em, chrf, err := sl.Paired(o.Method, c, BootstrapIters, 1)
		if err != nil {
			return err
		}
		diffs[c] = em
		fair := ""
		if slices.Contains(o.Fair, c) {
			fair = " (fair control)"
		}
		fmt.Fprintf(w, "| %s%s | %s | %s | %s |\n", c, fair, fmtDiff(em, 3), fmtDiff(chrf, 1), verdict(em))
	}
	best, bestEM := "", math.Inf(-1)
	for _, s := range sum {
		if slices.Contains(o.Fair, s.Method) && s.EM.Est > bestEM {
			best, bestEM = s.Method, s.EM.Est
		}
	}
	if best == "" {
		return nil
	}
	var me MethodSummary
	for _, s := range sum {
		if s.Method == o.Method {
			me = s
		}
	}
	d := diffs[best]
	fmt.Fprintf(w, "\nPaired differences on the same questions, two-level bootstrap (seeds, then questions), %d replicates. "+
		"In plain words: %s scores %.3f exact match against %.3f for the strongest fair control (%s); the difference, %+.3f [%.3f, %.3f], %s.\n",
		BootstrapIters, o.Method, me.EM.Est, bestEM, best, d.Est, d.Lo, d.Hi, plain(d, o.Method, best))
	return nil
}

func ivKind(seeds int) string {
	if seeds == 1 {
		return "one seed: Wilson intervals over the questions for exact match and numeric fidelity, none for chrF"
	}
	return fmt.Sprintf("t-intervals over %d seeds", seeds)
}

func fmtIv(iv Interval, prec int) string {
	if math.IsNaN(iv.Est) {
		return "—"
	}
	if math.IsNaN(iv.Lo) {
		return fmt.Sprintf("%.*f", prec, iv.Est)
	}
	return fmt.Sprintf("%.*f [%.*f, %.*f]", prec, iv.Est, prec, iv.Lo, prec, iv.Hi)
}

func fmtDiff(iv Interval, prec int) string {
	if iv.N == 0 {
		return "—"
	}
	return fmt.Sprintf("%+.*f [%+.*f, %+.*f]", prec, iv.Est, prec, iv.Lo, prec, iv.Hi)
}

func verdict(iv Interval) string {
	switch {
	case iv.Lo > 0:
		return "higher"
	case iv.Hi < 0:
		return "lower"
	}
	return "no difference"
}

func plain(iv Interval, me, other string) string {
	switch {
	case iv.Lo > 0:
		return fmt.Sprintf("excludes zero: %s is better", me)
	case iv.Hi < 0:
		return fmt.Sprintf("excludes zero: %s is better", other)
	}
	return "includes zero: no difference can be claimed"
}

// Markers delimit a record's rendered tables in a document (the README):
// [Splice] replaces what lies between them.
const (
	MarkerBegin = "<!-- results:begin (generated by `llink report` from bench/results; do not edit) -->"
	MarkerEnd   = "<!-- results:end -->"
)

// Splice returns doc with the text between [MarkerBegin] and [MarkerEnd]
// replaced by body. Each marker must occur exactly once, begin before end.
func Splice(doc, body string) (string, error) {
	if strings.Count(doc, MarkerBegin) != 1 || strings.Count(doc, MarkerEnd) != 1 {
		return "", fmt.Errorf("eval: the document needs each results marker exactly once (%q, %q)", MarkerBegin, MarkerEnd)
	}
	i := strings.Index(doc, MarkerBegin) + len(MarkerBegin)
	j := strings.Index(doc, MarkerEnd)
	if j < i {
		return "", fmt.Errorf("eval: the results end marker comes before the begin marker")
	}
	return doc[:i] + "\n" + strings.TrimSpace(body) + "\n" + doc[j:], nil
}
