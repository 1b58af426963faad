package train

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// WriteMarkdown renders the results as the paper's Table 1 (retrieval)
// plus the task metrics, token usage and sample generations.
func (r *Results) WriteMarkdown(w io.Writer) {
	pool, tasks := "held-out pool", "held-out test set"
	if r.Config.EvalOnDev {
		pool, tasks = "development pool", "development split: for tuning, not the held-out test"
	}
	fmt.Fprintf(w, "### Retrieval (%s of %d pairs)\n", pool, poolSize(r))
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| method | km→en R@1 | R@5 | R@10 | MRR | mean rank | en→km R@1 | MRR |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, m := range r.Methods {
		if m.KmToEn == nil {
			continue
		}
		a, b := m.KmToEn, m.EnToKm
		fmt.Fprintf(w, "| %s | %.3f | %.3f | %.3f | %.3f | %.1f | %.3f | %.3f |\n", m.Method, a.R1, a.R5, a.R10, a.MRR, a.MeanRank, b.R1, b.MRR)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "### Tasks (%s)\n", tasks)
	fmt.Fprintln(w)
	kinds := map[string]bool{}
	for _, m := range r.Methods {
		for k := range m.PerKind {
			kinds[k] = true
		}
	}
	ks := make([]string, 0, len(kinds))
	for k := range kinds {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	fmt.Fprintf(w, "| method | exact match | chrF | numeric fidelity | prompt tokens | foreign-span tokens | %s |\n", strings.Join(ks, " | "))
	fmt.Fprintf(w, "|---|---:|---:|---:|---:|---:|%s\n", strings.Repeat("---:|", len(ks)))
	for _, m := range r.Methods {
		cells := make([]string, len(ks))
		for i, k := range ks {
			cells[i] = fmt.Sprintf("%.3f", m.PerKind[k])
		}
		fmt.Fprintf(w, "| %s | %.3f | %.1f | %.3f (%d/%d) | %.1f | %.1f | %s |\n", m.Method, m.ExactMatch, m.ChrF,
			m.NumericFidelity(), m.NumericMatch, m.NumericTotal, m.PromptTokens, m.ForeignTokens, strings.Join(cells, " | "))
	}
	if len(ks) > 0 {
		fmt.Fprintln(w, "\nPer-kind columns: exact match, except `translate`: sentence chrF.")
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "### Sample generations")
	for i := 0; len(r.Methods) > 0 && i < len(r.Methods[0].Samples); i++ {
		s := r.Methods[0].Samples[i]
		fmt.Fprintf(w, "\n%s — %s\n\n", s.Instruction, s.Foreign)
		fmt.Fprintf(w, "- reference: %s\n", s.Reference)
		for _, m := range r.Methods {
			if i < len(m.Samples) {
				fmt.Fprintf(w, "- %s: %s\n", m.Method, m.Samples[i].Output)
			}
		}
	}
}

func poolSize(r *Results) int {
	for _, m := range r.Methods {
		if m.KmToEn != nil {
			return m.KmToEn.N
		}
	}
	return 0
}
