package llama

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/models/gguf"
	"github.com/llink-go/llink/tensor"
)

// TestQuantisedGGUF writes the untied fixture as Q8_0 and Q4_0 GGUF files
// and loads them: every matrix stays in its blocks (Weight.Q), and the
// logits — prompt (more than four rows: dequantised chunks; on avx512bf16
// rounded to bf16 with the activations, within that rounding's bound) and
// token by token through the KV cache (the block kernels) — equal, to
// float32 rounding, those of the fixture model whose matrices were quantised and
// dequantised in float32 (asm.Quantize, asm.Dequantize): so the blocks,
// their q/k row order and both product paths are right. The quantisation
// error itself against the f32 model is logged.
//
// The K types (super-blocks of 256 weights), and Q8_0 a second time, run
// the same checks on a random model whose row lengths are multiples of 256
// (kConfig), untied, which Q8_0 needs to be repacked. On
// avx512bf16 the decode runs the int8 kernels (x quantised to int8; the
// matrices repacked at load for its packed kernels), held to 3%, and the
// float kernels of avx512 (on the packed matrices, unpacked as they go) to
// 1e-5.
func TestQuantisedGGUF(t *testing.T) {
	for _, tc := range []struct {
		typ     gguf.TensorType
		fixture bool
	}{{gguf.Q8_0, true}, {gguf.Q4_0, true}, {gguf.Q8_0, false}, {gguf.Q4_K, false}, {gguf.Q6_K, false}} {
		typ, fixture := tc.typ, tc.fixture
		name := typ.String()
		if !fixture && typ == gguf.Q8_0 {
			name += "/rows-of-256" // repacked for the packed int8 kernels
		}
		t.Run(name, func(t *testing.T) {
			model := func() *Model {
				if fixture {
					return load(t, "llama_untied", false)
				}
				return New(kConfig(), rand.New(rand.NewPCG(3, 4)))
			}
			m := model()
			path := filepath.Join(t.TempDir(), "m.gguf")
			if err := m.WriteGGUF(path, typ); err != nil {
				t.Fatal(err)
			}
			q, err := Load(path, LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer q.Close()
			ref := model()
			qt := map[gguf.TensorType]asm.QType{gguf.Q8_0: asm.Q8_0, gguf.Q4_0: asm.Q4_0, gguf.Q4_K: asm.Q4_K, gguf.Q6_K: asm.Q6_K}[typ]
			roundTrip := func(w *Weight) {
				b := make([]byte, w.W.Len()/qt.BlockWeights()*qt.BlockBytes())
				asm.Quantize(qt, b, w.W.Data())
				asm.Dequantize(qt, w.W.Data(), b)
			}
			check := func(name string, w *Weight) {
				if w.Q == nil || w.Q.Type != qt {
					t.Fatalf("%s: not held as %s blocks", name, qt)
				}
			}
			check("embeddings", q.Emb)
			check("head", q.Head)
			roundTrip(ref.Emb)
			roundTrip(ref.Head)
			for i, l := range q.Layers {
				for name, w := range l.Projections() {
					check(name, w)
					roundTrip(ref.Layers[i].Projections()[name])
				}
			}
			e := readExpected(t, filepath.Join("..", "testdata", "llama_untied"))
			for _, key := range []string{"a", "b"} {
				seq := e.Seqs[key]
				if !fixture {
					for i := range seq {
						seq[i] %= kConfig().VocabSize
					}
				}
				b := Batch{B: 1, T: len(seq), IDs: seq}
				want := ref.Logits(ref.Forward(b, nil)).Data()
				got := q.Logits(q.Forward(b, nil)).Data()
				tol := 1e-5
				if asm.Active() == asm.AVX512BF16 {
					// x and the dequantised chunks rounded to bf16
					// (TestBF16DotLogits's bound); the float32 chunk path
					// is held to 1e-5 below.
					tol = 0.015
					restore := asm.SetLevel(asm.AVX512)
					f32 := q.Logits(q.Forward(b, nil)).Data()
					restore()
					if r := relErr(f32, want); r > 1e-5 || math.IsNaN(r) {
						t.Errorf("%s prompt, f32 activations: logits relative error %.3g against the dequantised model", key, r)
					}
				}
				if r := relErr(got, want); r > tol || math.IsNaN(r) {
					t.Errorf("%s prompt: logits relative error %.3g against the dequantised model", key, r)
				}
				decode := func() []float32 {
					c := q.NewCache(1, len(seq))
					var steps []float32
					for i := range seq {
						h := q.Forward(Batch{B: 1, T: 1, IDs: seq[i : i+1]}, c)
						steps = append(steps, q.Logits(h).Data()...)
					}
					return steps
				}
				tol = 1e-5
				if asm.Active() == asm.AVX512BF16 {
					// The int8 kernels quantise x to int8 per block
					// (half a step of amax/127 each); the float block
					// kernels are held to 1e-5.
					tol = 0.03
					restore := asm.SetLevel(asm.AVX512)
					f32 := decode()
					restore()
					if r := relErr(f32, want); r > 1e-5 || math.IsNaN(r) {
						t.Errorf("%s decode, f32 activations: logits relative error %.3g against the dequantised model", key, r)
					}
				}
				steps := decode()
				if r := relErr(steps, want); r > tol || math.IsNaN(r) {
					t.Errorf("%s decode: logits relative error %.3g against the dequantised model", key, r)
				}
				t.Logf("%s decode: logits relative error %.3g against the dequantised model", key, relErr(steps, want))
				if fixture {
					t.Logf("%s: %s logits vs PyTorch's f32: relative error %.3g", key, typ, relErr(got, e.Logits[key].Data))
				}
			}
			want := int64(q.Layers[0].Q.Out() * q.Layers[0].Q.In() / qt.BlockWeights() * qt.BlockBytes())
			if q.Layers[0].Q.Q.Packed() && qt == asm.Q4_K {
				want = want / 144 * 148 // the packed layout: a byte per 6-bit scale and min (256 rows, whole groups of 16)
			}
			if got := q.Layers[0].Q.Bytes(); got != want {
				t.Errorf("Bytes() = %d, want %d", got, want)
			}
			if packed := q.Layers[0].Q.Q.Packed(); packed != (asm.Active() == asm.AVX512BF16 && !fixture) {
				t.Errorf("packed = %v on %s", packed, asm.Active())
			}
			f := q.Layers[0].Down.Float32()
			if !tensorEqual(f, ref.Layers[0].Down.W) {
				t.Errorf("Float32() differs from the dequantised matrix")
			}
		})
	}
}

// kConfig is a small untied model whose every row length is a multiple of
// 256 (the K types' super-block).
func kConfig() Config {
	c := Tiny(256)
	c.Hidden, c.Intermediate, c.Layers, c.Heads, c.KVHeads, c.HeadDim = 256, 512, 2, 4, 2, 64
	c.TieWordEmbeddings = false
	return c
}

func tensorEqual(a, b *tensor.Tensor) bool {
	if a.Len() != b.Len() {
		return false
	}
	for i, v := range a.Data() {
		if v != b.Data()[i] {
			return false
		}
	}
	return true
}
