package hfconfig

import "testing"

func FuzzConfigParse(f *testing.F) {
	f.Add([]byte(llama32Config))
	f.Add([]byte(xlmrConfig))
	f.Add([]byte(`{"model_type":"bert","vocab_size":1e300,"hidden_size":-0,"eos_token_id":[1.5]}`))
	f.Add([]byte(`{"rope_scaling":{"rope_type":"llama3"},"rope_parameters":7}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if c, err := ParseLlama(data, "fuzz.json"); err == nil {
			if c.HiddenSize%c.NumHeads != 0 || c.NumHeads%c.NumKVHeads != 0 || c.HeadDim <= 0 {
				t.Fatalf("accepted inconsistent config %+v", c)
			}
		}
		if c, err := ParseEncoder(data, "fuzz.json"); err == nil {
			if c.HiddenSize%c.NumHeads != 0 || c.MaxSequenceLength() <= 0 {
				t.Fatalf("accepted inconsistent config %+v", c)
			}
		}
	})
}
