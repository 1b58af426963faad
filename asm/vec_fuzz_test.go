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
// NaN inputs is checked.
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
	gen := tables[Generic]
	f.Fuzz(func(t *testing.T, op, off uint8, alpha float32, data []byte) {
		vals := make([]float32, len(data)/4)
		for i := range vals {
			vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
		o := int(off % 16)
		half := len(vals) / 2
		x, y := vals[:half], vals[half:2*half]
		n := len(x)
		for _, l := range Available() {
			if l == Generic {
				continue
			}
			k := tables[l]
			switch op % 15 {
			case 0, 1, 2, 3: // unary elementwise
				u := unaryOps[op%4]
				simd := []func(dst, x []float32){k.exp, k.silu, k.gelu, k.geluTan}[op%4]
				want := make([]float32, n)
				u.twin(want, x)
				dst, check := guarded(n, o)
				simd(dst, x)
				if msg := check(); msg != "" {
					t.Fatalf("%s %s n=%d off=%d: %s", l, u.name, n, o, msg)
				}
				for i := range dst {
					if d := ulpDiff(dst[i], want[i]); d > u.ulps {
						t.Fatalf("%s %s(%g) = %g, want %g (%d ulp)", l, u.name, x[i], dst[i], want[i], d)
					}
				}
			case 4, 5: // add, mul: exact
				simd, twin := k.add, gen.add
				if op%15 == 5 {
					simd, twin = k.mul, gen.mul
				}
				want := make([]float32, n)
				twin(want, x, y)
				dst, check := guarded(n, o)
				simd(dst, x, y)
				if msg := check(); msg != "" {
					t.Fatalf("%s add/mul n=%d off=%d: %s", l, n, o, msg)
				}
				for i := range dst {
					if !sameFloat(dst[i], want[i]) {
						t.Fatalf("%s op %d: %g, %g -> %g, want %g", l, op%15, x[i], y[i], dst[i], want[i])
					}
				}
			case 6: // scale: exact
				want := append([]float32(nil), x...)
				gen.scale(alpha, want)
				dst, check := guarded(n, o)
				copy(dst, x)
				k.scale(alpha, dst)
				if msg := check(); msg != "" {
					t.Fatalf("%s scale n=%d off=%d: %s", l, n, o, msg)
				}
				for i := range dst {
					if !sameFloat(dst[i], want[i]) {
						t.Fatalf("%s scale %g·%g = %g, want %g", l, alpha, x[i], dst[i], want[i])
					}
				}
			case 7: // axpy: FMA vs rounded product, 2u(|αx|+|y|) where nothing overflows
				want := append([]float32(nil), y...)
				gen.axpy(alpha, x, want)
				dst, check := guarded(n, o)
				copy(dst, y)
				k.axpy(alpha, x, dst)
				if msg := check(); msg != "" {
					t.Fatalf("%s axpy n=%d off=%d: %s", l, n, o, msg)
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
						if math.Abs(float64(dst[i])-float64(want[i])) > 2*math.Ldexp(mag, -24) {
							t.Fatalf("%s axpy %g·%g+%g = %g, want %g", l, alpha, x[i], y[i], dst[i], want[i])
						}
					}
				}
			case 8, 9: // dot, sum vs float64
				var ref, mag float64
				nan := false
				for i := range x {
					term := float64(x[i])
					if op%15 == 8 {
						term *= float64(y[i])
						nan = nan || y[i] != y[i]
					}
					nan = nan || x[i] != x[i]
					ref, mag = ref+term, mag+math.Abs(term)
				}
				var got float32
				if op%15 == 8 {
					got = k.dot(x, y)
				} else {
					got = k.sum(x)
				}
				switch {
				case nan:
					if got == got {
						t.Fatalf("%s op %d = %g with a NaN input", l, op%15, got)
					}
				case mag < 1e37:
					// Products that underflow lose up to half a subnormal
					// ulp (2⁻¹⁵⁰) each, which no relative bound covers.
					if b := float64(n+1) * (math.Ldexp(mag, -24) + math.Ldexp(1, -149)); math.Abs(float64(got)-ref) > b {
						t.Fatalf("%s op %d n=%d = %g, want %g (bound %g)", l, op%15, n, got, ref, b)
					}
				}
			case 10: // max: exact
				if got, want := k.max(vals[o%(len(vals)+1):]), gen.max(vals[o%(len(vals)+1):]); !sameFloat(got, want) {
					t.Fatalf("%s max = %g, want %g", l, got, want)
				}
			case 11: // f32 -> bf16: exact
				want := make([]uint16, n)
				gen.tobf16(want, x)
				got := make([]uint16, n+o)
				k.tobf16(got[o:], x)
				for i := range want {
					if got[o+i] != want[i] {
						t.Fatalf("%s F32ToBF16(%#08x) = %#04x, want %#04x", l, math.Float32bits(x[i]), got[o+i], want[i])
					}
				}
			case 14: // softmax's fused exp-and-sum pass
				want := make([]float32, n)
				gen.expSum(want, x, alpha)
				dst, check := guarded(n, o)
				got := k.expSum(dst, x, alpha)
				if msg := check(); msg != "" {
					t.Fatalf("%s expSum n=%d off=%d: %s", l, n, o, msg)
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
			case 12, 13: // bf16 -> f32: exact
				h := make([]uint16, len(data)/2)
				for i := range h {
					h[i] = binary.LittleEndian.Uint16(data[2*i:])
				}
				want := make([]float32, len(h))
				gen.bf16to(want, h)
				dst, check := guarded(len(h), o)
				k.bf16to(dst, h)
				if msg := check(); msg != "" {
					t.Fatalf("%s bf16to n=%d off=%d: %s", l, len(h), o, msg)
				}
				for i := range dst {
					if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%s BF16ToF32(%#04x) = %#08x", l, h[i], math.Float32bits(dst[i]))
					}
				}
			}
		}
	})
}
