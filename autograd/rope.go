package autograd

import (
	"fmt"
	"math"

	"github.com/llink-go/llink/tensor"
)

// RoPEScaling is the llama3 rope_scaling block of a Hugging Face config
// (rope_type "llama3"): long wavelengths are slowed by Factor, short ones
// kept, and the band between interpolated smoothly.
type RoPEScaling struct {
	Factor         float64 // "factor", e.g. 32 for Llama-3.2
	LowFreqFactor  float64 // "low_freq_factor", e.g. 1
	HighFreqFactor float64 // "high_freq_factor", e.g. 4
	OriginalMaxPos int     // "original_max_position_embeddings", e.g. 8192
}

// RoPEInvFreq returns the headDim/2 inverse frequencies θ^(−2i/headDim),
// rounded to float32 as Hugging Face computes them, with llama3 scaling
// applied when scaling is non-nil (transformers' _compute_llama3_parameters).
func RoPEInvFreq(headDim int, theta float64, scaling *RoPEScaling) []float32 {
	if headDim <= 0 || headDim%2 != 0 {
		panic(fmt.Sprintf("autograd.RoPEInvFreq: head dim %d must be even", headDim))
	}
	inv := make([]float32, headDim/2)
	for i := range inv {
		inv[i] = float32(1 / math.Pow(theta, float64(2*i)/float64(headDim)))
	}
	if scaling == nil {
		return inv
	}
	s := *scaling
	old := float64(s.OriginalMaxPos)
	lowWave := old / s.LowFreqFactor
	highWave := old / s.HighFreqFactor
	for i, f32 := range inv {
		f := float64(f32)
		wave := 2 * math.Pi / f
		switch {
		case wave < highWave: // high frequency: unchanged
		case wave > lowWave: // low frequency: slowed by the factor
			f /= s.Factor
		default: // medium: interpolate
			smooth := (old/wave - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor)
			f = (1-smooth)*f/s.Factor + smooth*f
		}
		inv[i] = float32(f)
	}
	return inv
}

// RoPETables returns cos and sin [len(positions), len(invFreq)] of the
// angles position·invFreq (multiplied in float32 as Hugging Face does),
// allocated from arena (nil: fresh). Compute them once per forward pass and
// share them between layers.
func RoPETables(arena *tensor.Arena, invFreq []float32, positions []int) (cos, sin *tensor.Tensor) {
	h := len(invFreq)
	cos, sin = arena.Empty(len(positions), h), arena.Empty(len(positions), h)
	cd, sd := cos.Data(), sin.Data()
	for t, p := range positions {
		for i, f := range invFreq {
			a := float64(float32(p) * f)
			cd[t*h+i] = float32(math.Cos(a))
			sd[t*h+i] = float32(math.Sin(a))
		}
	}
	return cos, sin
}

// RoPE rotates every head of x by its position's angles in the Hugging Face
// rotate-half convention: for i < D/2, with c, s the cos and sin of angle i,
//
//	y[i]     = x[i]·c − x[i+D/2]·s
//	y[i+D/2] = x[i+D/2]·c + x[i]·s
//
// x is [B, T, H, D] (the layout a q/k projection produces, no transpose
// needed); cos and sin are [T, D/2] (positions shared by the batch) or
// [B·T, D/2]. The backward pass rotates the gradient by the opposite angle.
func (tp *Tape) RoPE(x *Var, cos, sin *tensor.Tensor) *Var {
	return tp.rope(x, cos, sin, false)
}

// RoPEInPlace is [Tape.RoPE] rotating x's own buffer instead of a copy of
// it (the same values bit for bit): x's value is the result's afterwards,
// so x must be a tape intermediate that nothing reads again, e.g. a query
// or key projection's output (the backward pass needs only the angles).
func (tp *Tape) RoPEInPlace(x *Var, cos, sin *tensor.Tensor) *Var {
	return tp.rope(x, cos, sin, true)
}

func (tp *Tape) rope(x *Var, cos, sin *tensor.Tensor, inPlace bool) *Var {
	if x.Value.Dims() != 4 {
		panic(fmt.Sprintf("autograd.RoPE: x must be [B, T, H, D], got %v", x.Shape()))
	}
	b, t, nh, d := x.Value.Dim(0), x.Value.Dim(1), x.Value.Dim(2), x.Value.Dim(3)
	h := d / 2
	if d%2 != 0 || cos.Dim(-1) != h || !tensor.SameShape(cos, sin) || (cos.Rows() != t && cos.Rows() != b*t) {
		panic(fmt.Sprintf("autograd.RoPE: tables %v/%v do not fit x %v", cos.Shape(), sin.Shape(), x.Shape()))
	}
	perBatch := cos.Rows() == b*t
	var out *tensor.Tensor
	if inPlace {
		out = tp.Arena().View(x.Value, x.Shape()...)
	} else {
		out = tp.empty(x.Shape()...)
	}
	rotate(out.Data(), x.Data(), cos.Data(), sin.Data(), b, t, nh, d, perBatch, 1, false)
	y := tp.newVar(out, tp.needs(x))
	if y.requires {
		tp.record(func() {
			if g := y.Grad; g != nil {
				dx, beta := tp.gradBeta(x)
				rotate(dx.Data(), g.Data(), cos.Data(), sin.Data(), b, t, nh, d, perBatch, -1, beta != 0)
			}
		})
	}
	return y
}

// rotate writes (or adds) the rotation of src by sign·angle into dst; dst
// may be src (each pair is read before it is written).
func rotate(dst, src, cos, sin []float32, b, t, nh, d int, perBatch bool, sign float32, add bool) {
	h := d / 2
	for bi := 0; bi < b; bi++ {
		for ti := 0; ti < t; ti++ {
			row := ti
			if perBatch {
				row = bi*t + ti
			}
			c, s := cos[row*h:(row+1)*h], sin[row*h:(row+1)*h]
			for hi := 0; hi < nh; hi++ {
				off := ((bi*t+ti)*nh + hi) * d
				x1, x2 := src[off:off+h], src[off+h:off+d]
				y1, y2 := dst[off:off+h], dst[off+h:off+d]
				for i := 0; i < h; i++ {
					si := sign * s[i]
					a := x1[i]*c[i] - x2[i]*si
					bb := x2[i]*c[i] + x1[i]*si
					if add {
						y1[i] += a
						y2[i] += bb
					} else {
						y1[i] = a
						y2[i] = bb
					}
				}
			}
		}
	}
}
