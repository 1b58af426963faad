package tensor

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/llink-go/llink/internal/refgemm"
	"github.com/llink-go/llink/internal/testutil"
)

func TestMatMulShapes(t *testing.T) {
	r := testutil.RNG(1)
	cases := []struct {
		name           string
		a, b           []int
		transA, transB bool
		want           []int
	}{
		{"plain", []int{3, 5}, []int{5, 7}, false, false, []int{3, 7}},
		{"linear", []int{2, 3, 5}, []int{7, 5}, false, true, []int{2, 3, 7}},
		{"transA", []int{5, 3}, []int{5, 7}, true, false, []int{3, 7}},
		{"batchedTransA", []int{4, 5, 3}, []int{5, 7}, true, false, []int{4, 3, 7}},
		{"heads", []int{2, 4, 6, 8}, []int{2, 4, 9, 8}, false, true, []int{2, 4, 6, 9}},
		{"headsTT", []int{2, 8, 6}, []int{2, 9, 8}, true, true, []int{2, 6, 9}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, b := RandN(r, 1, c.a...), RandN(r, 1, c.b...)
			got := MatMul(a, b, c.transA, c.transB)
			if !slices.Equal(got.Shape(), c.want) {
				t.Fatalf("shape %v, want %v", got.Shape(), c.want)
			}
			// Reference: per-matrix float64 product.
			m, n := c.want[len(c.want)-2], c.want[len(c.want)-1]
			k := c.a[len(c.a)-1]
			if c.transA {
				k = c.a[len(c.a)-2]
			}
			batch := got.Len() / (m * n)
			for q := 0; q < batch; q++ {
				ad := a.Data()[q*m*k:]
				bd := b.Data()
				if len(c.b) > 2 {
					bd = bd[q*k*n:]
				}
				lda, ldb := k, n
				if c.transA {
					lda = m
				}
				if c.transB {
					ldb = k
				}
				ref, mag := refgemm.Compute(c.transA, c.transB, m, n, k, 1, ad, lda, bd, ldb, 0, nil, n)
				for i := range ref {
					if d := math.Abs(float64(got.Data()[q*m*n+i]) - ref[i]); d > 1e-5*mag[i] {
						t.Fatalf("batch %d elem %d: got %g want %g", q, i, got.Data()[q*m*n+i], ref[i])
					}
				}
			}
		})
	}
}

func TestMatMulBF16(t *testing.T) {
	r := testutil.RNG(2)
	a := RandN(r, 1, 2, 3, 17)
	w := RandN(r, 1, 11, 17)
	wb := ToBF16(w)
	got := MatMulBF16(a, wb, true)
	want := MatMul(a, wb.Float32(), false, true)
	if d := MaxAbsDiff(got, want); d > 1e-5 {
		t.Fatalf("bf16 matmul differs from widened f32 matmul by %g", d)
	}
	if d := MaxAbsDiff(wb.Float32(), w); d > 0.01*4 {
		t.Fatalf("bf16 rounding error %g too large", d)
	}
}

func TestBroadcast(t *testing.T) {
	cases := []struct {
		a, b, want []int
		bad        bool
	}{
		{[]int{2, 3}, []int{3}, []int{2, 3}, false},
		{[]int{2, 1, 4}, []int{3, 1}, []int{2, 3, 4}, false},
		{[]int{}, []int{2, 2}, []int{2, 2}, false},
		{[]int{2, 3}, []int{2}, nil, true},
	}
	for _, c := range cases {
		got, err := BroadcastShape(c.a, c.b)
		if c.bad {
			if err == nil || !strings.Contains(err.Error(), "[2 3]") {
				t.Errorf("%v,%v: want error naming shapes, got %v", c.a, c.b, err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%v,%v: got %v %v, want %v", c.a, c.b, got, err, c.want)
		}
	}
	r := testutil.RNG(3)
	a := RandN(r, 1, 2, 1, 4)
	b := RandN(r, 1, 3, 1)
	for _, op := range []struct {
		name string
		f    func(a, b *Tensor) *Tensor
		g    func(x, y float32) float32
	}{
		{"add", Add, func(x, y float32) float32 { return x + y }},
		{"sub", Sub, func(x, y float32) float32 { return x - y }},
		{"mul", Mul, func(x, y float32) float32 { return x * y }},
		{"div", Div, func(x, y float32) float32 { return x / y }},
	} {
		out := op.f(a, b)
		for i := 0; i < 2; i++ {
			for j := 0; j < 3; j++ {
				for k := 0; k < 4; k++ {
					if got, want := out.At(i, j, k), op.g(a.At(i, 0, k), b.At(j, 0)); got != want {
						t.Fatalf("%s[%d,%d,%d] = %g, want %g", op.name, i, j, k, got, want)
					}
				}
			}
		}
	}
	// Row-vector fast path agrees with the general path.
	x := RandN(r, 1, 5, 7)
	v := RandN(r, 1, 7)
	s := Add(x, v)
	for i := 0; i < 5; i++ {
		for j := 0; j < 7; j++ {
			if s.At(i, j) != x.At(i, j)+v.At(j) {
				t.Fatal("row broadcast wrong")
			}
		}
	}
}

func TestReduce(t *testing.T) {
	x := FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	if got := SumAxis(x, 0, false).Data(); !slices.Equal(got, []float32{5, 7, 9}) {
		t.Errorf("sum axis 0 = %v", got)
	}
	if got := SumAxis(x, -1, true); !slices.Equal(got.Data(), []float32{6, 15}) || !slices.Equal(got.Shape(), []int{2, 1}) {
		t.Errorf("sum axis -1 keep = %v", got)
	}
	if got := MeanAxis(x, 1, false).Data(); !slices.Equal(got, []float32{2, 5}) {
		t.Errorf("mean = %v", got)
	}
	if got := MaxAxis(x, 0, false).Data(); !slices.Equal(got, []float32{4, 5, 6}) {
		t.Errorf("max = %v", got)
	}
	tr := TransposeLast2(x)
	if !slices.Equal(tr.Shape(), []int{3, 2}) || tr.At(2, 1) != 6 || tr.At(0, 1) != 4 {
		t.Errorf("transpose = %v", tr)
	}
	sm := SoftmaxRows(x)
	if math.Abs(float64(SumAxis(sm, -1, false).Data()[1])-1) > 1e-6 {
		t.Errorf("softmax rows do not sum to 1: %v", sm)
	}
}

func TestPanicsNameShapes(t *testing.T) {
	cases := []struct {
		name, want string
		f          func()
	}{
		{"matmul", "[2 3]", func() { MatMul(New(2, 3), New(4, 5), false, false) }},
		{"reshape", "[2 3]", func() { New(2, 3).Reshape(4, 2) }},
		{"fromslice", "[2 2]", func() { FromSlice(make([]float32, 3), 2, 2) }},
		{"add", "[2 3]", func() { Add(New(2, 3), New(2)) }},
	}
	for _, c := range cases {
		func() {
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(r.(string), c.want) {
					t.Errorf("%s: panic %v, want mention of %s", c.name, r, c.want)
				}
			}()
			c.f()
		}()
	}
}

func TestReshapeView(t *testing.T) {
	x := New(2, 6)
	y := x.Reshape(3, -1)
	if !slices.Equal(y.Shape(), []int{3, 4}) {
		t.Fatalf("shape %v", y.Shape())
	}
	y.Set(7, 2, 3)
	if x.At(1, 5) != 7 {
		t.Fatal("reshape is not a view")
	}
}
