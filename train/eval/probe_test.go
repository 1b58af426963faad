package eval

import (
	"math/rand/v2"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/tensor"
)

// probeData makes n texts of d features whose label (one of classes) is
// carried by one vector, class centroid plus noise: pooled, that vector is
// the row; with tokens, it is one token at a random place among t noise
// tokens (a text's length varies from 1 to t). shuffle breaks the link
// between features and labels.
func probeData(r *rand.Rand, centroids *tensor.Tensor, n, t int, shuffle bool) ProbeSet {
	classes, d := centroids.Dim(0), centroids.Dim(1)
	s := ProbeSet{Y: make([]int, n)}
	if t == 0 {
		s.X = tensor.New(n, d)
	} else {
		s.X = tensor.New(n, t, d)
		s.Mask = make([]bool, n*t)
	}
	for i := range n {
		y := r.IntN(classes)
		s.Y[i] = y
		if shuffle {
			s.Y[i] = r.IntN(classes)
		}
		at, length := 0, 1
		if t > 0 {
			length = 1 + r.IntN(t)
			at = r.IntN(length)
		}
		for k := range length {
			v := s.X.Data()[(i*max(t, 1)+k)*d:][:d]
			for j := range v {
				v[j] = float32(r.NormFloat64())
				if k == at {
					v[j] = 0.5*v[j] + centroids.Row(y)[j]
				}
			}
			if t > 0 {
				s.Mask[i*t+k] = true
			}
		}
	}
	return s
}

func TestProbe(t *testing.T) {
	const classes, d = 5, 12
	for _, tc := range []struct {
		name    string
		tokens  int
		shuffle bool
		lo, hi  float64
	}{
		{"pooled", 0, false, 0.9, 1},
		{"pooled, shuffled labels", 0, true, 0, 0.4},
		{"tokens", 7, false, 0.9, 1},
		{"tokens, shuffled labels", 7, true, 0, 0.4},
	} {
		r := testutil.RNG(11)
		centroids := tensor.RandN(r, 1.5, classes, d)
		train, test := probeData(r, centroids, 400, tc.tokens, tc.shuffle), probeData(r, centroids, 200, tc.tokens, tc.shuffle)
		test.Y[0] = -1 // unlabelled rows are left out
		acc, err := Probe(train, test, classes, ProbeOptions{Seed: 1})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		t.Logf("%s: accuracy %.3f", tc.name, acc)
		if acc < tc.lo || acc > tc.hi {
			t.Errorf("%s: accuracy %.3f outside [%.2f, %.2f]", tc.name, acc, tc.lo, tc.hi)
		}
	}
}

func TestProbeErrors(t *testing.T) {
	r := testutil.RNG(12)
	centroids := tensor.RandN(r, 1, 3, 4)
	good := probeData(r, centroids, 20, 0, false)
	tokens := probeData(r, centroids, 20, 3, false)
	bad := probeData(r, centroids, 20, 0, false)
	bad.Y[3] = 7
	for name, f := range map[string]func() error{
		"one class":        func() error { _, err := Probe(good, good, 1, ProbeOptions{}); return err },
		"label too large":  func() error { _, err := Probe(bad, good, 3, ProbeOptions{}); return err },
		"pooled vs tokens": func() error { _, err := Probe(good, tokens, 3, ProbeOptions{}); return err },
		"short labels": func() error {
			s := good
			s.Y = s.Y[:5]
			_, err := Probe(s, good, 3, ProbeOptions{})
			return err
		},
	} {
		if f() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
