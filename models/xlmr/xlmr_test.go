package xlmr

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/llink-go/llink/models/safetensors"
)

// Fixtures from ../testdata/gen_fixtures.py (float64 PyTorch reference on
// the saved float32 weights): float32 error only, tolerance 1e-4 relative
// to the largest reference magnitude.
const relTol = 1e-4

type flat struct {
	Shape []int     `json:"shape"`
	Data  []float32 `json:"data"`
}

type expected struct {
	IDs        [][]int `json:"ids"`
	Mask       [][]int `json:"mask"`
	TokenTypes [][]int `json:"token_types"`
	LastHidden flat    `json:"last_hidden"`
	Mean       flat    `json:"mean"`
	CLS        flat    `json:"cls"`
	Pooler     flat    `json:"pooler"`
}

func relErr(got, want []float32) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	var diff, scale float64
	for i := range want {
		diff = max(diff, math.Abs(float64(got[i])-float64(want[i])))
		scale = max(scale, math.Abs(float64(want[i])))
	}
	return diff / max(scale, 1e-30)
}

func checkClose(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if e := relErr(got, want); e > relTol || math.IsNaN(e) {
		t.Errorf("%s: relative error %.3g > %g", what, e, relTol)
	} else {
		t.Logf("%s: relative error %.3g", what, e)
	}
}

func TestFixtures(t *testing.T) {
	for _, name := range []string{"xlmr", "bert"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("..", "testdata", name)
			m, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile(filepath.Join(dir, "expected.json"))
			if err != nil {
				t.Fatal(err)
			}
			var e expected
			if err := json.Unmarshal(raw, &e); err != nil {
				t.Fatal(err)
			}
			B, T := len(e.IDs), len(e.IDs[0])
			b := Batch{B: B, T: T}
			for r := range B {
				b.IDs = append(b.IDs, e.IDs[r]...)
				for _, v := range e.Mask[r] {
					b.Mask = append(b.Mask, v == 1)
				}
				if e.TokenTypes != nil {
					b.Types = append(b.Types, e.TokenTypes[r]...)
				}
			}
			h := m.Encode(b)
			// Compare the real positions only.
			var got, want []float32
			d := m.Config.Hidden
			for i, real := range b.Mask {
				if real {
					got = append(got, h.Data()[i*d:(i+1)*d]...)
					want = append(want, e.LastHidden.Data[i*d:(i+1)*d]...)
				}
			}
			checkClose(t, "last hidden", got, want)
			checkClose(t, "mean pool", MeanPool(h, b.Mask).Data(), e.Mean.Data)
			checkClose(t, "cls", CLS(h).Data(), e.CLS.Data)
			checkClose(t, "pooler", m.Pool(h).Data(), e.Pooler.Data)

			// Each row alone gives the same vector as in the padded batch.
			for r := range B {
				n := 0
				for _, v := range e.Mask[r] {
					n += v
				}
				one := Batch{B: 1, T: n, IDs: e.IDs[r][:n]}
				if e.TokenTypes != nil {
					one.Types = e.TokenTypes[r][:n]
				}
				checkClose(t, "row alone", MeanPool(m.Encode(one), nil).Data(), e.Mean.Data[r*d:(r+1)*d])
			}
		})
	}
}

type memSource map[string]safetensors.TensorInfo

func (s memSource) Names() []string {
	var n []string
	for k := range s {
		n = append(n, k)
	}
	return n
}
func (s memSource) Info(n string) (safetensors.TensorInfo, bool) { i, ok := s[n]; return i, ok }
func (s memSource) Float32(n string) ([]float32, error) {
	return make([]float32, s[n].NumElements()), nil
}

