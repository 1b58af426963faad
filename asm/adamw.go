package asm

import "math"

// AdamWStep holds the constants of one AdamW update of a parameter group
// (see [AdamW]).
type AdamWStep struct {
	// Decay multiplies the weights first: 1 − lr·weight decay.
	Decay float32
	// Beta1 and Beta2 are the moments' decay rates.
	Beta1, Beta2 float32
	// StepSize is lr/(1 − β1ᵗ).
	StepSize float32
	// BC2Sqrt is √(1 − β2ᵗ).
	BC2Sqrt float32
	// Eps is added to the denominator.
	Eps float32
}

// AdamW applies one AdamW update to the weights w with gradients g and
// moments m and v, element by element, in one pass:
//
//	w = w·Decay
//	m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g·g
//	w = w − StepSize·m / (√v/BC2Sqrt + Eps)
//
// each operation rounded to float32 in that order (no fused multiply-add),
// so every level gives the same bits as the scalar loop. g, m and v must be
// at least as long as w.
func AdamW(w, g, m, v []float32, s AdamWStep) {
	checkLen("AdamW", len(w), "g, m, v", len(g), len(m), len(v))
	k := s.consts()
	cur.adamw(w, g, m, v, &k)
}

// consts lays s out as the kernels read it: decay, β1, 1−β1, β2, 1−β2,
// step size, √(1−β2ᵗ), eps.
func (s AdamWStep) consts() [8]float32 {
	return [8]float32{s.Decay, s.Beta1, 1 - s.Beta1, s.Beta2, 1 - s.Beta2, s.StepSize, s.BC2Sqrt, s.Eps}
}

// adamwGeneric is the twin of the AdamW kernels. The explicit float32
// conversions keep the compiler from fusing a multiply and an add (it does
// on arm64), so the result is the same on every architecture.
func adamwGeneric(w, g, m, v []float32, k *[8]float32) {
	g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
	decay, b1, c1, b2, c2, step, bc2s, eps := k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7]
	for i, gi := range g {
		mi := float32(b1*m[i]) + float32(c1*gi)
		vi := float32(b2*v[i]) + float32(float32(c2*gi)*gi)
		m[i], v[i] = mi, vi
		den := float32(float32(math.Sqrt(float64(vi)))/bc2s) + eps
		w[i] = float32(w[i]*decay) - float32(step*mi)/den
	}
}
