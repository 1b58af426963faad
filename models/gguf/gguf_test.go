package gguf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/models/safetensors"
)

func randFloats(r *rand.Rand, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(r.NormFloat64())
	}
	return out
}

// namedReader gives Parse a file name for its messages.
type namedReader struct {
	*bytes.Reader
	name string
}

func (n namedReader) Name() string { return n.name }

func parseBytes(b []byte, name string) (*File, error) {
	return Parse(namedReader{bytes.NewReader(b), name}, int64(len(b)))
}

// TestRoundTrip writes every metadata type and float tensor type, then reads
// them back through Open (mapped file) and parse (bytes), as GGUF v3 and v2.
func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	w, a, q := roundTripWriter(t, r)
	dir := t.TempDir()
	path := filepath.Join(dir, "m.gguf")
	if err := w.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	for _, v := range []uint32{2, 3} {
		w.Version = v
		var buf bytes.Buffer
		if _, err := w.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		if v == 3 && !bytes.Equal(buf.Bytes(), data) {
			t.Fatal("WriteFile and WriteTo differ")
		}
		for _, mode := range []string{"open", "parse"} {
			if mode == "open" && v != 3 {
				continue // the file on disk is v3
			}
			t.Run(fmt.Sprintf("v%d/%s", v, mode), func(t *testing.T) {
				var f *File
				var err error
				if mode == "open" {
					f, err = Open(path)
				} else {
					f, err = parseBytes(buf.Bytes(), "mem.gguf")
				}
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				if f.Version != v || f.Alignment != 64 || f.DataOffset%64 != 0 {
					t.Errorf("version %d alignment %d data offset %d", f.Version, f.Alignment, f.DataOffset)
				}
				checkRoundTripMetadata(t, f)
				checkRoundTripTensors(t, f, a, q)
			})
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
}

// roundTripWriter returns a writer holding a key of every metadata type
// (arrays of every kind, nested and empty ones) and tensors "a" (F32 3×5),
// "h" (F16) and "bf" (BF16) of the same values a, a Q5_K tensor (a type
// llink does not multiply) of random bytes q and an I32 one.
func roundTripWriter(t *testing.T, r *rand.Rand) (w *Writer, a []float32, q []byte) {
	t.Helper()
	w = NewWriter()
	nested, _ := NewArray(TypeArray, []Value{NewInt32s([]int32{1, 2}), NewStrings([]string{"x"})})
	bools, _ := NewArray(TypeBool, []Value{NewBool(true), NewBool(false)})
	i8s, _ := NewArray(TypeInt8, []Value{NewInt8(-1), NewInt8(5)})
	u32s := NewUint32s([]uint32{7, 8, 1 << 31})
	w.Set("general.architecture", NewString("llama"))
	w.Set("general.alignment", NewUint32(64))
	w.Set("u8", NewUint8(200))
	w.Set("i8", NewInt8(-3))
	w.Set("u16", NewUint16(60000))
	w.Set("i16", NewInt16(-30000))
	w.Set("u32", NewUint32(4000000000))
	w.Set("i32", NewInt32(-7))
	w.Set("f32", NewFloat32(1.5))
	w.Set("b", NewBool(true))
	w.Set("u64", NewUint64(1<<63))
	w.Set("i64", NewInt64(42))
	w.Set("f64", NewFloat64(math.Pi))
	w.Set("tokenizer.ggml.tokens", NewStrings([]string{"<s>", "▁hello", "ខ្មែរ", ""}))
	w.Set("tokenizer.ggml.scores", NewFloat32s([]float32{0, -1.5, -2.25, -9}))
	w.Set("tokenizer.ggml.token_type", NewInt32s([]int32{3, 1, 1, 2}))
	w.Set("tokenizer.ggml.precompiled_charsmap", NewBytes([]byte{0, 1, 2, 255}))
	w.Set("nested", nested)
	w.Set("bools", bools)
	w.Set("i8s", i8s)
	w.Set("u32s", u32s)
	w.Set("empty", NewStrings(nil))
	w.Set("u8", NewUint8(201)) // replaces, keeps position

	a = randFloats(r, 3*5)
	a[0], a[1] = 6e-8, -65504 // f16 subnormal, the most negative finite f16
	for _, tc := range []struct {
		name  string
		shape []int
		typ   TensorType
	}{{"a", []int{3, 5}, F32}, {"h", []int{5, 3}, F16}, {"bf", []int{15}, BF16}} {
		if err := w.AddFloat32(tc.name, tc.shape, a, tc.typ); err != nil {
			t.Fatal(err)
		}
	}
	q = make([]byte, 2*176)
	r.Read(q)
	if err := w.AddTensor("blk.0.attn_q.weight", Q5_K, []uint64{256, 2}, q); err != nil {
		t.Fatal(err)
	}
	if err := w.AddTensor("ids", I32, []uint64{2}, []byte{1, 0, 0, 0, 2, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	return w, a, q
}

// checkRoundTripMetadata reads roundTripWriter's keys back: their order,
// every typed getter on the keys it accepts (with the conversions it
// makes) and refusing those it does not.
func checkRoundTripMetadata(t *testing.T, f *File) {
	t.Helper()
	wantKeys := "general.architecture general.alignment u8 i8 u16 i16 u32 i32 f32 b u64 i64 f64 tokenizer.ggml.tokens tokenizer.ggml.scores tokenizer.ggml.token_type tokenizer.ggml.precompiled_charsmap nested bools i8s u32s empty"
	if got := strings.Join(f.Keys(), " "); got != wantKeys {
		t.Errorf("keys = %s", got)
	}
	type read struct {
		name string
		get  func() (any, bool)
		want any // nil: the read must fail
	}
	reads := []read{
		{"String(general.architecture)", func() (any, bool) { return f.String("general.architecture") }, "llama"},
		{"Int(i16)", func() (any, bool) { return f.Int("i16") }, int64(-30000)},
		{"Float(f64)", func() (any, bool) { return f.Float("f64") }, math.Pi},
		{"Float(f32)", func() (any, bool) { return f.Float("f32") }, 1.5},
		{"Bool(b)", func() (any, bool) { return f.Bool("b") }, true},
		{"Strings(tokens)", func() (any, bool) { return f.Strings("tokenizer.ggml.tokens") }, []string{"<s>", "▁hello", "ខ្មែរ", ""}},
		{"Float32s(scores)", func() (any, bool) { return f.Float32s("tokenizer.ggml.scores") }, []float32{0, -1.5, -2.25, -9}},
		{"Int32s(token_type)", func() (any, bool) { return f.Int32s("tokenizer.ggml.token_type") }, []int32{3, 1, 1, 2}},
		{"Int32s(i8s)", func() (any, bool) { return f.Int32s("i8s") }, []int32{-1, 5}},
		{"Int32s(u32s): 1<<31 does not fit", func() (any, bool) { return f.Int32s("u32s") }, nil},
		{"Int32s(tokens): strings", func() (any, bool) { return f.Int32s("tokenizer.ggml.tokens") }, nil},
		{"Bytes(charsmap)", func() (any, bool) { return f.Bytes("tokenizer.ggml.precompiled_charsmap") }, []byte{0, 1, 2, 255}},
		{"Bytes(i8s)", func() (any, bool) { return f.Bytes("i8s") }, []byte{255, 5}},
		{"Strings(empty)", func() (any, bool) { return f.Strings("empty") }, []string{}},
	}
	for k, want := range map[string]uint64{"u8": 201, "u16": 60000, "u32": 4000000000, "u64": 1 << 63, "i64": 42, "general.alignment": 64} {
		reads = append(reads, read{"Uint(" + k + ")", func() (any, bool) { return f.Uint(k) }, want})
	}
	for _, k := range []string{"i8", "i16", "i32", "f32", "b", "general.architecture", "missing"} {
		reads = append(reads, read{"Uint(" + k + ")", func() (any, bool) { return f.Uint(k) }, nil})
	}
	for _, c := range reads {
		got, ok := c.get()
		if c.want == nil {
			if ok {
				t.Errorf("%s = %v, want a failure", c.name, got)
			}
			continue
		}
		if !ok || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s = %#v (ok %v), want %#v", c.name, got, ok, c.want)
		}
	}
	nv, _ := f.Value("nested")
	arr, _ := nv.Array()
	if nv.ElemType() != TypeArray || len(arr) != 2 {
		t.Fatalf("nested = %v", nv)
	}
	if x, _ := arr[0].Int32s(); !reflect.DeepEqual(x, []int32{1, 2}) {
		t.Errorf("nested[0] = %v", arr[0])
	}
	if x, _ := arr[1].Strings(); !reflect.DeepEqual(x, []string{"x"}) {
		t.Errorf("nested[1] = %v", arr[1])
	}
	bv, _ := f.Value("bools")
	if !reflect.DeepEqual(bv.Any(), []bool{true, false}) || bv.String() != "[bool×2: true false]" {
		t.Errorf("bools = %v", bv)
	}
}

// checkRoundTripTensors reads roundTripWriter's tensors back: shapes,
// alignment, the float values through every conversion, the quantised
// tensor raw, and the errors for what cannot be read as floats.
func checkRoundTripTensors(t *testing.T, f *File, a []float32, q []byte) {
	t.Helper()
	ti, _ := f.Tensor("a")
	if !reflect.DeepEqual(ti.Dims, []uint64{5, 3}) || !reflect.DeepEqual(ti.Shape(), []int{3, 5}) || ti.Type != F32 {
		t.Errorf("a info = %+v", ti)
	}
	for _, tt := range f.Tensors {
		if tt.Offset%64 != 0 {
			t.Errorf("%s offset %d not aligned", tt.Name, tt.Offset)
		}
	}
	got, err := f.ReadFloat32("a")
	if err != nil || !reflect.DeepEqual(got, a) {
		t.Errorf("a = %v, %v", got, err)
	}
	gh, _ := f.ReadFloat32("h")
	gb, _ := f.ReadBF16("bf")
	gbf, _ := f.ReadFloat32("bf")
	ga16, _ := f.ReadBF16("a")
	for i, x := range a {
		if gh[i] != safetensors.F16ToF32(safetensors.F32ToF16(x)) {
			t.Fatalf("h[%d] = %v", i, gh[i])
		}
		if gb[i] != safetensors.F32ToBF16(x) || ga16[i] != gb[i] || gbf[i] != safetensors.BF16ToF32(gb[i]) {
			t.Fatalf("bf[%d] = %#x", i, gb[i])
		}
	}
	raw, err := f.ReadRaw("blk.0.attn_q.weight")
	if err != nil || !bytes.Equal(raw, q) {
		t.Errorf("raw q: %v", err)
	}
	_, err = f.ReadFloat32("blk.0.attn_q.weight")
	if err == nil || !strings.Contains(err.Error(), "quantised type Q5_K not supported") || !strings.Contains(err.Error(), `"blk.0.attn_q.weight"`) || !strings.Contains(err.Error(), f.Name()) {
		t.Errorf("quantised error = %v", err)
	}
	if _, err := f.ReadBF16("ids"); err == nil || !strings.Contains(err.Error(), "type I32 not supported") {
		t.Errorf("I32 error = %v", err)
	}
	if _, err := f.ReadFloat32("nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing tensor error = %v", err)
	}
}

// bld hand-assembles GGUF bytes.
type bld struct{ bytes.Buffer }

func (b *bld) u32(x uint32) *bld { binary.Write(b, binary.LittleEndian, x); return b }
func (b *bld) u64(x uint64) *bld { binary.Write(b, binary.LittleEndian, x); return b }
func (b *bld) str(s string) *bld { b.u64(uint64(len(s))); b.WriteString(s); return b }
func (b *bld) pad(n int) *bld    { b.Write(make([]byte, n)); return b }
func hdr(version uint32, nT, nKV uint64) *bld {
	b := &bld{}
	b.WriteString("GGUF")
	return b.u32(version).u64(nT).u64(nKV)
}

// tensor appends a tensor info.
func (b *bld) tensor(name string, typ TensorType, off uint64, dims ...uint64) *bld {
	b.str(name).u32(uint32(len(dims)))
	for _, d := range dims {
		b.u64(d)
	}
	return b.u32(uint32(typ)).u64(off)
}

func TestBadFiles(t *testing.T) {
	const name = "bad.gguf"
	kvU32 := func(b *bld, key string, v uint32) *bld { return b.str(key).u32(uint32(TypeUint32)).u32(v) }
	// A valid file with one 4-float tensor, to mutate.
	valid := func(extraTensors int) *bld {
		b := hdr(3, uint64(1+extraTensors), 0)
		b.tensor("w", F32, 0, 4)
		return b
	}
	finish := func(b *bld, dataBytes int) []byte {
		b.pad((32 - b.Len()%32) % 32)
		b.pad(dataBytes)
		return b.Bytes()
	}
	cases := []struct {
		name string
		file []byte
		want []string
	}{
		{"short", []byte("GGUF"), []string{"too short"}},
		{"magic", hdr(3, 0, 0).pad(4).Bytes()[1:], []string{"bad magic"}},
		{"v1", hdr(1, 0, 0).Bytes(), []string{"version 1 is not supported"}},
		{"big endian", append([]byte("GGUF\x00\x00\x00\x03"), make([]byte, 16)...), []string{"big-endian"}},
		{"v4", hdr(4, 0, 0).Bytes(), []string{"unsupported GGUF version 4"}},
		{"tensor count", hdr(3, 1<<40, 0).Bytes(), []string{"tensor count", "cannot fit"}},
		{"kv count", hdr(3, 0, 1<<62).Bytes(), []string{"metadata count", "cannot fit"}},
		{"key length", hdr(3, 0, 1).u64(1 << 50).pad(8).Bytes(), []string{"metadata entry 0", "string length"}},
		{"truncated kv", hdr(3, 0, 1).str("general.name").u32(uint32(TypeString)).u64(100).Bytes(), []string{`"general.name"`, "string length 100"}},
		{"value type", hdr(3, 0, 1).str("k").u32(99).pad(8).Bytes(), []string{`"k"`, "invalid value type 99"}},
		{"bool", hdr(3, 0, 1).str("flag").u32(uint32(TypeBool)).pad(0).u32(2).Bytes()[:0:0], nil},
		{"array length", hdr(3, 0, 1).str("tokenizer.ggml.tokens").u32(uint32(TypeArray)).u32(uint32(TypeString)).u64(1 << 40).Bytes(), []string{`"tokenizer.ggml.tokens"`, "array length"}},
		{"array elem", hdr(3, 0, 1).str("tokenizer.ggml.tokens").u32(uint32(TypeArray)).u32(uint32(TypeString)).u64(2).str("a").u64(99).Bytes(), []string{`"tokenizer.ggml.tokens"`, "element 1"}},
		{"array type", hdr(3, 0, 1).str("arr").u32(uint32(TypeArray)).u32(77).u64(1).Bytes(), []string{`"arr"`, "invalid type 77"}},
		{"dup key", kvU32(kvU32(hdr(3, 0, 2), "a", 1), "a", 2).Bytes(), []string{`duplicate metadata key "a"`}},
		{"alignment", finish(kvU32(hdr(3, 0, 1), "general.alignment", 24), 0), []string{"general.alignment", "power of two"}},
		{"dims", finish(hdr(3, 1, 0).tensor("t", F32, 0, 1, 1, 1, 1, 1), 4), []string{`"t"`, "5 dimensions"}},
		{"unaligned", finish(hdr(3, 1, 0).tensor("t", F32, 4, 1), 8), []string{`"t"`, "not a multiple of the alignment"}},
		{"past end", finish(valid(0), 8), []string{`"w"`, "past the end", "truncated"}},
		{"overlap", finish(valid(1).tensor("v", F32, 0, 8), 32), []string{"overlaps", `"w"`, `"v"`}},
		{"dup tensor", finish(valid(1).tensor("w", F32, 32, 4), 64), []string{`duplicate tensor name "w"`}},
		{"block", finish(hdr(3, 1, 0).tensor("q", Q4_K, 0, 100), 256), []string{`"q"`, "block size 256"}},
		{"overflow", finish(hdr(3, 1, 0).tensor("o", F32, 0, 1<<40, 1<<40), 8), []string{`"o"`, "overflow"}},
		{"huge dim", finish(hdr(3, 1, 0).tensor("o", F32, 0, 1<<63), 8), []string{`"o"`, "too large"}},
		{"tensor name", hdr(3, 1, 0).u64(1 << 40).pad(24).Bytes(), []string{"tensor info 0", "string length"}},
	}
	// Nesting too deep.
	deep := hdr(3, 0, 1).str("deep").u32(uint32(TypeArray))
	for i := 0; i < 40; i++ {
		deep.u32(uint32(TypeArray)).u64(1)
	}
	deep.u32(uint32(TypeUint8)).u64(0)
	cases = append(cases, struct {
		name string
		file []byte
		want []string
	}{"deep", deep.Bytes(), []string{`"deep"`, "nested deeper"}})
	badBool := hdr(3, 0, 1).str("flag").u32(uint32(TypeBool))
	badBool.WriteByte(2)
	cases[10].file, cases[10].want = badBool.Bytes(), []string{`"flag"`, "invalid bool"}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseBytes(c.file, name)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range append(c.want, name) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestWriterErrors(t *testing.T) {
	w := NewWriter()
	if err := w.AddFloat32("a", []int{2}, []float32{1, 2}, F32); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		err  error
		want string
	}{
		{w.AddFloat32("a", []int{1}, []float32{1}, F32), `duplicate tensor name "a"`},
		{w.AddTensor("b", F32, []uint64{3}, make([]byte, 8)), `tensor "b": F32 dims [3] need 12 bytes`},
		{w.AddTensor("c", Q4_0, []uint64{30}, nil), `tensor "c": first dimension 30`},
		{w.AddTensor("d", TensorType(99), []uint64{1}, nil), `tensor "d": unknown type`},
		{w.AddFloat32("e", []int{1}, []float32{1}, Q8_0), `tensor "e": Q8_0 needs rows of a multiple of 32`},
		{w.AddFloat32("f", []int{32}, make([]float32, 32), Q5_K), `tensor "f": AddFloat32 supports`},
		{w.AddFloat32("g", []int{32}, make([]float32, 32), Q4_K), `tensor "g": Q4_K needs rows of a multiple of 256`},
	}
	for _, c := range cases {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("error %v, want %q", c.err, c.want)
		}
	}
	w.Set("general.alignment", NewUint32(3))
	if _, err := w.WriteTo(&bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "power of two") {
		t.Errorf("alignment error = %v", err)
	}
}