func TestLoadNames(t *testing.T) {
	c := Tiny(30)
	c.Hidden, c.Heads, c.Intermediate, c.MaxPositions = 8, 2, 16, 12
	complete := func(prefix string) memSource {
		s := memSource{}
		names, shapes := TensorNames(c)
		for i, n := range names {
			s[prefix+n] = safetensors.TensorInfo{Name: prefix + n, Shape: shapes[i]}
		}
		return s
	}
	tests := []struct {
		name   string
		prefix string
		edit   func(s memSource)
		wants  []string
		pooler bool
	}{
		{"bare", "", func(memSource) {}, nil, false},
		{"roberta prefix with MLM head and pooler", "roberta.", func(s memSource) {
			s["lm_head.dense.weight"] = safetensors.TensorInfo{Shape: []int{8, 8}}
			s["roberta.pooler.dense.weight"] = safetensors.TensorInfo{Shape: []int{8, 8}}
			s["roberta.pooler.dense.bias"] = safetensors.TensorInfo{Shape: []int{8}}
			s["roberta.embeddings.position_ids"] = safetensors.TensorInfo{Shape: []int{1, 12}}
		}, nil, true},
		{"missing", "bert.", func(s memSource) { delete(s, "bert.encoder.layer.1.output.dense.bias") },
			[]string{"missing tensor bert.encoder.layer.1.output.dense.bias"}, false},
		{"half a pooler", "", func(s memSource) { s["pooler.dense.weight"] = safetensors.TensorInfo{Shape: []int{8, 8}} },
			[]string{"missing tensor pooler.dense.bias"}, false},
		{"shape", "", func(s memSource) {
			s["embeddings.position_embeddings.weight"] = safetensors.TensorInfo{Shape: []int{10, 8}}
		},
			[]string{"embeddings.position_embeddings.weight has shape [10 8], want [12 8]"}, false},
		{"unexpected", "", func(s memSource) { s["encoder.layer.2.output.dense.bias"] = safetensors.TensorInfo{Shape: []int{8}} },
			[]string{"unexpected tensor encoder.layer.2.output.dense.bias"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := complete(tc.prefix)
			tc.edit(s)
			m, err := FromCheckpoint(c, s)
			if len(tc.wants) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if (m.Pooler != nil) != tc.pooler {
					t.Errorf("pooler loaded = %v, want %v", m.Pooler != nil, tc.pooler)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestPositions(t *testing.T) {
	m := &Model{Config: XLMRBase()}
	got := m.positions(PadRight([][]int{{0, 5, 2}, {0, 2}}, 1))
	want := []int{2, 3, 4, 2, 3, 1}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("positions %v, want %v", got, want)
		}
	}
}

// TestParseConfigErrorsNameKey: config.json errors (through hfconfig, the
// one parser) name the offending key.
func TestParseConfigErrorsNameKey(t *testing.T) {
	const base = `"vocab_size":100,"hidden_size":32,"num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":64,"max_position_embeddings":40`
	for _, tc := range []struct{ name, json, key string }{
		{"no model type", `{` + base + `}`, `"model_type"`},
		{"other model", `{"model_type":"gpt2",` + base + `}`, `"model_type"`},
		{"string size", `{"model_type":"bert","vocab_size":"100","hidden_size":32,"num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":64,"max_position_embeddings":40}`, `"vocab_size"`},
		{"relative positions", `{"model_type":"bert",` + base + `,"position_embedding_type":"relative_key"}`, `"position_embedding_type"`},
		{"pad outside", `{"model_type":"xlm-roberta",` + base + `,"pad_token_id":100}`, `"pad_token_id"`},
		{"heads", `{"model_type":"bert","vocab_size":100,"hidden_size":32,"num_hidden_layers":1,"num_attention_heads":3,"intermediate_size":64,"max_position_embeddings":40}`, `"num_attention_heads"`},
		{"activation", `{"model_type":"bert",` + base + `,"hidden_act":"relu"}`, "hidden_act"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.key) {
				t.Fatalf("error %v, want one naming %s", err, tc.key)
			}
		})
	}
}

// TestConfigJSONRoundTrip: a Config written as JSON (as llink's encoder
// pretraining writes config.json) parses back to itself.
func TestConfigJSONRoundTrip(t *testing.T) {
	for _, c := range []Config{XLMRBase(), Tiny(300)} {
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseConfig(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c) {
			t.Errorf("round trip\n got %+v\nwant %+v", got, c)
		}
	}
}
