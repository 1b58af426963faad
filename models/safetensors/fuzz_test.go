package safetensors

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

func FuzzSafetensorsParse(f *testing.F) {
	var good bytes.Buffer
	Encode(&good, []Tensor{
		FromFloat32("w", []int{2, 3}, []float32{1, -2, 3.5, 4, 5e-3, 6}, BF16),
		FromFloat32("b", []int{3}, []float32{0.5, 1, 2}, F32),
		FromFloat32("h", []int{1}, []float32{7}, F16),
	}, map[string]string{"seed": "1"})
	f.Add(good.Bytes())
	f.Add(raw(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4))
	f.Add(raw(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8))
	f.Add(raw(`{"__metadata__":{"a":"b"}}`, 0))
	f.Add([]byte{255, 255, 255, 255, 255, 255, 255, 255})
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := ParseBytes(data, "fuzz")
		if err != nil {
			return
		}
		var tensors []Tensor
		for _, ti := range file.Tensors() {
			b, err := file.Bytes(ti.Name)
			if err != nil || int64(len(b)) != ti.Size {
				t.Fatalf("Bytes(%q) = %d bytes, %v; want %d", ti.Name, len(b), err, ti.Size)
			}
			if ti.DType.IsFloat() {
				// A tensor holding NaN or ±Inf is refused by name (the
				// loaders' finiteness check); any other must convert whole.
				v, err := file.Float32(ti.Name)
				_, errBF16 := file.BF16(ti.Name)
				if FirstNonFinite(b, ti.DType) >= 0 {
					if err == nil || errBF16 == nil || !strings.Contains(err.Error(), strconv.Quote(ti.Name)) {
						t.Fatalf("tensor %q holds a non-finite value, yet Float32 gave %v and BF16 %v", ti.Name, err, errBF16)
					}
				} else {
					if err != nil || len(v) != ti.NumElements() {
						t.Fatalf("Float32(%q): %d values, %v", ti.Name, len(v), err)
					}
					if errBF16 != nil {
						t.Fatal(errBF16)
					}
				}
			}
			tensors = append(tensors, Tensor{Name: ti.Name, DType: ti.DType, Shape: ti.Shape, Data: b})
		}
		// Whatever parses must re-encode and parse back to the same tensors.
		var out bytes.Buffer
		if err := Encode(&out, tensors, file.Metadata()); err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		back, err := ParseBytes(out.Bytes(), "re-encoded")
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		for _, ti := range tensors {
			b, _ := back.Bytes(ti.Name)
			if !bytes.Equal(b, ti.Data) {
				t.Fatalf("tensor %q changed after re-encoding", ti.Name)
			}
		}
	})
}
