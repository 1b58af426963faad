package asm

import (
	"encoding/binary"
	"math"
	"testing"
)

// FuzzVec is a differential fuzz target: every SIMD level against the Go
// twins on fuzzer-chosen kernels, lengths, start offsets and raw float32 bit
// patterns (so NaNs, infinities, subnormals and huge values all occur). The
// bounds are those of vec_test.go; where a float32 result may legitimately
// depend on the evaluation order (a sum that can overflow), only NaN-ness of
// NaN inputs is checked. op % 15 picks the kernel (vecFuzzChecks).
func FuzzVec(f *testing.F) {
	f.Add(uint8(0), uint8(3), float32(1.5), []byte("\x00\x00\x80\x3f\x00\x00\x00\x40\x00\x00\xc0\x7f\x00\x00\x80\xff"))
	f.Add(uint8(7), uint8(0), float32(-2), make([]byte, 4*37))
	f.Add(uint8(12), uint8(9), float32(0), []byte("\x01\x80\x80\x3f\xff\xff\x7f\x7f\x00\x80\x01\x00\x12\x34\x56\x78\x9a\xbc\xde\xf0"))
	for op := uint8(0); op < 15; op++ {
		b := make([]byte, 4*(int(op)*7+5))
		for i := range b {
			b[i] = byte(i*37 + int(op))
		}
		f.Add(op, op, float32(op)-3.25, b)
	}
	f.Fuzz(func(t *testing.T, op, off uint8, alpha float32, data []byte) {
		in := vecFuzzIn{op: int(op % 15), o: int(off % 16), alpha: alpha, data: data}
		in.vals = make([]float32, len(data)/4)
		for i := range in.vals {
			in.vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
		half := len(in.vals) / 2
		in.x, in.y = in.vals[:half], in.vals[half:2*half]
		for _, l := range Available() {
			if l != Generic {
				vecFuzzChecks[in.op](t, l, in)
			}
		}
	})
}

// vecFuzzIn is one FuzzVec input, decoded.
type vecFuzzIn struct {
	op    int     // the kernel, 0..14
	o     int     // where the output starts in its guard band, 0..15
	alpha float32 // the scalar argument
	data  []byte  // the raw bytes (read as bf16 by the bf16 → f32 check)
	vals  []float32
	x, y  []float32 // the two halves of vals
}

// vecFuzzChecks compares level l's kernel with its Go twin, by op.
var vecFuzzChecks = [15]func(t *testing.T, l Level, in vecFuzzIn){
	fuzzUnary, fuzzUnary, fuzzUnary, fuzzUnary, // exp, silu, gelu, geluTan
	fuzzAddMul, fuzzAddMul,
	fuzzScale,
	fuzzAxpy,
	fuzzReduce, fuzzReduce, // dot, sum
	fuzzMax,
	fuzzToBF16,
	fuzzFromBF16, fuzzFromBF16,
	fuzzExpSum,
}

// fuzzUnary: the elementwise functions within their ulp bounds.
func fuzzUnary(t *testing.T, l Level, in vecFuzzIn) {
	x, n, k := in.x, len(in.x), tables[l]
	u := unaryOps[in.op]
	simd := []func(dst, x []float32){k.exp, k.silu, k.gelu, k.geluTan}[in.op]
	want := make([]float32, n)
	u.twin(want, x)
	dst, check := guarded(n, in.o)
	simd(dst, x)
	if msg := check(); msg != "" {
		t.Fatalf("%s %s n=%d off=%d: %s", l, u.name, n, in.o, msg)
	}
	for i := range dst {
		if d := ulpDiff(dst[i], want[i]); d > u.ulps {
			t.Fatalf("%s %s(%g) = %g, want %g (%d ulp)", l, u.name, x[i], dst[i], want[i], d)
		}
	}
}

// fuzzAddMul: add (op 4) and mul (op 5), exact.
func fuzzAddMul(t *testing.T, l Level, in vecFuzzIn) {
	x, y, n, k, gen := in.x, in.y, len(in.x), tables[l], tables[Generic]
	simd, twin := k.add, gen.add
	if in.op == 5 {
		simd, twin = k.mul, gen.mul
	}
	want := make([]float32, n)
	twin(want, x, y)
	dst, check := guarded(n, in.o)
	simd(dst, x, y)
	if msg := check(); msg != "" {
		t.Fatalf("%s add/mul n=%d off=%d: %s", l, n, in.o, msg)
	}
	for i := range dst {
		if !sameFloat(dst[i], want[i]) {
			t.Fatalf("%s op %d: %g, %g -> %g, want %g", l, in.op, x[i], y[i], dst[i], want[i])
		}
	}
}

// fuzzScale: scale in place, exact.
func fuzzScale(t *testing.T, l Level, in vecFuzzIn) {
	x, n, alpha := in.x, len(in.x), in.alpha
	want := append([]float32(nil), x...)
	tables[Generic].scale(alpha, want)
	dst, check := guarded(n, in.o)
	copy(dst, x)
	tables[l].scale(alpha, dst)
	if msg := check(); msg != "" {
		t.Fatalf("%s scale n=%d off=%d: %s", l, n, in.o, msg)
	}
	for i := range dst {
		if !sameFloat(dst[i], want[i]) {
			t.Fatalf("%s scale %g·%g = %g, want %g", l, alpha, x[i], dst[i], want[i])
		}
	}
}

// fuzzAxpy: FMA against the rounded product, within 2u(|αx|+|y|) plus two
// subnormal spacings (2^-149 each: below 2^-126 a rounding error is
// absolute, not relative) where nothing overflows; NaN where an input is
// NaN.
func fuzzAxpy(t *testing.T, l Level, in vecFuzzIn) {
	x, y, n, alpha := in.x, in.y, len(in.x), in.alpha
	want := append([]float32(nil), y...)
	tables[Generic].axpy(alpha, x, want)
	dst, check := guarded(n, in.o)
	copy(dst, y)
	tables[l].axpy(alpha, x, dst)
	if msg := check(); msg != "" {
		t.Fatalf("%s axpy n=%d off=%d: %s", l, n, in.o, msg)
	}
	for i := range dst {
		ax := float64(alpha) * float64(x[i])
		mag := math.Abs(ax) + math.Abs(float64(y[i]))
		switch {
		case ax != ax || y[i] != y[i]:
			if dst[i] == dst[i] {
				t.Fatalf("%s axpy %g·%g+%g = %g, want NaN", l, alpha, x[i], y[i], dst[i])
			}
		case mag < 1e38:
			if math.Abs(float64(dst[i])-float64(want[i])) > 2*(math.Ldexp(mag, -24)+math.Ldexp(1, -149)) {
				t.Fatalf("%s axpy %g·%g+%g = %g, want %g", l, alpha, x[i], y[i], dst[i], want[i])
			}
		}
	}
}

// fuzzReduce: dot (op 8) and sum (op 9) against float64, within
// (n+1)·(u·Σ|term| + 2⁻¹⁴⁹) where the sum cannot overflow; NaN from a NaN.
func fuzzReduce(t *testing.T, l Level, in vecFuzzIn) {
	x, y, n := in.x, in.y, len(in.x)
	dot := in.op == 8
	var ref, mag float64
	nan := false
	for i := range x {
		term := float64(x[i])
		if dot {
			term *= float64(y[i])
			nan = nan || y[i] != y[i]
		}
		nan = nan || x[i] != x[i]
		ref, mag = ref+term, mag+math.Abs(term)
	}
	var got float32
	if dot {
		got = tables[l].dot(x, y)
	} else {
		got = tables[l].sum(x)
	}
	switch {
	case nan:
		if got == got {
			t.Fatalf("%s op %d = %g with a NaN input", l, in.op, got)
		}
	case mag < 1e37:
		// Products that underflow lose up to half a subnormal ulp (2⁻¹⁵⁰)
		// each, which no relative bound covers.
		if b := float64(n+1) * (math.Ldexp(mag, -24) + math.Ldexp(1, -149)); math.Abs(float64(got)-ref) > b {
			t.Fatalf("%s op %d n=%d = %g, want %g (bound %g)", l, in.op, n, got, ref, b)
		}
	}
}

// fuzzMax: max of the values from an offset on, exact (a zero's sign is
// not specified: +0 and -0 are equal).
func fuzzMax(t *testing.T, l Level, in vecFuzzIn) {
	v := in.vals[in.o%(len(in.vals)+1):]
	if got, want := tables[l].max(v), tables[Generic].max(v); !sameFloat(got, want) && !(got == 0 && want == 0) {
		t.Fatalf("%s max = %g, want %g", l, got, want)
	}
}

// fuzzToBF16: f32 → bf16 rounding, exact.
func fuzzToBF16(t *testing.T, l Level, in vecFuzzIn) {
	x, n, o := in.x, len(in.x), in.o
	want := make([]uint16, n)
	tables[Generic].tobf16(want, x)
	got := make([]uint16, n+o)
	tables[l].tobf16(got[o:], x)
	for i := range want {
		if got[o+i] != want[i] {
			t.Fatalf("%s F32ToBF16(%#08x) = %#04x, want %#04x", l, math.Float32bits(x[i]), got[o+i], want[i])
		}
	}
}

// fuzzFromBF16: bf16 → f32 of the raw bytes, exact.
func fuzzFromBF16(t *testing.T, l Level, in vecFuzzIn) {
	h := make([]uint16, len(in.data)/2)
	for i := range h {
		h[i] = binary.LittleEndian.Uint16(in.data[2*i:])
	}
	want := make([]float32, len(h))
	tables[Generic].bf16to(want, h)
	dst, check := guarded(len(h), in.o)
	tables[l].bf16to(dst, h)
	if msg := check(); msg != "" {
		t.Fatalf("%s bf16to n=%d off=%d: %s", l, len(h), in.o, msg)
	}
	for i := range dst {
		if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s BF16ToF32(%#04x) = %#08x", l, h[i], math.Float32bits(dst[i]))
		}
	}
}

// fuzzExpSum: softmax's fused exp-and-sum pass, each exp within 2 ulp and
// the sum within (n+5)u of the twin's exps summed in float64.
func fuzzExpSum(t *testing.T, l Level, in vecFuzzIn) {
	x, n, alpha := in.x, len(in.x), in.alpha
	want := make([]float32, n)
	tables[Generic].expSum(want, x, alpha)
	dst, check := guarded(n, in.o)
	got := tables[l].expSum(dst, x, alpha)
	if msg := check(); msg != "" {
		t.Fatalf("%s expSum n=%d off=%d: %s", l, n, in.o, msg)
	}
	var ref float64
	for i := range dst {
		if d := ulpDiff(dst[i], want[i]); d > 2 {
			t.Fatalf("%s expSum exp(%g-%g) = %g, want %g", l, x[i], alpha, dst[i], want[i])
		}
		ref += float64(want[i])
	}
	if ref < 1e37 && math.Abs(float64(got)-ref) > float64(n+5)*math.Ldexp(ref, -24)+float64(n+1)*math.Ldexp(1, -149) {
		t.Fatalf("%s expSum n=%d sum %g, want %g", l, n, got, ref)
	} else if ref != ref && got == got {
		t.Fatalf("%s expSum sum %g, want NaN", l, got)
	}
}
