package llama

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/llink-go/llink/models/safetensors"
	"github.com/llink-go/llink/tensor"
)

// memSource is an in-memory tensor Source for loader tests.
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
func (s memSource) BF16(n string) ([]uint16, error) { return make([]uint16, s[n].NumElements()), nil }

func tinyConfig() Config {
	c := Tiny(50)
	c.Hidden, c.Intermediate, c.Layers, c.Heads, c.KVHeads, c.HeadDim = 16, 24, 2, 4, 2, 4
	return c
}

func completeSource(c Config) memSource {
	s := memSource{}
	names, shapes := TensorNames(c)
	for i, n := range names {
		s[n] = safetensors.TensorInfo{Name: n, DType: safetensors.F32, Shape: shapes[i]}
	}
	return s
}

func TestLoadErrorsNameTensors(t *testing.T) {
	c := tinyConfig()
	tests := []struct {
		name  string
		edit  func(s memSource)
		wants []string // substrings of the error; none means success
	}{
		{"complete", func(memSource) {}, nil},
		{"missing", func(s memSource) { delete(s, "model.layers.1.mlp.up_proj.weight") },
			[]string{"missing tensor model.layers.1.mlp.up_proj.weight"}},
		{"unexpected", func(s memSource) { s["model.layers.2.mlp.up_proj.weight"] = safetensors.TensorInfo{Shape: []int{1}} },
			[]string{"unexpected tensor model.layers.2.mlp.up_proj.weight"}},
		{"shape", func(s memSource) {
			s["model.layers.0.self_attn.k_proj.weight"] = safetensors.TensorInfo{Shape: []int{16, 16}}
		}, []string{"model.layers.0.self_attn.k_proj.weight has shape [16 16], want [8 16]"}},
		{"several", func(s memSource) {
			delete(s, "model.norm.weight")
			s["extra"] = safetensors.TensorInfo{Shape: []int{2}}
		}, []string{"missing tensor model.norm.weight", "unexpected tensor extra"}},
		{"tied head copy ignored", func(s memSource) {
			s["lm_head.weight"] = safetensors.TensorInfo{Shape: []int{50, 16}}
		}, nil},
		{"rotary buffers ignored", func(s memSource) {
			s["model.layers.0.self_attn.rotary_emb.inv_freq"] = safetensors.TensorInfo{Shape: []int{2}}
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := completeSource(c)
			tc.edit(s)
			_, err := FromCheckpoint(c, s, LoadOptions{})
			if len(tc.wants) == 0 {
				if err != nil {
					t.Fatal(err)
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

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name, json string
		check      func(c Config) bool
		bad        bool
	}{
		{"defaults", `{"vocab_size":10,"hidden_size":8,"intermediate_size":16,"num_hidden_layers":1,"num_attention_heads":2}`,
			func(c Config) bool { return c.KVHeads == 2 && c.HeadDim == 4 && c.RopeTheta == 10000 }, false},
		{"eos list", `{"vocab_size":10,"hidden_size":8,"intermediate_size":16,"num_hidden_layers":1,"num_attention_heads":2,"eos_token_id":[3,4],"bos_token_id":1}`,
			func(c Config) bool { return slices.Equal(c.EOS, []int{3, 4}) && slices.Equal(c.BOS, []int{1}) }, false},
		{"bad gqa", `{"vocab_size":10,"hidden_size":8,"intermediate_size":16,"num_hidden_layers":1,"num_attention_heads":3,"num_key_value_heads":2}`, nil, true},
		{"bad rope", `{"vocab_size":10,"hidden_size":8,"intermediate_size":16,"num_hidden_layers":1,"num_attention_heads":2,"rope_scaling":{"rope_type":"yarn","factor":2}}`, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tc.json))
			if tc.bad != (err != nil) {
				t.Fatalf("err = %v, want error %v", err, tc.bad)
			}
			if err == nil && !tc.check(c) {
				t.Errorf("config %+v", c)
			}
		})
	}
	if got := Llama32_1B().Params(); got < 1_235_000_000 || got > 1_236_000_000 {
		t.Errorf("Llama-3.2-1B has %d parameters, want ≈1.2358e9", got)
	}
}

func TestSamplingOptions(t *testing.T) {
	m := New(tinyConfig(), rand.New(rand.NewPCG(1, 2)))
	// Larger weights make the distribution less flat.
	for _, l := range m.Layers {
		l.O.W.ScaleInPlace(20)
	}
	m.Emb.W.ScaleInPlace(50)
	prompts := [][]int{{1, 2, 3}, {4, 5}}
	tests := []struct {
		name string
		opt  GenerateOptions
	}{
		{"greedy", GenerateOptions{MaxNew: 6}},
		{"temperature", GenerateOptions{MaxNew: 6, Temperature: 0.8, Seed: 7}},
		{"top-k", GenerateOptions{MaxNew: 6, Temperature: 1, TopK: 3, Seed: 7}},
		{"top-p", GenerateOptions{MaxNew: 6, Temperature: 1, TopP: 0.5, Seed: 7}},
		{"repetition", GenerateOptions{MaxNew: 6, RepetitionPenalty: 1.3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := m.Generate(prompts, tc.opt)
			b := m.Generate(prompts, tc.opt)
			for r := range prompts {
				if !slices.Equal(a[r], b[r]) || len(a[r]) != tc.opt.MaxNew {
					t.Errorf("row %d: %v then %v", r, a[r], b[r])
				}
				alone := m.Generate(prompts[r:r+1], tc.opt)[0]
				if tc.opt.Temperature == 0 && !slices.Equal(alone, a[r]) {
					t.Errorf("row %d alone %v, batched %v", r, alone, a[r])
				}
			}
		})
	}
	// top-k 1 is greedy whatever the temperature.
	g := m.Generate(prompts, GenerateOptions{MaxNew: 6})
	k1 := m.Generate(prompts, GenerateOptions{MaxNew: 6, Temperature: 2, TopK: 1, Seed: 3})
	if !slices.Equal(g[0], k1[0]) || !slices.Equal(g[1], k1[1]) {
		t.Errorf("top-k 1 %v differs from greedy %v", k1, g)
	}
	// A stop token ends its row (and is included) while the other row goes on.
	stop := g[0][1]
	s := m.Generate(prompts, GenerateOptions{MaxNew: 6, Stop: []int{stop}})
	if i := slices.Index(s[0], stop); i < 0 || i != len(s[0])-1 {
		t.Errorf("row 0 %v does not end at stop token %d", s[0], stop)
	}
	if j := slices.Index(g[1], stop); j < 0 && !slices.Equal(s[1], g[1]) {
		t.Errorf("row 1 changed by row 0's stop: %v vs %v", s[1], g[1])
	}
}

func TestAddTokens(t *testing.T) {
	for _, bf16 := range []bool{false, true} {
		c := tinyConfig()
		c.TieWordEmbeddings = false
		m := New(c, rand.New(rand.NewPCG(3, 4)))
		if bf16 {
			m.ToBF16()
		}
		first := m.AddTokens(3)
		if first != 50 || m.Config.VocabSize != 53 || m.Emb.Out() != 53 || m.Head.Out() != 53 {
			t.Fatalf("first %d vocab %d emb %v head %v", first, m.Config.VocabSize, m.Emb.Shape(), m.Head.Shape())
		}
		e := m.Emb.Float32()
		for j := range 16 {
			var mean float64
			for r := range 50 {
				mean += float64(e.At(r, j))
			}
			mean /= 50
			if d := float64(e.At(52, j)) - mean; d > 1e-2*max(1e-3, -mean, mean) && d > 1e-5 {
				t.Errorf("bf16=%v: new row col %d = %g, mean %g", bf16, j, e.At(52, j), mean)
			}
		}
		if got := m.Logits(m.Forward(Batch{B: 1, T: 2, IDs: []int{51, 52}}, nil)); got.Dim(-1) != 53 {
			t.Errorf("logits shape %v", got.Shape())
		}
	}
}

func TestCacheTruncate(t *testing.T) {
	m := New(tinyConfig(), rand.New(rand.NewPCG(5, 6)))
	ids := []int{3, 9, 27, 31, 7}
	full := m.Logits(m.Forward(Batch{B: 1, T: 5, IDs: ids}, nil))
	c := m.NewCache(1, 8)
	m.Forward(Batch{B: 1, T: 3, IDs: ids[:3]}, c)
	m.Forward(Batch{B: 1, T: 2, IDs: []int{1, 1}}, c)
	c.Truncate(3)
	if c.Len() != 3 || c.Seen(0) != 3 {
		t.Fatalf("after Truncate: len %d seen %d", c.Len(), c.Seen(0))
	}
	got := m.Logits(m.Forward(Batch{B: 1, T: 2, IDs: ids[3:]}, c))
	checkClose(t, "after truncate", got.Data(), full.Data()[3*50:])
}

// TestParseConfigErrorsNameKey checks that config.json errors (through
// hfconfig, the one parser) name the offending key.
func TestParseConfigErrorsNameKey(t *testing.T) {
	const base = `"vocab_size":10,"hidden_size":8,"intermediate_size":16,"num_hidden_layers":1,"num_attention_heads":2`
	for _, tc := range []struct{ name, json, key string }{
		{"string size", `{"vocab_size":"10","hidden_size":8,"intermediate_size":16,"num_hidden_layers":1,"num_attention_heads":2}`, `"vocab_size"`},
		{"missing", `{"hidden_size":8,"intermediate_size":16,"num_hidden_layers":1,"num_attention_heads":2}`, `"vocab_size"`},
		{"unknown rope key", `{` + base + `,"rope_scaling":{"rope_type":"llama3","factor":8,"low_freq_factor":1,"high_freq_factor":4,"original_max_position_embeddings":8,"beta_fast":32}}`, `"rope_scaling.beta_fast"`},
		{"rope type", `{` + base + `,"rope_scaling":{"rope_type":"yarn","factor":2}}`, `"rope_scaling.rope_type"`},
		{"two bos", `{` + base + `,"bos_token_id":[1,2]}`, `"bos_token_id"`},
		{"linear rope", `{` + base + `,"rope_scaling":{"type":"linear","factor":2}}`, "linear"},
		{"model type", `{` + base + `,"model_type":"mistral"}`, `"model_type"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.key) {
				t.Fatalf("error %v, want one naming %s", err, tc.key)
			}
		})
	}
}

// TestConfigJSONRoundTrip: a Config written as JSON (as llink's own
// pretraining writes config.json) parses back to itself.
func TestConfigJSONRoundTrip(t *testing.T) {
	for _, c := range []Config{Llama32_1B(), Tiny(300)} {
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

// TestNewBF16MatchesNewToBF16: NewBF16 draws the same values as New and
// stores every matrix as New followed by ToBF16 does.
func TestNewBF16MatchesNewToBF16(t *testing.T) {
	c := tinyConfig()
	c.TieWordEmbeddings = false
	want := New(c, rand.New(rand.NewPCG(7, 8)))
	want.ToBF16()
	got := NewBF16(c, rand.New(rand.NewPCG(7, 8)))
	if got.Bytes() != want.Bytes() {
		t.Fatalf("bytes %d, want %d", got.Bytes(), want.Bytes())
	}
	ws := func(m *Model) []*Weight {
		out := []*Weight{m.Emb, m.Head}
		for _, l := range m.Layers {
			out = append(out, l.Q, l.K, l.V, l.O, l.Gate, l.Up, l.Down)
		}
		return out
	}
	g, w := ws(got), ws(want)
	for i := range w {
		if g[i].H == nil || g[i].W != nil {
			t.Fatalf("weight %d is not bf16-only", i)
		}
		if !slices.Equal(g[i].Float32().Data(), w[i].Float32().Data()) {
			t.Fatalf("weight %d differs", i)
		}
	}
	ids := []int{1, 4, 2, 7}
	b := Batch{B: 1, T: len(ids), IDs: ids}
	if !slices.Equal(got.Logits(got.Forward(b, nil)).Data(), want.Logits(want.Forward(b, nil)).Data()) {
		t.Error("logits differ")
	}
}

// TestPooledForwardAndLogitsInto checks that forwards given no cache (which
// reuse a pooled temporary cache) equal forwards with a fresh cache of
// their own, whatever ran before (other batch sizes, lengths and padding),
// and that LogitsInto equals Logits while refusing a wrong-sized buffer.
func TestPooledForwardAndLogitsInto(t *testing.T) {
	c := Tiny(97)
	c.Hidden, c.Intermediate, c.Layers, c.Heads, c.KVHeads, c.HeadDim = 32, 48, 2, 4, 2, 8
	m := New(c, rand.New(rand.NewPCG(1, 2)))
	r := rand.New(rand.NewPCG(3, 4))
	seq := func(n int) []int {
		s := make([]int, n)
		for i := range s {
			s[i] = r.IntN(c.VocabSize)
		}
		return s
	}
	var logits *tensor.Tensor
	for i, b := range []Batch{
		PadLeft([][]int{seq(5), seq(9)}, 0), {B: 1, T: 4, IDs: seq(4)}, PadRight([][]int{seq(7), seq(3)}, 0),
		PadLeft([][]int{seq(2), seq(6)}, 0), {B: 3, T: 2, IDs: seq(6)},
	} {
		got := m.Forward(b, nil)
		want := m.Forward(b, m.NewCache(b.B, b.T))
		if !slices.Equal(got.Data(), want.Data()) {
			t.Fatalf("batch %d: a pooled-cache forward differs from a fresh-cache one", i)
		}
		if logits == nil || logits.Len() != got.Rows()*c.VocabSize {
			logits = tensor.New(got.Rows() * c.VocabSize)
		}
		logits = m.LogitsInto(logits, got)
		if w := m.Logits(got); !slices.Equal(logits.Data(), w.Data()) || !slices.Equal(logits.Shape(), w.Shape()) {
			t.Fatalf("batch %d: LogitsInto %v differs from Logits %v", i, logits.Shape(), w.Shape())
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("LogitsInto accepted a buffer of the wrong size")
		}
	}()
	m.LogitsInto(tensor.New(5), m.Forward(Batch{B: 1, T: 2, IDs: seq(2)}, nil))
}

func TestCheckGenerate(t *testing.T) {
	m := New(tinyConfig(), rand.New(rand.NewPCG(1, 2)))
	m.Config.MaxPositions = 64
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name      string
		promptLen int
		opt       GenerateOptions
		want      string // substring of the error; "" means valid
	}{
		{"greedy", 3, GenerateOptions{MaxNew: 4}, ""},
		{"sampling", 3, GenerateOptions{MaxNew: 4, Temperature: 0.7, TopK: 5, TopP: 0.9, RepetitionPenalty: 1.2, Stop: []int{49}}, ""},
		{"top-p 1 and penalty 0 are off", 3, GenerateOptions{MaxNew: 4, Temperature: 1, TopP: 1, RepetitionPenalty: 0}, ""},
		{"fills the context", 60, GenerateOptions{MaxNew: 4}, ""},
		{"negative max-new", 3, GenerateOptions{MaxNew: -1}, "MaxNew -1: want 0 or more"},
		{"NaN temperature", 3, GenerateOptions{MaxNew: 4, Temperature: nan}, "Temperature NaN: want 0 (greedy) or a finite positive number"},
		{"negative temperature", 3, GenerateOptions{MaxNew: 4, Temperature: -0.5}, "Temperature -0.5"},
		{"infinite temperature", 3, GenerateOptions{MaxNew: 4, Temperature: inf}, "Temperature +Inf"},
		{"negative top-k", 3, GenerateOptions{MaxNew: 4, Temperature: 1, TopK: -2}, "TopK -2: want 0 (off) or more"},
		{"top-p above 1", 3, GenerateOptions{MaxNew: 4, Temperature: 1, TopP: 1.5}, "TopP 1.5: want 0 (off) or a value in (0, 1]"},
		{"negative top-p", 3, GenerateOptions{MaxNew: 4, Temperature: 1, TopP: -0.1}, "TopP -0.1"},
		{"NaN top-p", 3, GenerateOptions{MaxNew: 4, Temperature: 1, TopP: nan}, "TopP NaN"},
		{"negative penalty", 3, GenerateOptions{MaxNew: 4, RepetitionPenalty: -1}, "RepetitionPenalty -1"},
		{"NaN penalty", 3, GenerateOptions{MaxNew: 4, RepetitionPenalty: nan}, "RepetitionPenalty NaN"},
		{"stop outside the vocabulary", 3, GenerateOptions{MaxNew: 4, Stop: []int{50}}, "stop token 50 outside the vocabulary [0, 50)"},
		{"pad outside the vocabulary", 3, GenerateOptions{MaxNew: 4, Pad: -1}, "pad token -1 outside the vocabulary"},
		{"one past the context", 61, GenerateOptions{MaxNew: 4}, "61 prompt tokens + 4 new exceed the decoder's context of 64 positions"},
		{"max-new overflows", 3, GenerateOptions{MaxNew: math.MaxInt}, "3 prompt tokens + 9223372036854775807 new exceed"},
		{"prompt alone too long", 65, GenerateOptions{}, "65 prompt tokens + 0 new exceed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := m.CheckGenerate(tc.promptLen, tc.opt)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CheckGenerate = %v, want an error containing %q", err, tc.want)
			}
			// Generate refuses what CheckGenerate refuses, before any work.
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), tc.want) {
					t.Errorf("Generate panicked with %v, want %q", r, tc.want)
				}
			}()
			m.Generate([][]int{make([]int, tc.promptLen)}, tc.opt)
		})
	}
}

// TestPhaseTimes: an attached PhaseTimes sees every phase of a decoding
// step and its logits (each timed above zero), the phases add up to
// Total, and a detached model adds nothing.
func TestPhaseTimes(t *testing.T) {
	m := NewBF16(Tiny(512), rand.New(rand.NewPCG(1, 2)))
	cache := m.NewCache(1, 8)
	var pt PhaseTimes
	m.SetPhaseTimes(&pt)
	m.Logits(m.Forward(Batch{B: 1, T: 2, IDs: []int{5, 6}}, cache))
	m.Logits(m.Forward(Batch{B: 1, T: 1, IDs: []int{7}}, cache))
	var sum time.Duration
	for _, p := range Phases() {
		if pt.Of(p) <= 0 {
			t.Errorf("phase %s: %v, want > 0", p, pt.Of(p))
		}
		sum += pt.Of(p)
	}
	if sum != pt.Total() {
		t.Errorf("phases sum to %v, Total %v", sum, pt.Total())
	}
	m.SetPhaseTimes(nil)
	before := pt
	m.Logits(m.Forward(Batch{B: 1, T: 1, IDs: []int{8}}, cache))
	if pt != before {
		t.Errorf("a detached model changed the times")
	}
	pt.Reset()
	if pt.Total() != 0 {
		t.Errorf("Total after Reset: %v", pt.Total())
	}
}
