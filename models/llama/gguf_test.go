package llama

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/models/gguf"
	"github.com/llink-go/llink/models/safetensors"
)

// valueSource is an in-memory Source holding real values.
type valueSource map[string][]float32

func (s valueSource) Names() []string {
	var n []string
	for k := range s {
		n = append(n, k)
	}
	return n
}

// shapes of the tensors are looked up from the config at construction.
var valueShapes = map[string][]int{}

func (s valueSource) Info(n string) (safetensors.TensorInfo, bool) {
	if _, ok := s[n]; !ok {
		return safetensors.TensorInfo{}, false
	}
	return safetensors.TensorInfo{Name: n, DType: safetensors.F32, Shape: valueShapes[n]}, true
}
func (s valueSource) Float32(n string) ([]float32, error) {
	return append([]float32(nil), s[n]...), nil
}
func (s valueSource) BF16(n string) ([]uint16, error) {
	out := make([]uint16, len(s[n]))
	for i, v := range s[n] {
		out[i] = uint16(math.Float32bits(v) >> 16)
	}
	return out, nil
}

// permuteLikeLlamaCpp is llama.cpp's converter's q/k row order (the inverse
// of unpermute): GGUF row 2i+j of each head is HF row j·hd/2+i.
func permuteLikeLlamaCpp(x []float32, heads, hd, cols int) []float32 {
	out := make([]float32, len(x))
	half := hd / 2
	for h := range heads {
		for i := range half {
			for j := range 2 {
				copy(out[(h*hd+2*i+j)*cols:][:cols], x[(h*hd+j*half+i)*cols:][:cols])
			}
		}
	}
	return out
}

