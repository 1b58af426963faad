package llink

import "testing"

// TestFormsOfTheTable shows the foreign span of every row of the fair
// evaluation's table, each one Form value: the only thing the rows'
// prompts differ in.
func TestFormsOfTheTable(t *testing.T) {
	text := "ស្ករត្នោត3 kg ឆ្នាំ២០១៧"
	for _, c := range []struct {
		row  string
		form Form
		want string
	}{
		{"base", Form{Content: Raw}, "<foreign>" + text + "</foreign>"},
		{"base + copy", Form{Content: Raw, Copy: true}, "<foreign>" + text + " 3 kg 2017</foreign>"},
		{"direct FT", Form{Content: Raw}, "<foreign>" + text + "</foreign>"},
		{"direct FT + copy", Form{Content: Raw, Copy: true}, "<foreign>" + text + " 3 kg 2017</foreign>"},
		{"copy only", Form{Content: Nothing, Copy: true}, "<foreign> 3 kg 2017</foreign>"},
		{"Stage A only", Form{Content: SlotTokens, K: 1, Copy: true}, "<foreign><f0> 3 kg 2017</foreign>"},
		{"LLINK without copy", Form{Content: SlotTokens, K: 3}, "<foreign><f0><f1><f2></foreign>"},
		{"LLINK", Form{Content: SlotTokens, K: 3, Copy: true}, "<foreign><f0><f1><f2> 3 kg 2017</foreign>"},
	} {
		if got := c.form.Span(text); got != c.want {
			t.Errorf("%s: %+v.Span = %q, want %q", c.row, c.form, got, c.want)
		}
		msg := UserMessage("How much?", c.form.Span(text))
		if want := "Instruction: How much?\nForeign: " + c.want + "\nAnswer in English only."; msg != want {
			t.Errorf("%s: user message %q, want %q", c.row, msg, want)
		}
	}
	if got := (Form{Content: Nothing}).Span(text); got != "<foreign></foreign>" {
		t.Errorf("no content, no copy: %q", got)
	}
	c := Config{K: 2, CopyChannel: true}
	if got, want := c.Form(), (Form{Content: SlotTokens, K: 2, Copy: true}); got != want {
		t.Errorf("Config.Form() = %+v, want %+v", got, want)
	}
}

func TestTokenNames(t *testing.T) {
	got := TokenNames(2)
	want := []string{"<foreign>", "</foreign>", "<foreign_emb>", "<f0>", "<f1>"}
	if len(got) != len(want) {
		t.Fatalf("TokenNames(2) = %q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("TokenNames(2) = %q, want %q", got, want)
		}
	}
	if Llama3Chat("hi") != "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n" {
		t.Fatalf("Llama3Chat = %q", Llama3Chat("hi"))
	}
}
