package data

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Task kinds.
const (
	KindTranslate = "translate"      // translate the passage into English
	KindWho       = "who"            // a person's name
	KindWhere     = "where"          // a place name
	KindWhat      = "what"           // an object, food, event, job, ... (one or two words)
	KindWhen      = "when"           // a time phrase ("12 March 2024", "yesterday")
	KindHowMany   = "how_many"       // a number, as English writes it ("12,000")
	KindExtract   = "extract_number" // a number with its unit ("30 MW", "$25")
	KindYesNo     = "yes_no"         // "yes" or "no", balanced
)

// TaskKinds lists every task kind.
var TaskKinds = []string{KindTranslate, KindWho, KindWhere, KindWhat, KindWhen, KindHowMany, KindExtract, KindYesNo}

// Task is one instruction example with an exact reference answer. Its JSON
// form is the instruction JSONL format {"input", "output", "foreign_raw",
// "english_ref"} (plus "kind"): input is the instruction, foreign_raw the
// Khmer passage, english_ref the English passage, output the answer.
type Task struct {
	Kind           string `json:"kind,omitempty"`
	Instruction    string `json:"input"`
	Foreign        string `json:"foreign_raw"`
	EnglishPassage string `json:"english_ref,omitempty"`
	Answer         string `json:"output"`
}

// EnglishOnly returns the task with the English passage in place of the
// Khmer one: the same instruction and answer over an English passage, for
// training an English decoder to follow the instructions.
func (t Task) EnglishOnly() Task {
	t.Foreign = t.EnglishPassage
	return t
}

var translateInstr = []string{
	"Translate the passage into English.",
	"Translate this text to English.",
	"Give an English translation of the passage.",
	"What does the passage say? Answer with its English translation.",
}

var hints = map[string]string{
	KindWho:     " Answer with the name only.",
	KindWhere:   " Answer with the place only.",
	KindWhat:    " Answer in one or two words.",
	KindWhen:    " Answer with the time only.",
	KindHowMany: " Answer with the number only.",
}

var extractInstr = []string{
	"Extract the quantity mentioned in the passage, with its unit (for example: 5 kg, 12%, $30, 200 people).",
	"What quantity does the passage give? Write the number and its unit (for example: 30 MW, 12,000 riel).",
}

// MakeTasks builds tasks from pairs: for every pair a translation task, and
// for generated pairs also every question its frame asks, a number
// extraction when it has a number, and one yes/no question. Yes and no
// answers alternate, so they are balanced. The result is deterministic for
// a given seed.
func MakeTasks(pairs []Pair, seed uint64) []Task {
	r := rand.New(rand.NewPCG(seed, 11))
	var out []Task
	yes := true
	for _, p := range pairs {
		base := Task{Foreign: p.Foreign, EnglishPassage: p.English}
		t := base
		t.Kind, t.Instruction, t.Answer = KindTranslate, pick(r, translateInstr), p.English
		out = append(out, t)
		for _, q := range p.qs {
			t := base
			t.Kind, t.Instruction, t.Answer = q.kind, q.text+hints[q.kind], q.answer
			out = append(out, t)
		}
		s := p.Slots
		if s == nil {
			continue
		}
		if s.Quantity != "" {
			t := base
			t.Kind, t.Instruction, t.Answer = KindExtract, pick(r, extractInstr), s.Quantity
			out = append(out, t)
		}
		if q, ok := yesNo(r, s, yes); ok {
			t := base
			t.Kind, t.Instruction = KindYesNo, q+" Answer yes or no."
			t.Answer = "no"
			if yes {
				t.Answer = "yes"
			}
			out = append(out, t)
			yes = !yes
		}
	}
	return out
}

// yesNo asks whether the passage mentions a person, a place or a quantity:
// the true one when yes, else a distractor of the passage's own split — a
// held-out given name or number value, or a place reserved for the
// novel-entity slice, exactly when the passage's is — so that no training
// question names a test entity, even as an answer-"no" distractor.
func yesNo(r *rand.Rand, s *Slots, yes bool) (string, bool) {
	var opts []string
	if s.Person != "" {
		opts = append(opts, "person")
	}
	if s.Place != "" {
		opts = append(opts, "place")
	}
	if s.Quantity != "" {
		opts = append(opts, "quantity", "quantity")
	}
	if len(opts) == 0 {
		return "", false
	}
	switch pick(r, opts) {
	case "person":
		v := s.Person
		_, given, _ := strings.Cut(s.Person, " ")
		held := HeldOutName(given)
		for !yes && (v == s.Person || v == s.Person2) {
			family, g := pick(r, familyNames).en, pick(r, givenNames).en
			if HeldOutName(g) == held { // the pair's own split: training text never names a held-out person
				v = family + " " + g
			}
		}
		return fmt.Sprintf("Is %s mentioned in the passage?", v), true
	case "place":
		v := s.Place
		for !yes && (v == s.Place || v == s.Place2 || NovelPlace(v) != NovelPlace(s.Place)) {
			v = pick(r, places).en
		}
		return fmt.Sprintf("Does the passage mention %s?", v), true
	}
	v := s.Quantity
	if !yes {
		v = distractQuantity(r, s)
	}
	return fmt.Sprintf("Does the passage mention %s?", v), true
}

var siblingUnit = map[string]string{"MW": "kW", "kW": "MW", "$": "riel", "riel": "$", "kg": "tonnes", "tonnes": "kg", "km": "metres", "metres": "km"}

// distractQuantity returns a quantity that differs from s.Quantity: the
// same number with a related unit ("30 kW" for "30 MW"), or another number.
func distractQuantity(r *rand.Rand, s *Slots) string {
	if sib, ok := siblingUnit[s.Unit]; ok && r.IntN(2) == 0 {
		return formatQuantity(s.Value, sib)
	}
	f, _ := strconv.ParseFloat(s.Value, 64)
	held := HeldOutNumber(s.Value)
	for try := 0; ; try++ {
		var g float64
		switch r.IntN(4) {
		case 0:
			g = f * 10
		case 1:
			g = f + float64(1+r.IntN(9))
		case 2:
			g = f * 2
		default:
			g = f + 100
		}
		if try >= 32 { // none of the few variations above is in the value's split: any nearby value
			g = f + float64(1+r.IntN(1000))
		}
		v := strconv.FormatFloat(g, 'f', -1, 64)
		// The distractor's value is held out exactly when the passage's is,
		// so training questions never hold a test value.
		if q := formatQuantity(v, s.Unit); q != s.Quantity && HeldOutNumber(v) == held {
			return q
		}
	}
}

// formatQuantity writes a canonical value with a canonical unit as
// extraction answers do.
func formatQuantity(value, canon string) string {
	n := englishNumber(value)
	switch canon {
	case "$":
		return "$" + n
	case "%", "°C":
		return n + canon
	}
	if value == "1" {
		for _, u := range units {
			if u.canon == canon && u.en == canon {
				return n + " " + u.enOne
			}
		}
		if strings.HasSuffix(canon, "s") && canon != "people" {
			return n + " " + strings.TrimSuffix(canon, "s")
		}
	}
	return n + " " + canon
}
