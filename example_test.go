package llink_test

import (
	"fmt"
	"log"
	"os"

	"github.com/llink-go/llink"
	parts "github.com/llink-go/llink/models/llink"
)

// Load a real decoder, encoder and LLINK bundle from disk (not run: it
// needs the checkpoints).
func ExampleLoad() {
	m, err := llink.Load(llink.Options{
		Decoder:   "models/Llama-3.2-1B-Instruct", // config.json, model.safetensors, tokenizer.json
		Encoder:   "models/xlm-roberta-base",
		Bundle:    "runs/latest/llink.safetensors",
		DecoderID: "meta-llama/Llama-3.2-1B-Instruct",
		EncoderID: "FacebookAI/xlm-roberta-base",
		BF16:      true,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	answer, err := m.Answer("Translate to English.", "សុខមានគោបីក្បាល")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(answer)
}

// Join models already in memory with a bundle. tinyParts (tiny_test.go)
// builds random tiny models and writes an untrained bundle, so this runs
// offline; with real models the calls are the same.
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "llink")
	defer os.RemoveAll(dir)
	c, bundlePath := tinyParts(dir, 2)

	// LoadBundle checks the bundle against the decoder and adds LLINK's token
	// rows if the decoder lacks them; New attaches its LoRA adapters.
	b, err := parts.LoadBundle(bundlePath, c.Decoder, c.Encoder.Width(), c.DecoderID, c.EncoderID)
	if err != nil {
		log.Fatal(err)
	}
	m, err := llink.New(c, b)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("slots:", m.K(), "width:", m.Dim())
	// Output: slots: 2 width: 32
}

func ExampleModel_Embed() {
	m := tinyModel()
	v, err := m.Embed("សុខមានគោបីក្បាល")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(v) == m.Dim())
	_, err = m.Embed("")
	fmt.Println(err)
	// Output:
	// true
	// llink: bad input: the Khmer text is empty
}

func ExampleModel_Retrieve() {
	m := tinyModel()
	english := []string{"Sok has three cows.", "Dara sells rice.", "Vy reads a book."}
	ranked, err := m.Retrieve("សុខមានគោបីក្បាល", english)
	if err != nil {
		log.Fatal(err)
	}
	// Best first; an untrained model ranks at random, a trained one puts
	// "Sok has three cows." first.
	fmt.Println(len(ranked), ranked[0].Score >= ranked[1].Score && ranked[1].Score >= ranked[2].Score)
	// Output: 3 true
}

func ExampleModel_Answer() {
	m := tinyModel()
	answer, err := m.Answer("Translate to English.", "សុខមានគោបីក្បាល")
	if err != nil {
		log.Fatal(err)
	}
	_ = answer // an untrained model's answer is noise
	_, err = m.Answer("Translate <f0> to English.", "សុខ")
	fmt.Println(err)
	// Output: llink: bad input: the instruction contains LLINK's reserved token <f0>
}

func ExampleModel_Prompt() {
	m := tinyModel()
	fmt.Printf("%q\n", m.Prompt("How many cows are there?", "សុខមានគោ៣ក្បាល")) // Khmer digit ៣ = 3
	// Output: "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nInstruction: How many cows are there?\nForeign: <foreign><f0><f1> 3</foreign>\nAnswer in English only.<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
}
