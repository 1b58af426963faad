package train

import (
	"math"
	"testing"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/tensor"
)

func TestCheckGrads(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(-1))
	for _, tc := range []struct {
		name string
		grad []float32
		bad  bool
	}{
		{"finite", []float32{0.5, -2, 3}, false},
		{"huge but finite (the squared sum overflows)", []float32{3e38, -3e38, 1}, false},
		{"NaN", []float32{0.5, nan, 3}, true},
		{"-Inf", []float32{inf, 1, 2}, true},
	} {
		ok := autograd.NewParam("ok", tensor.FromSlice([]float32{1, 2}, 2))
		ok.Grad = tensor.FromSlice([]float32{0.1, -0.2}, 2)
		p := autograd.NewParam("w", tensor.FromSlice([]float32{1, 2, 3}, 3))
		p.Grad = tensor.FromSlice(tc.grad, 3)
		if err := checkGrads([]*autograd.Var{ok, p}); (err != nil) != tc.bad {
			t.Errorf("%s: error %v, want one: %v", tc.name, err, tc.bad)
		}
	}
}
