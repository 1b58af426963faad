package embedded_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/llink-go/llink/data"
	"github.com/llink-go/llink/models/embedded"
	"github.com/llink-go/llink/models/xlmr"
	"github.com/llink-go/llink/train"
	"github.com/llink-go/llink/train/eval"
)

// TestDecoderStillFollowsInstructions re-measures the embedded decoder's
// exact match on English-passage dev questions (a subset) and checks it
// against the value recorded in its metadata at pretraining time.
func TestDecoderStillFollowsInstructions(t *testing.T) {
	md, err := embedded.Metadata("decoder")
	if err != nil {
		t.Fatal(err)
	}
	recorded, err := strconv.ParseFloat(md["dev_exact_match"], 64)
	if err != nil {
		t.Fatalf("no dev_exact_match in the decoder's metadata: %v", md)
	}
	for _, k := range []string{"command", "seed"} {
		if md[k] == "" {
			t.Errorf("provenance lacks %q", k)
		}
	}
	m, tok, err := embedded.Decoder()
	if err != nil {
		t.Fatal(err)
	}
	eot, _ := tok.TokenID("<|eot_id|>")
	_, _, dev, _ := data.Default()
	var exs []train.Example
	var want []string
	for _, d := range dev {
		if d.Kind == data.KindTranslate || len(exs) == 60 {
			continue
		}
		p := train.Llama3Chat(train.UserMessage(d.Instruction, "<foreign>"+d.EnglishPassage+"</foreign>"))
		exs = append(exs, train.Example{Prompt: tok.Encode(p, false)})
		want = append(want, d.Answer)
	}
	gen, err := train.GenerateAnswers(m, nil, exs, eot, 24, []int{eot}, 30)
	if err != nil {
		t.Fatal(err)
	}
	ok := 0
	for i, g := range gen {
		if eval.ExactMatch(strings.TrimSpace(tok.Decode(g)), want[i]) {
			ok++
		}
	}
	em := float64(ok) / float64(len(gen))
	t.Logf("dev exact match on %d questions: %.3f (recorded on the full dev subset: %.3f)", len(gen), em, recorded)
	if em < recorded-0.1 {
		t.Fatalf("embedded decoder answers %.3f of dev questions, recorded %.3f", em, recorded)
	}
}

func TestEncoderLoads(t *testing.T) {
	m, tok, err := embedded.Encoder()
	if err != nil {
		t.Fatal(err)
	}
	md, err := embedded.Metadata("encoder")
	if err != nil || md["final_mlm_loss"] == "" {
		t.Fatalf("metadata %v %v", md, err)
	}
	ids := tok.Encode("សុខ ដារ៉ា បានទិញប្រេងសាំង៩៥លីត្រ។", true)
	b := xlmr.PadRight([][]int{ids}, m.Config.PadTokenID)
	v := xlmr.MeanPool(m.Encode(b), b.Mask)
	if v.Len() != m.Config.Hidden {
		t.Fatalf("pooled vector of %d values", v.Len())
	}
}