func TestVocabOnly(t *testing.T) {
	// Vocabulary-only files end right after the metadata, with no padding.
	w := NewWriter()
	w.Set("tokenizer.ggml.model", NewString("gpt2"))
	var buf bytes.Buffer
	w.WriteTo(&buf)
	f, err := Parse(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := f.String("tokenizer.ggml.model"); m != "gpt2" || len(f.Tensors) != 0 {
		t.Errorf("model %q tensors %d", m, len(f.Tensors))
	}
}

// TestQuantisedRoundTrip writes a matrix as Q8_0, Q4_0, Q4_K and Q6_K and
// reads it back as blocks (equal to asm.Quantize's), as float32 (their
// dequantisation) and as bf16; a block with an infinite scale (Q4_K: its
// dmin too; Q6_K: at the block's end) is refused naming the tensor.
func TestQuantisedRoundTrip(t *testing.T) {
	const rows, cols = 3, 512
	x := make([]float32, rows*cols)
	for i := range x {
		x[i] = float32(math.Sin(float64(i)*0.37)) * float32(1+i%7)
	}
	for _, typ := range []TensorType{Q8_0, Q4_0, Q4_K, Q6_K} {
		w := NewWriter()
		if err := w.AddFloat32("m", []int{rows, cols}, x, typ); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "q.gguf")
		if err := w.WriteFile(path); err != nil {
			t.Fatal(err)
		}
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		q, err := f.ReadQuantised("m")
		if err != nil {
			t.Fatal(err)
		}
		qt := blockType(typ)
		want := make([]byte, rows*cols/qt.BlockWeights()*qt.BlockBytes())
		asm.Quantize(qt, want, x)
		if q.Type != qt || q.Rows != rows || q.Cols != cols || !bytes.Equal(q.Blocks, want) {
			t.Errorf("%s: blocks %v %d×%d differ from asm.Quantize's", typ, q.Type, q.Rows, q.Cols)
		}
		got, err := f.ReadFloat32("m")
		if err != nil {
			t.Fatal(err)
		}
		deq := make([]float32, len(x))
		asm.Dequantize(qt, deq, want)
		if !slices.Equal(got, deq) {
			t.Errorf("%s: ReadFloat32 differs from the dequantised blocks", typ)
		}
		if _, err := f.ReadBF16("m"); err != nil {
			t.Errorf("%s: ReadBF16: %v", typ, err)
		}
		f.Close()

		bad := slices.Clone(want)
		switch qt {
		case asm.Q4_K:
			bad[qt.BlockBytes()+3] = 0x7c // block 1's dmin: +Inf
		case asm.Q6_K:
			bad[qt.BlockBytes()+209] = 0x7c // block 1's d, at its end
		default:
			bad[qt.BlockBytes()+1] = 0x7c // block 1's scale: +Inf
		}
		w = NewWriter()
		if err := w.AddTensor("m", typ, []uint64{cols, rows}, bad); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteFile(path); err != nil {
			t.Fatal(err)
		}
		if f, err = Open(path); err != nil {
			t.Fatal(err)
		}
		if _, err := f.ReadQuantised("m"); err == nil || !strings.Contains(err.Error(), `tensor "m": block 1 has a non-finite scale`) {
			t.Errorf("%s: infinite scale: error %v", typ, err)
		}
		f.Close()
	}
}
