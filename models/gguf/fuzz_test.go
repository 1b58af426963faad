package gguf

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/llink-go/llink/models/safetensors"
)

func FuzzGGUFParse(f *testing.F) {
	w := NewWriter()
	w.Set("general.architecture", NewString("llama"))
	w.Set("llama.block_count", NewUint32(2))
	w.Set("tokenizer.ggml.tokens", NewStrings([]string{"a", "b"}))
	w.Set("tokenizer.ggml.scores", NewFloat32s([]float32{0, -1}))
	nested, _ := NewArray(TypeArray, []Value{NewInt32s([]int32{1}), NewBytes([]byte{2})})
	w.Set("nested", nested)
	w.AddFloat32("w", []int{2, 2}, []float32{1, 2, 3, 4}, BF16)
	w.AddFloat32("b", []int{2}, []float32{1, 2}, F32)
	var buf bytes.Buffer
	w.WriteTo(&buf)
	f.Add(buf.Bytes())
	f.Add(hdr(3, 0, 1).str("k").u32(uint32(TypeArray)).u32(uint32(TypeArray)).u64(1).u32(uint32(TypeUint8)).u64(1).pad(1).Bytes())
	f.Add(hdr(2, 1, 0).tensor("t", F16, 0, 2).pad(32).Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		rw := NewWriter()
		rw.Version = file.Version
		for _, k := range file.Keys() {
			v, _ := file.Value(k)
			_ = v.String()
			file.Uint(k)
			file.Float(k)
			file.Int32s(k)
			file.Bytes(k)
			file.Float32s(k)
			rw.Set(k, v)
		}
		canRewrite := true
		for _, ti := range file.Tensors {
			switch ti.Type {
			case F32, F16, BF16:
				// A tensor holding NaN or ±Inf is refused by name (the
				// loaders' finiteness check); any other must read whole.
				raw, err := file.ReadRaw(ti.Name)
				if err != nil {
					t.Fatalf("ReadRaw(%q): %v", ti.Name, err)
				}
				d := map[TensorType]safetensors.DType{F32: safetensors.F32, F16: safetensors.F16, BF16: safetensors.BF16}[ti.Type]
				v, err := file.ReadFloat32(ti.Name)
				_, errBF16 := file.ReadBF16(ti.Name)
				if safetensors.FirstNonFinite(raw, d) >= 0 {
					if err == nil || errBF16 == nil || !strings.Contains(err.Error(), strconv.Quote(ti.Name)) {
						t.Fatalf("tensor %q holds a non-finite value, yet ReadFloat32 gave %v and ReadBF16 %v", ti.Name, err, errBF16)
					}
					break
				}
				if err != nil || uint64(len(v)) != ti.NumElements() {
					t.Fatalf("ReadFloat32(%q): %d values, %v", ti.Name, len(v), err)
				}
				if errBF16 != nil {
					t.Fatal(errBF16)
				}
			}
			if !ti.Type.Known() {
				canRewrite = false
				continue
			}
			raw, err := file.ReadRaw(ti.Name)
			if err != nil {
				t.Fatalf("ReadRaw(%q): %v", ti.Name, err)
			}
			if err := rw.AddTensor(ti.Name, ti.Type, ti.Dims, raw); err != nil {
				t.Fatalf("re-adding %q: %v", ti.Name, err)
			}
		}
		if !canRewrite {
			return
		}
		// Writing what was read, reading it back and writing again must be
		// stable.
		var out1, out2 bytes.Buffer
		if _, err := rw.WriteTo(&out1); err != nil {
			t.Fatalf("rewrite: %v", err)
		}
		back, err := Parse(bytes.NewReader(out1.Bytes()), int64(out1.Len()))
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		rw2 := NewWriter()
		rw2.Version = back.Version
		for _, k := range back.Keys() {
			v, _ := back.Value(k)
			rw2.Set(k, v)
		}
		for _, ti := range back.Tensors {
			raw, _ := back.ReadRaw(ti.Name)
			rw2.AddTensor(ti.Name, ti.Type, ti.Dims, raw)
		}
		rw2.WriteTo(&out2)
		if !bytes.Equal(out1.Bytes(), out2.Bytes()) {
			t.Fatal("write → parse → write is not stable")
		}
	})
}
