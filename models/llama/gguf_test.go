package llama

import (
	"math"
	"path/filepath"
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
			// Q8_0: blocks of 32 values in 34 bytes.
			if err := w.AddTensor(quantise, gguf.Q8_0, []uint64{uint64(shapes[i][1]), uint64(shapes[i][0])}, make([]byte, len(v)/32*34)); err != nil {
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
