package tokenizer_test

import (
	"fmt"

	"github.com/llink-go/llink/models/tokenizer"
)

// Train a tiny byte-level BPE, add LLINK's tokens and encode a prompt.
func Example() {
	texts := []string{"the cat sat on the mat", "the dog sat on the log", "ខ្ញុំស្រលាញ់ភាសាខ្មែរ"}
	tok, err := tokenizer.TrainBPE(texts, tokenizer.BPETrainConfig{VocabSize: 280, Specials: []string{tokenizer.BeginOfText}, BOS: tokenizer.BeginOfText})
	if err != nil {
		panic(err)
	}
	slots := tok.AddSpecialTokens("<foreign>", "</foreign>", "<foreign_emb>", "<f0>")
	ids := tok.Encode("the cat <f0>", true)
	bos, _ := tok.TokenID(tokenizer.BeginOfText)
	fmt.Println(ids[0] == bos, ids[len(ids)-1] == slots[3])
	fmt.Println(tok.Decode(ids))
	// Output:
	// true true
	// <|begin_of_text|>the cat <f0>
}

func ExampleLlama3Prompt() {
	fmt.Printf("%q\n", tokenizer.Llama3Prompt("", "Hi"))
	// Output:
	// "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
}

func ExampleNewUnigram() {
	u, err := tokenizer.NewUnigram(tokenizer.UnigramConfig{
		Pieces:         []string{"<unk>", "▁he", "llo", "▁hello", "▁", "h", "e", "l", "o"},
		Scores:         []float64{0, -2, -2, -3, -4, -5, -5, -5, -5},
		UnkID:          0,
		AddDummyPrefix: true,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(u.Encode("hello  hello", false), u.Normalize("hello  hello"))
	// Output:
	// [3 3] ▁hello▁hello
}
