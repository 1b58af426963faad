package llama

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/llink-go/llink/asm"
)

// TestBF16DotLogits states the accuracy cost of the bf16 dot-product matvec
// (asm.SgemmBF16Dot on the avx512bf16 level rounds a decoding step's
// activations to bf16): the bf16 fixture decoded token by token through the
// KV cache (every projection a one-row matvec) on that level and on the
// widening avx512 level, both against PyTorch's logits. Measured here:
// max |Δlogit| / max |logit| 0.62% (a) and 0.48% (b) with the rounding,
// 4e-7 without; the test bounds it at 1.5% (each activation's rounding is
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
	v := m.Config.VocabSize
	for _, key := range []string{"a", "b"} {
		seq, want := e.Seqs[key], e.Logits[key].Data
		dot, widen := decode(asm.AVX512BF16, seq), decode(asm.AVX512, seq)
		ed, ew := relErr(dot, want), relErr(widen, want)
		t.Logf("%s: relative logit error vs PyTorch: bf16 dot %.3g, widening %.3g; dot vs widening %.3g", key, ed, ew, relErr(dot, widen))
		if ed > bf16DotTol {
			t.Errorf("%s: bf16 dot logits relative error %.3g > %g", key, ed, bf16DotTol)
		}
		for p := range seq {
			if a, b := argmax(dot[p*v:(p+1)*v]), argmax(want[p*v:(p+1)*v]); a != b {
				t.Errorf("%s position %d: argmax %d, PyTorch %d", key, p, a, b)
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
