package safetensors

import (
	"encoding/binary"
	"math"
	"math/rand"
	"path/filepath"
	"strings"
	"testing"
)

// firstNonFiniteRef is the element-by-element reference for FirstNonFinite.
func firstNonFiniteRef(raw []byte, d DType) int {
	es := d.Size()
	for i := 0; i+es <= len(raw); i += es {
		var v float64
		switch d {
		case F32:
			v = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[i:])))
		case F16:
			v = float64(F16ToF32(binary.LittleEndian.Uint16(raw[i:])))
		default:
			v = float64(BF16ToF32(binary.LittleEndian.Uint16(raw[i:])))
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return i / es
		}
	}
	return -1
}

func TestFirstNonFinite(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	bad := map[string]float32{"NaN": float32(math.NaN()), "+Inf": float32(math.Inf(1)), "-Inf": float32(math.Inf(-1))}
	for _, d := range []DType{F32, F16, BF16} {
		for _, n := range []int{1, 3, 4, 7, 15, 17, 31, 33, 127, 129} {
			vals := randFloats(r, n)
			// The largest finite values of each format must pass.
			vals[0] = -65504
			vals[n-1] = 65504
			clean := FromFloat32("x", []int{n}, vals, d).Data
			if got := FirstNonFinite(clean, d); got != -1 {
				t.Fatalf("%s n=%d: finite data reported non-finite at %d", d, n, got)
			}
			for name, v := range bad {
				for _, at := range []int{0, n / 2, n - 1} {
					x := append([]float32(nil), vals...)
					x[at] = v
					if at+2 < n {
						x[at+2] = v // only the first counts
					}
					raw := FromFloat32("x", []int{n}, x, d).Data
					got, want := FirstNonFinite(raw, d), firstNonFiniteRef(raw, d)
					if got != at || want != at {
						t.Fatalf("%s n=%d %s at %d: got %d, reference %d", d, n, name, at, got, want)
					}
				}
			}
		}
	}
	if got := FirstNonFinite([]byte{0xff, 0xff, 0xff, 0xff}, I32); got != -1 {
		t.Errorf("I32 data checked: %d", got)
	}
}

func TestNonFiniteRefused(t *testing.T) {
	w := randFloats(rand.New(rand.NewSource(4)), 12)
	w[9] = float32(math.NaN())
	inf := []float32{1, 2, float32(math.Inf(-1))}
	path := filepath.Join(t.TempDir(), "m.safetensors")
	tensors := []Tensor{
		FromFloat32("model.layers.0.mlp.down_proj.weight", []int{3, 4}, w, BF16),
		FromFloat32("norm.weight", []int{3}, inf, F32),
		FromFloat32("half", []int{3}, inf, F16),
		FromFloat32("ok", []int{2}, []float32{1, -2}, F32),
	}
	if err := Write(path, tensors, nil); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cases := []struct {
		name string
		d    DType
		at   int
		want string
	}{
		{"model.layers.0.mlp.down_proj.weight", BF16, 9, `tensor "model.layers.0.mlp.down_proj.weight" holds NaN at element 9 of 12`},
		{"norm.weight", F32, 2, `tensor "norm.weight" holds -Inf at element 2 of 3`},
		{"half", F16, 2, `tensor "half" holds -Inf at element 2 of 3`},
	}
	for _, c := range cases {
		if _, err := f.Float32(c.name); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("Float32(%s) = %v, want an error naming %s and %q", c.name, err, path, c.want)
		}
		if _, err := f.BF16(c.name); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("BF16(%s) = %v, want an error with %q", c.name, err, c.want)
		}
		// The raw bytes stay readable, unchecked, with the value intact.
		if b, err := f.Bytes(c.name); err != nil || FirstNonFinite(b, c.d) != c.at {
			t.Errorf("Bytes(%s): %v, non-finite at %d, want %d", c.name, err, FirstNonFinite(b, c.d), c.at)
		}
	}
	if _, err := f.Float32("ok"); err != nil {
		t.Errorf("finite tensor refused: %v", err)
	}
}

func FuzzFirstNonFinite(f *testing.F) {
	f.Add([]byte{0, 0, 0x80, 0x7f, 1, 2, 3}, uint8(0))
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 0x80, 0x7f}, uint8(2))
	f.Add([]byte{0, 0x7c, 0, 0}, uint8(1))
	f.Fuzz(func(t *testing.T, raw []byte, which uint8) {
		d := []DType{F32, F16, BF16}[int(which)%3]
		if got, want := FirstNonFinite(raw, d), firstNonFiniteRef(raw, d); got != want {
			t.Fatalf("%s %x: got %d, reference %d", d, raw, got, want)
		}
	})
}

// BenchmarkFirstNonFinite measures the load-time check over 16 MiB of bf16
// weights (reported as bytes/s), beside a plain copy of the same bytes.
func BenchmarkFirstNonFinite(b *testing.B) {
	raw := FromFloat32("w", []int{8 << 20}, randFloats(rand.New(rand.NewSource(5)), 8<<20), BF16).Data
	b.Run("check", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			if FirstNonFinite(raw, BF16) >= 0 {
				b.Fatal("non-finite")
			}
		}
	})
	b.Run("copy", func(b *testing.B) {
		dst := make([]byte, len(raw))
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			copy(dst, raw)
		}
	})
}
