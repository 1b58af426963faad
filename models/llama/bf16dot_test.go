package llama

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/llink-go/llink/asm"
)

// TestBF16DotLogits states the accuracy cost of the bf16 dot product
// (asm.SgemmBF16Dot on the avx512bf16 level rounds the activations to
// bf16): the bf16 fixture decoded token by token through the KV cache
// (every projection a one-row matvec) and run as one prompt (every
// projection a GEMM of the bf16 tile kernel) on that level and on the
// widening avx512 level, both against PyTorch's logits. Measured here:
// max |Δlogit| / max |logit| 0.62% (a) and 0.48% (b) decoding, 0.60% and
// 0.48% as a prompt, with the rounding; 4e-7 without; the test bounds it at
// 1.5% (each activation's rounding is
// 2⁻⁹ = 0.2% relative at most, and sums of such errors over a layer stack
// stay a few times that) and requires every position's argmax to agree.
func TestBF16DotLogits(t *testing.T) {
	const bf16DotTol = 0.015
	if !slices.Contains(asm.Available(), asm.AVX512BF16) {
		t.Skip("no avx512bf16 level on this machine (AVX512-BF16 absent or purego build)")
	}
	m := load(t, "llama_bf16", true)
	e := readExpected(t, filepath.Join("..", "testdata", "llama_bf16"))
	decode := func(l asm.Level, seq []int) []float32 {
		defer asm.SetLevel(l)()
		c := m.NewCache(1, len(seq))
		var got []float32
		for i := range seq {
			h := m.Forward(Batch{B: 1, T: 1, IDs: seq[i : i+1]}, c)
			got = append(got, m.Logits(h).Data()...)
		}
		return got
	}
	prompt := func(l asm.Level, seq []int) []float32 {
		defer asm.SetLevel(l)()
		h := m.Forward(Batch{B: 1, T: len(seq), IDs: seq}, m.NewCache(1, len(seq)))
		return m.Logits(h).Data()
	}
	v := m.Config.VocabSize
	for _, key := range []string{"a", "b"} {
		seq, want := e.Seqs[key], e.Logits[key].Data
		if len(seq) <= 4 {
			t.Fatalf("%s: %d tokens: a prompt of more than 4 is needed to reach the GEMM", key, len(seq))
		}
		for _, run := range []struct {
			name string
			f    func(asm.Level, []int) []float32
		}{{"decoding", decode}, {"prompt", prompt}} {
			dot, widen := run.f(asm.AVX512BF16, seq), run.f(asm.AVX512, seq)
			ed, ew := relErr(dot, want), relErr(widen, want)
			t.Logf("%s %s: relative logit error vs PyTorch: bf16 dot %.3g, widening %.3g; dot vs widening %.3g", key, run.name, ed, ew, relErr(dot, widen))
			if ed > bf16DotTol {
				t.Errorf("%s %s: bf16 dot logits relative error %.3g > %g", key, run.name, ed, bf16DotTol)
			}
			for p := range seq {
				if a, b := argmax(dot[p*v:(p+1)*v]), argmax(want[p*v:(p+1)*v]); a != b {
					t.Errorf("%s %s position %d: argmax %d, PyTorch %d", key, run.name, p, a, b)
				}
			}
		}
	}
}

func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

// f32Activations keeps a bf16 model's activations float32 for the rest of
// the test (the avx512bf16 level rounds them: TestBF16DotLogits states that
// cost), so tests can hold bf16 weights to float32 tolerances.
func f32Activations(t *testing.T) {
	if asm.Active() == asm.AVX512BF16 {
		t.Cleanup(asm.SetLevel(asm.AVX512))
	}
}
