package eval

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Interval is an estimate with its 95% interval. Lo and Hi are NaN when the
// data cannot give an interval (one seed for a mean over seeds).
type Interval struct {
	Est float64 `json:"est"`
	Lo  float64 `json:"lo"`
	Hi  float64 `json:"hi"`
	N   int     `json:"n"` // observations the estimate is made from
}

// Excludes0 reports whether the interval lies wholly above or below zero:
// the only case in which a difference is reported as a difference.
func (iv Interval) Excludes0() bool { return iv.Lo > 0 || iv.Hi < 0 }

// tCrit975 holds the 0.975 quantiles of Student's t for 1..30 degrees of
// freedom (beyond 30 the normal quantile is within 4%).
var tCrit975 = [...]float64{12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
	2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
	2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042}

// TCrit975 returns the 0.975 quantile of Student's t with df degrees of
// freedom (1.96 past 30; NaN for df < 1).
func TCrit975(df int) float64 {
	switch {
	case df < 1:
		return math.NaN()
	case df <= len(tCrit975):
		return tCrit975[df-1]
	}
	return 1.96
}

// MeanInterval returns the mean of xs (one value per seed) with the 95%
// t-interval of the mean: the spread a rerun with new seeds would show.
func MeanInterval(xs []float64) Interval {
	n := len(xs)
	if n == 0 {
		return Interval{Est: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	}
	var mean float64
	for _, x := range xs {
		mean += x
	}
	mean /= float64(n)
	if n == 1 {
		return Interval{Est: mean, Lo: math.NaN(), Hi: math.NaN(), N: 1}
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	half := TCrit975(n-1) * math.Sqrt(ss/float64(n-1)/float64(n))
	return Interval{Est: mean, Lo: mean - half, Hi: mean + half, N: n}
}

// Wilson returns the share k/n with its 95% Wilson score interval: the
// interval of one seed's exact-match rate from its questions alone.
func Wilson(k, n int) Interval {
	if n <= 0 || k < 0 || k > n {
		return Interval{Est: math.NaN(), Lo: math.NaN(), Hi: math.NaN(), N: max(n, 0)}
	}
	const z = 1.959963984540054
	p, nf := float64(k)/float64(n), float64(n)
	den := 1 + z*z/nf
	mid := (p + z*z/(2*nf)) / den
	half := z * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf)) / den
	return Interval{Est: p, Lo: max(0, mid-half), Hi: min(1, mid+half), N: n}
}

// PairedBootstrap estimates the mean difference a − b between two methods
// scored on the same questions, with a 95% percentile interval from a
// two-level bootstrap: each of iters replicates draws the seeds with
// replacement and, within each drawn seed, its questions with replacement,
// so the interval carries both the training randomness (seeds) and the
// sampling of questions. a[s][q] and b[s][q] are the scores of seed s's
// question q (1/0 for exact match, or a sentence chrF); every seed's two
// rows must have equal length. The estimate is the mean over seeds of each
// seed's mean difference. With one seed only questions are resampled.
func PairedBootstrap(a, b [][]float64, iters int, seed uint64) (Interval, error) {
	if len(a) == 0 || len(a) != len(b) {
		return Interval{}, fmt.Errorf("eval: paired bootstrap over %d and %d seeds", len(a), len(b))
	}
	if iters < 100 {
		return Interval{}, fmt.Errorf("eval: paired bootstrap with %d replicates (want ≥ 100)", iters)
	}
	diffs := make([][]float64, len(a))
	n := 0
	for s := range a {
		if len(a[s]) != len(b[s]) || len(a[s]) == 0 {
			return Interval{}, fmt.Errorf("eval: seed %d has %d and %d scores: paired scores need equal, non-zero counts", s, len(a[s]), len(b[s]))
		}
		d := make([]float64, len(a[s]))
		for q := range d {
			d[q] = a[s][q] - b[s][q]
			if math.IsNaN(d[q]) {
				return Interval{}, fmt.Errorf("eval: NaN score at seed %d question %d", s, q)
			}
		}
		diffs[s] = d
		n += len(d)
	}
	est := 0.0
	for _, d := range diffs {
		est += mean(d)
	}
	est /= float64(len(diffs))
	r := rand.New(rand.NewPCG(seed, 0xb007))
	reps := make([]float64, iters)
	for it := range reps {
		var sum float64
		for range diffs {
			d := diffs[0]
			if len(diffs) > 1 {
				d = diffs[r.IntN(len(diffs))]
			}
			var m float64
			for range d {
				m += d[r.IntN(len(d))]
			}
			sum += m / float64(len(d))
		}
		reps[it] = sum / float64(len(diffs))
	}
	slices.Sort(reps)
	return Interval{Est: est, Lo: quantile(reps, 0.025), Hi: quantile(reps, 0.975), N: n}, nil
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// quantile returns the q-quantile of sorted xs by linear interpolation
// between order statistics.
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 1 {
		return sorted[0]
	}
	h := q * float64(len(sorted)-1)
	lo := int(math.Floor(h))
	hi := min(lo+1, len(sorted)-1)
	return sorted[lo] + (h-float64(lo))*(sorted[hi]-sorted[lo])
}