// writeGGUF converts an HF-named model into a GGUF file the way llama.cpp's
// converter does (names, q/k row order, metadata, rope_freqs for llama3
// scaling), optionally with one tensor stored as Q8_0.
func writeGGUF(t *testing.T, c Config, src valueSource, quantise string) string {
	t.Helper()
	w := gguf.NewWriter()
	w.Set("general.architecture", gguf.NewString("llama"))
	for k, v := range map[string]int{"embedding_length": c.Hidden, "block_count": c.Layers, "feed_forward_length": c.Intermediate,
		"attention.head_count": c.Heads, "attention.head_count_kv": c.KVHeads, "context_length": c.MaxPositions, "rope.dimension_count": c.HeadDim} {
		w.Set("llama."+k, gguf.NewUint32(uint32(v)))
	}
	w.Set("llama.attention.layer_norm_rms_epsilon", gguf.NewFloat32(float32(c.RMSNormEps)))
	w.Set("llama.rope.freq_base", gguf.NewFloat32(float32(c.RopeTheta)))
	names, shapes := TensorNames(c)
	toGGUF := ggufNames(c)
	for i, n := range names {
		v := src[n]
		if strings.HasSuffix(n, "q_proj.weight") {
			v = permuteLikeLlamaCpp(v, c.Heads, c.HeadDim, c.Hidden)
		} else if strings.HasSuffix(n, "k_proj.weight") {
			v = permuteLikeLlamaCpp(v, c.KVHeads, c.HeadDim, c.Hidden)
		}
		if toGGUF[n] == quantise {
			// Q5_0 (a type llink does not read): blocks of 32 values in 22 bytes.
			if err := w.AddTensor(quantise, gguf.Q5_0, []uint64{uint64(shapes[i][1]), uint64(shapes[i][0])}, make([]byte, len(v)/32*22)); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := w.AddFloat32(toGGUF[n], shapes[i], v, gguf.F32); err != nil {
			t.Fatal(err)
		}
	}
	if c.RopeScaling != nil {
		plain := c
		plain.RopeScaling = nil
		base, scaled := invFreq(plain), invFreq(c)
		div := make([]float32, len(base))
		for i := range div {
			div[i] = base[i] / scaled[i]
		}
		if err := w.AddFloat32("rope_freqs.weight", []int{len(div)}, div, gguf.F32); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "model.gguf")
	if err := w.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLoadGGUF converts random tied and untied Llama models (GQA, llama3
// RoPE scaling) to GGUF as llama.cpp does and checks the loaded model's
// config and logits against the HF-layout original; a quantised tensor is
// refused by name.
func TestLoadGGUF(t *testing.T) {
	for _, tied := range []bool{true, false} {
		c := Tiny(60)
		c.Hidden, c.Intermediate, c.Layers, c.Heads, c.KVHeads, c.HeadDim = 32, 48, 2, 4, 2, 8
		c.MaxPositions, c.RopeTheta, c.TieWordEmbeddings = 64, 500000, tied
		c.RopeScaling = &RopeScaling{RopeType: "llama3", Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositionEmbeddings: 8}
		names, shapes := TensorNames(c)
		src := valueSource{}
		r := testutil.RNG(3)
		for i, n := range names {
			valueShapes[n] = shapes[i]
			size := 1
			for _, d := range shapes[i] {
				size *= d
			}
			src[n] = testutil.Normal(r, size, 0.3)
		}
		want, err := FromCheckpoint(c, src, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		path := writeGGUF(t, c, src, "")
		got, err := Load(path, LoadOptions{}) // Load hands .gguf files to LoadGGUF
		if err != nil {
			t.Fatal(err)
		}
		if got.Config.TieWordEmbeddings != tied || got.Config.KVHeads != 2 || got.Config.HeadDim != 8 || got.Config.RopeTheta != 500000 {
			t.Fatalf("config from GGUF: %+v", got.Config)
		}
		ids := []int{1, 5, 9, 2, 7, 33, 12, 40, 3, 59, 8, 21, 17, 4, 30, 11, 6, 50, 19, 2}
		b := Batch{IDs: ids, B: 1, T: len(ids)}
		lw, lg := want.Logits(want.Forward(b, nil)), got.Logits(got.Forward(b, nil))
		for i, w := range lw.Data() {
			if g := lg.Data()[i]; math.Abs(float64(g-w)) > 1e-4*(1+math.Abs(float64(w))) {
				t.Fatalf("tied=%v logit %d: GGUF %g, HF %g", tied, i, g, w)
			}
		}
		_, err = LoadGGUF(writeGGUF(t, c, src, "blk.1.attn_v.weight"), LoadOptions{})
		if err == nil || !strings.Contains(err.Error(), "blk.1.attn_v.weight") || !strings.Contains(err.Error(), "quantised") {
			t.Fatalf("quantised tensor: %v", err)
		}
	}
}

// llamaCppName is llama.cpp's name of a Hugging Face tensor, written out
// independently of gguf.go's table.
func llamaCppName(hf string) string {
	switch hf {
	case "model.embed_tokens.weight":
		return "token_embd.weight"
	case "model.norm.weight":
		return "output_norm.weight"
	case "lm_head.weight":
		return "output.weight"
	}
	r := strings.NewReplacer("model.layers.", "blk.",
		"input_layernorm", "attn_norm", "post_attention_layernorm", "ffn_norm",
		"self_attn.q_proj", "attn_q", "self_attn.k_proj", "attn_k",
		"self_attn.v_proj", "attn_v", "self_attn.o_proj", "attn_output",
		"mlp.gate_proj", "ffn_gate", "mlp.up_proj", "ffn_up", "mlp.down_proj", "ffn_down")
	return r.Replace(hf)
}

// convertFixture converts a fixture folder into a GGUF file the way llama.cpp's
// converter does (metadata, names, q/k permutation, llama3 scaling as
// rope_freqs.weight), storing the matrices as typ.
func convertFixture(t *testing.T, dir string, typ gguf.TensorType) string {
	t.Helper()
	cfg, err := ReadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := safetensors.OpenCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	w := gguf.NewWriter()
	u32 := func(k string, v int) { w.Set(k, gguf.NewUint32(uint32(v))) }
	w.Set("general.architecture", gguf.NewString("llama"))
	u32("llama.vocab_size", cfg.VocabSize)
	u32("llama.context_length", cfg.MaxPositions)
	u32("llama.embedding_length", cfg.Hidden)
	u32("llama.block_count", cfg.Layers)
	u32("llama.feed_forward_length", cfg.Intermediate)
	u32("llama.rope.dimension_count", cfg.HeadDim)
	u32("llama.attention.head_count", cfg.Heads)
	u32("llama.attention.head_count_kv", cfg.KVHeads)
	w.Set("llama.attention.layer_norm_rms_epsilon", gguf.NewFloat32(float32(cfg.RMSNormEps)))
	w.Set("llama.rope.freq_base", gguf.NewFloat32(float32(cfg.RopeTheta)))
	u32("tokenizer.ggml.bos_token_id", cfg.BOS[0])
	u32("tokenizer.ggml.eos_token_id", cfg.EOS[0])
	names := ck.Names()
	slices.Sort(names)
	for _, n := range names {
		info, _ := ck.Info(n)
		x, err := ck.Float32(n)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasSuffix(n, "q_proj.weight"):
			x = permuteLikeLlamaCpp(x, cfg.Heads, cfg.HeadDim, info.Shape[1])
		case strings.HasSuffix(n, "k_proj.weight"):
			x = permuteLikeLlamaCpp(x, cfg.KVHeads, cfg.HeadDim, info.Shape[1])
		}
		tt := typ
		if len(info.Shape) == 1 {
			tt = gguf.F32 // llama.cpp keeps norms in f32
		}
		if err := w.AddFloat32(llamaCppName(n), info.Shape, x, tt); err != nil {
			t.Fatal(err)
		}
	}
	if s := cfg.RopeScaling; s != nil && s.kind() == "llama3" {
		// convert_hf_to_gguf.py's llama3 rope_freqs, in float64.
		lowWL := float64(s.OriginalMaxPositionEmbeddings) / s.LowFreqFactor
		highWL := float64(s.OriginalMaxPositionEmbeddings) / s.HighFreqFactor
		var fac []float32
		for i := 0; i < cfg.HeadDim; i += 2 {
			freq := 1 / math.Pow(cfg.RopeTheta, float64(i)/float64(cfg.HeadDim))
			wl := 2 * math.Pi / freq
			switch {
			case wl < highWL:
				fac = append(fac, 1)
			case wl > lowWL:
				fac = append(fac, float32(s.Factor))
			default:
				smooth := (float64(s.OriginalMaxPositionEmbeddings)/wl - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor)
				fac = append(fac, float32(1/((1-smooth)/s.Factor+smooth)))
			}
		}
		if err := w.AddFloat32("rope_freqs.weight", []int{len(fac)}, fac, gguf.F32); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "model.gguf")
	if err := w.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLoadGGUFMatchesSafetensors converts the fixtures to GGUF and checks
// that the GGUF model computes what the safetensors one does (identical
// logits without RoPE scaling; with llama3 scaling, llama.cpp's divisors
// differ from the direct formula by float32 rounding; f16 storage rounds
// the weights) and generates the reference ids.
func TestLoadGGUFMatchesSafetensors(t *testing.T) {
	for _, c := range []struct {
		name, dir string
		typ       gguf.TensorType
		bf16      bool
		tol       float64
	}{
		{"tied-llama3-f32", "llama_tied", gguf.F32, false, 1e-5},
		{"untied-f32", "llama_untied", gguf.F32, false, 0},
		{"untied-f16", "llama_untied", gguf.F16, false, 2e-3},
		{"bf16-llama3-as-bf16", "llama_bf16", gguf.BF16, true, 1e-5},
		{"bf16-llama3-as-f32", "llama_bf16", gguf.BF16, false, 1e-5},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := convertFixture(t, filepath.Join("..", "testdata", c.dir), c.typ)
			g, err := LoadGGUF(path, LoadOptions{BF16: c.bf16})
			if err != nil {
				t.Fatal(err)
			}
			s := load(t, c.dir, c.bf16)
			e := readExpected(t, filepath.Join("..", "testdata", c.dir))
			for _, key := range []string{"a", "b"} {
				seq := e.Seqs[key]
				b := Batch{B: 1, T: len(seq), IDs: seq}
				got := g.Logits(g.Forward(b, nil)).Data()
				want := s.Logits(s.Forward(b, nil)).Data()
				if r := relErr(got, want); r > c.tol || math.IsNaN(r) {
					t.Errorf("%s: GGUF vs safetensors logits: relative error %.3g > %g", key, r, c.tol)
				}
			}
			if c.typ == gguf.F16 {
				return // rounded weights: the greedy ids may differ
			}
			opt := GenerateOptions{MaxNew: e.Greedy.MaxNew}
			for key, want := range map[string][]int{"a": e.Greedy.A, "b": e.Greedy.B} {
				if got := g.Generate([][]int{e.Seqs[key]}, opt)[0]; !slices.Equal(got, want) {
					t.Errorf("%s: generated %v, want %v", key, got, want)
				}
			}
		})
	}
}

func TestGGUFConfig(t *testing.T) {
	dir := filepath.Join("..", "testdata", "llama_tied")
	want, err := ReadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Open(convertFixture(t, dir, gguf.F32))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ConfigFromGGUF(f)
	if err != nil {
		t.Fatal(err)
	}
	if got.RopeScaling == nil || len(got.RopeScaling.Factors) != want.HeadDim/2 {
		t.Fatalf("RoPE scaling %+v, want %d frequency factors", got.RopeScaling, want.HeadDim/2)
	}
	// The factors give the llama3 frequencies.
	if r := relErr(invFreq(got), invFreq(want)); r > 1e-6 {
		t.Errorf("inverse frequencies: relative error %.3g", r)
	}
	if !cmpConfig(got, want) {
		t.Errorf("config\n got %+v\nwant %+v", got, want)
	}
}

// cmpConfig compares configs but RoPE scaling and model type; GGUF stores
// eps and θ as float32, which is also how they are used.
func cmpConfig(a, b Config) bool {
	return a.VocabSize == b.VocabSize && a.Hidden == b.Hidden && a.Intermediate == b.Intermediate &&
		a.Layers == b.Layers && a.Heads == b.Heads && a.KVHeads == b.KVHeads && a.HeadDim == b.HeadDim &&
		a.MaxPositions == b.MaxPositions && float32(a.RMSNormEps) == float32(b.RMSNormEps) && float32(a.RopeTheta) == float32(b.RopeTheta) &&
		a.TieWordEmbeddings == b.TieWordEmbeddings && a.HiddenAct == b.HiddenAct &&
		slices.Equal(a.BOS, b.BOS) && slices.Equal(a.EOS, b.EOS)
}

func TestGGUFErrors(t *testing.T) {
	dir := filepath.Join("..", "testdata", "llama_untied")
	good := convertFixture(t, dir, gguf.F32)
	rewrite := func(t *testing.T, edit func(w *gguf.Writer, ti gguf.TensorInfo, raw []byte) error) string {
		f, err := gguf.Open(good)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		w := gguf.NewWriter()
		for _, k := range f.Keys() {
			v, _ := f.Value(k)
			w.Set(k, v)
		}
		for _, ti := range f.Tensors {
			raw, err := f.ReadRaw(ti.Name)
			if err != nil {
				t.Fatal(err)
			}
			if err := edit(w, ti, raw); err != nil {
				t.Fatal(err)
			}
		}
		p := filepath.Join(t.TempDir(), "bad.gguf")
		if err := w.WriteFile(p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		name string
		edit func(w *gguf.Writer, ti gguf.TensorInfo, raw []byte) error
		want []string
	}{
		{"quantised", func(w *gguf.Writer, ti gguf.TensorInfo, raw []byte) error {
			if ti.Name == "blk.1.ffn_up.weight" {
				n := int(ti.Dims[0]*ti.Dims[1]) / 32 * 22 // Q5_0 blocks (not a type llink reads)
				return w.AddTensor(ti.Name, gguf.Q5_0, ti.Dims, make([]byte, n))
			}
			return w.AddTensor(ti.Name, ti.Type, ti.Dims, raw)
		}, []string{"blk.1.ffn_up.weight", "Q5_0", "not supported"}},
		{"missing and unexpected", func(w *gguf.Writer, ti gguf.TensorInfo, raw []byte) error {
			switch ti.Name {
			case "blk.0.attn_v.weight":
				return nil
			case "blk.0.ffn_gate.weight":
				return w.AddTensor("blk.0.ffn_gate_x.weight", ti.Type, ti.Dims, raw)
			}
			return w.AddTensor(ti.Name, ti.Type, ti.Dims, raw)
		}, []string{"missing tensor model.layers.0.self_attn.v_proj.weight", "unexpected tensor blk.0.ffn_gate_x.weight",
			"missing tensor model.layers.0.mlp.gate_proj.weight"}},
		{"wrong shape", func(w *gguf.Writer, ti gguf.TensorInfo, raw []byte) error {
			if ti.Name == "output_norm.weight" {
				return w.AddTensor(ti.Name, ti.Type, []uint64{ti.Dims[0] / 2}, raw[:len(raw)/2])
			}
			return w.AddTensor(ti.Name, ti.Type, ti.Dims, raw)
		}, []string{"model.norm.weight has shape [32]"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadGGUF(rewrite(t, c.edit), LoadOptions{})
			if err == nil {
				t.Fatal("loaded")
			}
			for _, s := range c.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}
}

func TestUnpermuteInvertsPermute(t *testing.T) {
	const heads, hd, cols = 3, 8, 5
	x := make([]float32, heads*hd*cols)
	for i := range x {
		x[i] = float32(i) + 0.5
	}
	p := permuteLikeLlamaCpp(x, heads, hd, cols)
	if slices.Equal(p, x) {
		t.Fatal("permutation is the identity")
	}
	if got := unpermute(p, heads, []int{heads * hd, cols}); !slices.Equal(got, x) {
		t.Errorf("unpermute(permute(x)) != x")
	}
}

// TestWriteGGUFRoundTrip writes fixture models with WriteGGUF and loads
// them back: same config and logits.
func TestWriteGGUFRoundTrip(t *testing.T) {
	for _, c := range []struct {
		dir  string
		typ  gguf.TensorType
		bf16 bool
		tol  float64
	}{
		{"llama_tied", gguf.F32, false, 1e-5},
		{"llama_untied", gguf.F32, false, 0},
		{"llama_bf16", gguf.BF16, true, 1e-5},
	} {
		t.Run(c.dir, func(t *testing.T) {
			m := load(t, c.dir, c.bf16)
			path := filepath.Join(t.TempDir(), "m.gguf")
			if err := m.WriteGGUF(path, c.typ); err != nil {
				t.Fatal(err)
			}
			g, err := Load(path, LoadOptions{BF16: c.bf16})
			if err != nil {
				t.Fatal(err)
			}
			if !cmpConfig(g.Config, m.Config) {
				t.Errorf("config\n got %+v\nwant %+v", g.Config, m.Config)
			}
			e := readExpected(t, filepath.Join("..", "testdata", c.dir))
			for _, key := range []string{"a", "b"} {
				seq := e.Seqs[key]
				b := Batch{B: 1, T: len(seq), IDs: seq}
				got := g.Logits(g.Forward(b, nil)).Data()
				want := m.Logits(m.Forward(b, nil)).Data()
				if r := relErr(got, want); r > c.tol || math.IsNaN(r) {
					t.Errorf("%s: logits relative error %.3g > %g", key, r, c.tol)
				}
			}
		})
	}
}

// TestNonFiniteWeightsRefused: a NaN or Inf in a checkpoint's weights is a
// load error naming the tensor (safetensors folder and GGUF file, f32 and
// bf16 loading), instead of a model that answers with NaN logits.
func TestNonFiniteWeightsRefused(t *testing.T) {
	src := filepath.Join("..", "testdata", "llama_tied")
	ck, err := safetensors.OpenCheckpoint(src)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	const bad = "model.layers.1.mlp.down_proj.weight"
	var ts []safetensors.Tensor
	for _, n := range ck.Names() {
		info, _ := ck.Info(n)
		x, err := ck.Float32(n)
		if err != nil {
			t.Fatal(err)
		}
		if n == bad {
			x[5] = float32(math.NaN())
		}
		ts = append(ts, safetensors.FromFloat32(n, info.Shape, x, info.DType))
	}
	dir := t.TempDir()
	cfg, _ := os.ReadFile(filepath.Join(src, "config.json"))
	os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o644)
	if err := safetensors.Write(filepath.Join(dir, "model.safetensors"), ts, nil); err != nil {
		t.Fatal(err)
	}
	for _, bf16 := range []bool{false, true} {
		_, err := Load(dir, LoadOptions{BF16: bf16})
		if want := `tensor "` + bad + `" holds NaN at element 5`; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bf16=%v: Load = %v, want an error containing %q", bf16, err, want)
		}
	}

	m := load(t, "llama_tied", false)
	m.Layers[0].Q.W.Data()[3] = float32(math.Inf(1))
	path := filepath.Join(t.TempDir(), "m.gguf")
	if err := m.WriteGGUF(path, gguf.F32); err != nil {
		t.Fatal(err)
	}
	_, err = Load(path, LoadOptions{})
	if want := `tensor "blk.0.attn_q.weight" holds +Inf`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("GGUF: Load = %v, want an error containing %q", err, want)
	}
}
