package hfconfig

// Llama32_1B returns the configuration of meta-llama/Llama-3.2-1B(-Instruct),
// the frozen decoder of the LLINK paper.
func Llama32_1B() *Llama {
	return &Llama{
		ModelType:             "llama",
		VocabSize:             128256,
		HiddenSize:            2048,
		IntermediateSize:      8192,
		NumLayers:             16,
		NumHeads:              32,
		NumKVHeads:            8,
		HeadDim:               64,
		RMSNormEps:            1e-5,
		RopeTheta:             500000,
		RopeScaling:           &RopeScaling{Type: "llama3", Factor: 32, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositionEmbeddings: 8192},
		MaxPositionEmbeddings: 131072,
		TieWordEmbeddings:     true,
		HiddenAct:             "silu",
		BOSTokenID:            128000,
		EOSTokenIDs:           []int{128001, 128008, 128009},
		TorchDType:            "bfloat16",
	}
}

// Llama32_3B returns the configuration of meta-llama/Llama-3.2-3B(-Instruct).
func Llama32_3B() *Llama {
	c := Llama32_1B()
	c.HiddenSize = 3072
	c.NumLayers = 28
	c.NumHeads = 24
	c.HeadDim = 128
	return c
}

// XLMRBase returns the configuration of FacebookAI/xlm-roberta-base, the
// frozen encoder of the LLINK paper.
func XLMRBase() *Encoder {
	return &Encoder{
		ModelType:             "xlm-roberta",
		VocabSize:             250002,
		HiddenSize:            768,
		NumLayers:             12,
		NumHeads:              12,
		IntermediateSize:      3072,
		HiddenAct:             "gelu",
		MaxPositionEmbeddings: 514,
		TypeVocabSize:         1,
		LayerNormEps:          1e-5,
		PadTokenID:            1,
		PositionOffset:        2,
		TorchDType:            "float32",
		BOSTokenID:            0,
		EOSTokenID:            2,
	}
}
