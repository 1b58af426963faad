package autograd

import (
	"math"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/tensor"
)

// refAttention is a float64 textbook attention over [B,T,H,D] layouts.
func refAttention(q, k, v *tensor.Tensor, opts AttnOpts) []float64 {
	b, t, hq, d := q.Dim(0), q.Dim(1), q.Dim(2), q.Dim(3)
	s, hkv := k.Dim(1), k.Dim(2)
	scale := float64(opts.Scale)
	if scale == 0 {
		scale = 1 / math.Sqrt(float64(d))
	}
	out := make([]float64, q.Len())
	for bi := 0; bi < b; bi++ {
		for h := 0; h < hq; h++ {
			kh := h / (hq / hkv)
			for ti := 0; ti < t; ti++ {
				w := make([]float64, s)
				m := math.Inf(-1)
				for si := 0; si < s; si++ {
					w[si] = math.Inf(-1)
					if opts.Causal && si > ti+s-t || opts.KeyMask != nil && !opts.KeyMask[bi*s+si] {
						continue
					}
					var dot float64
					for j := 0; j < d; j++ {
						dot += float64(q.At(bi, ti, h, j)) * float64(k.At(bi, si, kh, j))
					}
					w[si] = dot * scale
					m = math.Max(m, w[si])
				}
				if math.IsInf(m, -1) {
					continue
				}
				var z float64
				for si := range w {
					w[si] = math.Exp(w[si] - m)
					z += w[si]
				}
				for si := range w {
					for j := 0; j < d; j++ {
						out[((bi*t+ti)*hq+h)*d+j] += w[si] / z * float64(v.At(bi, si, kh, j))
					}
				}
			}
		}
	}
	return out
}

func TestAttentionMatchesReference(t *testing.T) {
	r := testutil.RNG(11)
	mask := make([]bool, 2*90)
	for i := range mask {
		mask[i] = r.IntN(5) != 0
	}
	for i := 0; i < 90; i++ { // batch 1: every key of the first 3 rows padded
		if i < 3 {
			mask[90+i] = false
		}
	}
	cases := []struct {
		name                string
		b, t, s, hq, hkv, d int
		opts                AttnOpts
	}{
		{"causalGQA", 2, 90, 90, 4, 2, 8, AttnOpts{Causal: true}},
		{"masked", 2, 90, 90, 2, 1, 5, AttnOpts{Causal: true, KeyMask: mask}},
		{"cross", 1, 7, 13, 3, 3, 4, AttnOpts{Scale: 0.3}},
		{"suffixQueries", 2, 5, 12, 2, 2, 4, AttnOpts{Causal: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, k, v := randT(r, c.b, c.t, c.hq, c.d), randT(r, c.b, c.s, c.hkv, c.d), randT(r, c.b, c.s, c.hkv, c.d)
			got := (*Tape)(nil).Attention(Const(q), Const(k), Const(v), c.opts)
			want := refAttention(q, k, v, c.opts)
			if msg := testutil.CloseRel(got.Data(), want, 1e-5, 1); msg != "" {
				t.Fatal(msg)
			}
		})
	}
}

// TestCausalMask: changing future tokens must not change earlier outputs.
func TestCausalMask(t *testing.T) {
	r := testutil.RNG(12)
	q, k, v := randT(r, 1, 10, 2, 4), randT(r, 1, 10, 2, 4), randT(r, 1, 10, 2, 4)
	o1 := (*Tape)(nil).Attention(Const(q), Const(k), Const(v), AttnOpts{Causal: true})
	for i := 6 * 8; i < k.Len(); i++ { // perturb positions 6..9
		k.Data()[i] += 1
		v.Data()[i] -= 2
		q.Data()[i] *= 3
	}
	o2 := (*Tape)(nil).Attention(Const(q), Const(k), Const(v), AttnOpts{Causal: true})
	for i := 0; i < 6*8; i++ {
		if o1.Data()[i] != o2.Data()[i] {
			t.Fatalf("output %d (position %d) changed when only later positions did", i, i/8)
		}
	}
	if o1.Data()[7*8] == o2.Data()[7*8] {
		t.Fatal("later outputs did not change")
	}
}

// TestAttentionCached: attending from the last T rows against a partly
// filled cache equals the same rows of a full causal pass.
func TestAttentionCached(t *testing.T) {
	r := testutil.RNG(13)
	const b, s, hq, hkv, d, capacity = 2, 9, 4, 2, 6, 16
	q, k, v := randT(r, b, s, hq, d), randT(r, b, s, hkv, d), randT(r, b, s, hkv, d)
	full := (*Tape)(nil).Attention(Const(q), Const(k), Const(v), AttnOpts{Causal: true})
	kc, vc := tensor.New(b, capacity, hkv, d), tensor.New(b, capacity, hkv, d)
	for bi := 0; bi < b; bi++ {
		copy(kc.Data()[bi*capacity*hkv*d:], k.Data()[bi*s*hkv*d:(bi+1)*s*hkv*d])
		copy(vc.Data()[bi*capacity*hkv*d:], v.Data()[bi*s*hkv*d:(bi+1)*s*hkv*d])
	}
	for _, tq := range []int{1, 3} {
		qs := tensor.Slice(q, 1, s-tq, s)
		got := AttentionCached(nil, qs, kc, vc, s, AttnOpts{Causal: true})
		want := tensor.Slice(full.Value, 1, s-tq, s)
		if dd := tensor.MaxAbsDiff(got, want); dd > 1e-6 {
			t.Fatalf("T=%d: cached attention differs by %g", tq, dd)
		}
	}
}
