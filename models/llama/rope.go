package llama

import "math"

// invFreq returns RoPE's inverse frequencies θ^(−2i/d), i < d/2, computed in
// float32 as Hugging Face does, with the llama3 rope_scaling applied when
// configured (_compute_llama3_parameters): wavelengths longer than
// original_max/low_freq_factor are divided by factor, shorter than
// original_max/high_freq_factor are kept, and the band between is blended.
func invFreq(c Config) []float32 {
	half := c.HeadDim / 2
	inv := make([]float32, half)
	for i := range inv {
		// torch: base ** (arange(0, dim, 2).float() / dim) in float32.
		e := float32(2*i) / float32(c.HeadDim)
		inv[i] = 1 / float32(math.Pow(c.RopeTheta, float64(e)))
	}
	s := c.RopeScaling
	if s != nil && s.kind() == ropeFactors {
		for i := range inv {
			inv[i] /= s.Factors[i]
		}
		return inv
	}
	if s == nil || s.kind() != "llama3" {
		return inv
	}
	factor := float32(s.Factor)
	lff, hff := float32(s.LowFreqFactor), float32(s.HighFreqFactor)
	old := float32(s.OriginalMaxPositionEmbeddings)
	lowWL, highWL := old/lff, old/hff
	for i, f := range inv {
		wl := float32(2*math.Pi) / f
		switch {
		case wl < highWL: // high frequency: kept
		case wl > lowWL: // low frequency: interpolated
			inv[i] = f / factor
		default:
			smooth := (old/wl - lff) / (hff - lff)
			inv[i] = (1-smooth)*f/factor + smooth*f
		}
	}
	return inv
}

// ropeTable returns cos and sin of position·invFreq for each position, each
// [len(pos), half], with the angle rounded to float32 first as Hugging Face's
// float32 rotary embedding does.
func ropeTable(inv []float32, pos []int) (cos, sin []float32) {
	half := len(inv)
	cos = make([]float32, len(pos)*half)
	sin = make([]float32, len(pos)*half)
	for r, p := range pos {
		for i, f := range inv {
			a := float64(float32(p) * f)
			cos[r*half+i] = float32(math.Cos(a))
			sin[r*half+i] = float32(math.Sin(a))
		}
	}
	return cos, sin
}

// applyRope rotates one head vector x (length 2·half) in place, the
// rotate-half convention: x' = x·cos + rotate_half(x)·sin with
// rotate_half(x) = (−x₂, x₁).
func applyRope(x, cos, sin []float32) {
	half := len(cos)
	x1, x2 := x[:half], x[half:2*half]
	for i := range half {
		a, b := x1[i], x2[i]
		x1[i] = a*cos[i] - b*sin[i]
		x2[i] = b*cos[i] + a*sin[i]
	}
}
