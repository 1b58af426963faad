package llama

import (
	"math"
	"sync"
	"sync/atomic"
)

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

// ropeCache holds ropeTable's rows for the positions [0, n) a model's
// forward passes have needed so far, each computed once (cos and sin in
// float64 are a few percent of a small model's prompt), shared by a model
// and its forks (the same frequencies). Safe for concurrent use.
type ropeCache struct {
	mu  sync.Mutex // held while growing
	tab atomic.Pointer[ropeTab]
}

// ropeTab is ropeTable of the positions [0, n): [n, half] each.
type ropeTab struct {
	n        int
	cos, sin []float32
}

// table returns ropeTable(inv, pos), its rows copied from the cache.
func (rc *ropeCache) table(inv []float32, pos []int) (cos, sin []float32) {
	need := 0
	for _, p := range pos {
		need = max(need, p+1)
	}
	t := rc.tab.Load()
	if t == nil || t.n < need {
		rc.mu.Lock()
		if t = rc.tab.Load(); t == nil || t.n < need {
			n := need
			if t != nil {
				n = max(n, 2*t.n)
			}
			all := make([]int, n)
			for i := range all {
				all[i] = i
			}
			c, s := ropeTable(inv, all)
			t = &ropeTab{n: n, cos: c, sin: s}
			rc.tab.Store(t)
		}
		rc.mu.Unlock()
	}
	half := len(inv)
	cos, sin = make([]float32, len(pos)*half), make([]float32, len(pos)*half)
	for r, p := range pos {
		copy(cos[r*half:(r+1)*half], t.cos[p*half:])
		copy(sin[r*half:(r+1)*half], t.sin[p*half:])
	}
	return cos, sin
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
