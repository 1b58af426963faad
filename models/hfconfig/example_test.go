package hfconfig_test

import (
	"fmt"
	"log"

	"github.com/llink-go/llink/models/hfconfig"
)

func ExampleParseLlama() {
	c, err := hfconfig.ParseLlama([]byte(`{
		"model_type": "llama", "vocab_size": 300, "hidden_size": 64, "intermediate_size": 160,
		"num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
		"rope_theta": 500000.0, "tie_word_embeddings": true, "eos_token_id": [1, 2],
		"rope_scaling": {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
			"high_freq_factor": 4.0, "original_max_position_embeddings": 64},
		"some_unknown_key": 1}`), "config.json")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.HeadDim, c.NumKVHeads, c.RopeScaling.Type, c.EOSTokenIDs, c.TieWordEmbeddings)
	// Output: 16 2 llama3 [1 2] true
}

func ExampleParseEncoder() {
	c, err := hfconfig.ParseEncoder([]byte(`{"model_type": "xlm-roberta", "vocab_size": 250002,
		"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12,
		"intermediate_size": 3072, "max_position_embeddings": 514, "pad_token_id": 1}`), "config.json")
	if err != nil {
		log.Fatal(err)
	}
	// Keys left out take XLMRobertaConfig's defaults (eps 1e-12, 2 types).
	fmt.Println(c.PositionOffset, c.MaxSequenceLength(), c.LayerNormEps, c.TypeVocabSize)
	// Output: 2 512 1e-12 2
}

func Example_presets() {
	c := hfconfig.Llama32_1B()
	fmt.Println(c.NumLayers, c.HiddenSize, c.NumHeads, c.NumKVHeads, c.RopeScaling.Factor, c.Validate())
	// Output: 16 2048 32 8 32 <nil>
}
