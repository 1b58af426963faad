package train

import (
	"math"
	"testing"

	"github.com/llink-go/llink/data"
	"github.com/llink-go/llink/train/eval"
)

// TestScore: a method's table metrics are eval.ScoreAnswers' exact scores
// (chrF not rounded), with an exact match of 0 when only translations
// were asked.
func TestScore(t *testing.T) {
	tasks := []data.Task{
		{Kind: "who", Answer: "Sok Dara"},
		{Kind: data.KindTranslate, Answer: "He bought 3 kg of fish on 12 March 2024."},
		{Kind: "who", Answer: "Chan Vanna"},
		{Kind: "how_many", Answer: "30 MW"},
		{Kind: data.KindTranslate, Answer: "It rained in Kampot."},
	}
	outs := []string{"Sok Dara", "He bought 3 kg of fish on 12 March.", "Chan", "30 MW", "Rain fell in Kampot."}
	var r MethodResult
	if err := score(&r, tasks, outs); err != nil {
		t.Fatal(err)
	}
	var st eval.ChrFStats
	st.Add(outs[1], tasks[1].Answer)
	st.Add(outs[4], tasks[4].Answer)
	meanChrF := (eval.ChrF(outs[1], tasks[1].Answer) + eval.ChrF(outs[4], tasks[4].Answer)) / 2
	want := map[string]float64{"who": 0.5, "how_many": 1, data.KindTranslate: meanChrF}
	if r.ExactMatch != 2.0/3 || r.ChrF != st.Score() {
		t.Errorf("EM %v chrF %v, want %v and %v", r.ExactMatch, r.ChrF, 2.0/3, st.Score())
	}
	for k, v := range want {
		if r.PerKind[k] != v {
			t.Errorf("per kind %s = %v, want %v", k, r.PerKind[k], v)
		}
	}
	if len(r.PerKind) != len(want) || len(r.Answers) != len(tasks) || len(r.Samples) != 4 {
		t.Errorf("%d kinds, %d answers, %d samples; want %d, %d, 4", len(r.PerKind), len(r.Answers), len(r.Samples), len(want), len(tasks))
	}
	if r.NumericTotal == 0 || r.NumericMatch >= r.NumericTotal {
		t.Errorf("numbers %d/%d: the missing year must count against the translation", r.NumericMatch, r.NumericTotal)
	}

	var tr MethodResult
	if err := score(&tr, tasks[1:2], outs[1:2]); err != nil {
		t.Fatal(err)
	}
	if tr.ExactMatch != 0 || math.IsNaN(tr.ExactMatch) {
		t.Errorf("translations only: EM %v, want 0", tr.ExactMatch)
	}
	if err := score(&tr, tasks, outs[:2]); err == nil {
		t.Error("score accepted fewer outputs than tasks")
	}
}
