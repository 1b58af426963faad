package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io/fs"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func randFloats(r *rand.Rand, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(r.NormFloat64())
	}
	return out
}

// raw builds a file from a header string and a data section of n bytes.
func raw(header string, n int) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(header)))
	b.WriteString(header)
	for i := 0; i < n; i++ {
		b.WriteByte(byte(i*7 + 1))
	}
	return b.Bytes()
}

// onlyReaderAt hides the bytes type so Parse takes the ReadAt path.
type onlyReaderAt struct{ b bytesReaderAt }

func (o onlyReaderAt) ReadAt(p []byte, off int64) (int, error) { return o.b.ReadAt(p, off) }

// floatCase is a float tensor TestRoundTrip writes: its values and what
// each reads back as through its stored dtype.
type floatCase struct {
	name string
	src  []float32
	read func(float32) float32
}

// TestRoundTrip writes tensors of every float dtype (and an I64 one, a
// scalar and an empty one) with metadata, and reads them back through a
// mapped file, bytes and a plain ReaderAt.
func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	w := randFloats(r, 6*5)
	w[0], w[1], w[2] = -3.3e38, 6.1e-5, -1e-7 // near the bf16 limit, f16 normal, f16 subnormal
	b := randFloats(r, 7)
	h := randFloats(r, 3*3)
	tensors := []Tensor{
		FromFloat32("layer.weight", []int{6, 5}, w, BF16),
		FromFloat32("layer.bias", []int{7}, b, F32),
		FromFloat32("half", []int{3, 3}, h, F16),
		FromFloat32("scalar", nil, []float32{2.5}, F32),
		FromFloat32("empty", []int{0, 4}, nil, F32),
		{Name: "ids", DType: I64, Shape: []int{2}, Data: []byte{1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0}},
	}
	id := func(x float32) float32 { return x }
	floats := []floatCase{
		{"layer.bias", b, id},
		{"layer.weight", w, func(x float32) float32 { return BF16ToF32(F32ToBF16(x)) }},
		{"half", h, func(x float32) float32 { return F16ToF32(F32ToF16(x)) }},
		{"scalar", []float32{2.5}, id},
		{"empty", nil, id},
	}
	md := map[string]string{"command": "llink pretrain", "seed": "42"}
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	if err := Write(path, tensors, md); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("temporary files left behind: %v", ents)
	}
	fileBytes, _ := os.ReadFile(path)

	open := map[string]func() (*File, error){
		"mmap":   func() (*File, error) { return Open(path) },
		"bytes":  func() (*File, error) { return ParseBytes(fileBytes, "mem") },
		"readAt": func() (*File, error) { return Parse(onlyReaderAt{fileBytes}, int64(len(fileBytes)), "ra") },
	}
	for mode, fn := range open {
		t.Run(mode, func(t *testing.T) {
			f, err := fn()
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if got := f.Metadata(); got["seed"] != "42" || got["command"] != "llink pretrain" {
				t.Errorf("metadata = %v", got)
			}
			if got, want := strings.Join(f.Names(), ","), "empty,half,ids,layer.bias,layer.weight,scalar"; got != want {
				t.Errorf("names = %s, want %s", got, want)
			}
			for _, c := range floats {
				checkFloatTensor(t, f, c)
			}
			checkRoundTripLayout(t, f, mode != "readAt")
		})
	}
	// Deterministic output.
	path2 := filepath.Join(dir, "m2.safetensors")
	if err := Write(path2, tensors, md); err != nil {
		t.Fatal(err)
	}
	b2, _ := os.ReadFile(path2)
	if !bytes.Equal(fileBytes, b2) {
		t.Error("Write is not deterministic")
	}
}

// checkFloatTensor reads c's tensor as float32 (c.read of each value) and
// as bf16 (those values rounded to bf16: exact for a BF16 tensor).
func checkFloatTensor(t *testing.T, f *File, c floatCase) {
	t.Helper()
	got, err := f.Float32(c.name)
	if err != nil {
		t.Fatal(err)
	}
	bf, err := f.BF16(c.name)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(c.src) || len(bf) != len(c.src) {
		t.Fatalf("%s: len %d (bf16 %d), want %d", c.name, len(got), len(bf), len(c.src))
	}
	for i, x := range c.src {
		if want := c.read(x); got[i] != want {
			t.Fatalf("%s[%d] = %v, want %v", c.name, i, got[i], want)
		}
		if want := F32ToBF16(c.read(x)); bf[i] != want {
			t.Fatalf("BF16(%s)[%d] = %#x, want %#x", c.name, i, bf[i], want)
		}
	}
}

// checkRoundTripLayout checks TestRoundTrip's file beyond the float
// values: layer.weight's info, a zero-copy BF16 view when the file is in
// memory (mapped or bytes), the errors for an I64 or missing tensor and
// every tensor aligned to its element size.
func checkRoundTripLayout(t *testing.T, f *File, inMemory bool) {
	t.Helper()
	info, _ := f.Info("layer.weight")
	if info.NumElements() != 30 || info.DType != BF16 || info.Size != 60 {
		t.Errorf("info = %+v", info)
	}
	if inMemory && littleEndian {
		bf, _ := f.BF16("layer.weight")
		raw, _ := f.Bytes("layer.weight")
		if &raw[0] != (*byte)(unsafePointer(bf)) {
			t.Errorf("BF16 view is not zero-copy")
		}
	}
	_, err := f.Float32("ids")
	if err == nil || !strings.Contains(err.Error(), `"ids"`) || !strings.Contains(err.Error(), "unsupported dtype I64") {
		t.Errorf("Float32(ids) error = %v", err)
	}
	_, err = f.BF16("ids")
	if err == nil || !strings.Contains(err.Error(), "unsupported dtype") {
		t.Errorf("BF16(ids) error = %v", err)
	}
	if _, err := f.Float32("nope"); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), f.Name()) {
		t.Errorf("missing tensor error = %v", err)
	}
	for _, ti := range f.Tensors() { // aligned to element size
		if ti.Offset%int64(ti.DType.Size()) != 0 {
			t.Errorf("%s at offset %d not aligned", ti.Name, ti.Offset)
		}
	}
}

func TestBadFiles(t *testing.T) {
	const f = "bad.safetensors"
	big := make([]byte, 16)
	binary.LittleEndian.PutUint64(big, 200_000_000)
	huge := make([]byte, 16)
	binary.LittleEndian.PutUint64(huge, 1000)
	cases := []struct {
		name string
		file []byte
		want []string
	}{
		{"short", []byte{1, 2, 3}, []string{"too short"}},
		{"header limit", big, []string{"exceeds the limit"}},
		{"header past end", huge, []string{"exceeds the file size"}},
		{"not object", raw(`[1,2]   `, 0), []string{"does not start with '{'"}},
		{"bad json", raw(`{"a":`, 0), []string{"invalid JSON"}},
		{"trailing", raw(`{} {}`, 0), []string{"trailing data"}},
		{"dup name", raw(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8), []string{"duplicate", `"w"`}},
		{"metadata not string", raw(`{"__metadata__":{"seed":1}}`, 0), []string{"__metadata__", `"seed"`}},
		{"missing dtype", raw(`{"w":{"shape":[1],"data_offsets":[0,4]}}`, 4), []string{`"w"`, `missing "dtype"`}},
		{"missing shape", raw(`{"w":{"dtype":"F32","data_offsets":[0,4]}}`, 4), []string{`"w"`, `missing "shape"`}},
		{"missing offsets", raw(`{"w":{"dtype":"F32","shape":[1]}}`, 4), []string{`"w"`, `missing "data_offsets"`}},
		{"unknown dtype", raw(`{"w":{"dtype":"Q4","shape":[1],"data_offsets":[0,4]}}`, 4), []string{`"w"`, `unknown dtype "Q4"`}},
		{"offsets len", raw(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`, 4), []string{`"w"`, "3 entries"}},
		{"begin after end", raw(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}`, 4), []string{`"w"`, "begin after end"}},
		{"out of range", raw(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 4), []string{`"w"`, "out of range"}},
		{"negative offset", raw(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}`, 4), []string{`"w"`, "cannot unmarshal"}},
		{"negative dim", raw(`{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, 4), []string{`"w"`, "negative dimension"}},
		{"fractional dim", raw(`{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, 4), []string{`"w"`}},
		{"overflow", raw(`{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}`, 4), []string{`"w"`, "overflows"}},
		{"size mismatch", raw(`{"w":{"dtype":"BF16","shape":[3],"data_offsets":[0,4]}}`, 4), []string{`"w"`, "needs 6 bytes"}},
		{"overlap", raw(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8), []string{"overlaps", `"a"`, `"b"`}},
		{"hole", raw(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, 12), []string{"not covered", `"b"`, "[4,8)"}},
		{"tail", raw(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 6), []string{"not covered", "[4,6)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseBytes(c.file, f)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			for _, w := range append(c.want, f) {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
		})
	}
}

func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.safetensors")
	good := FromFloat32("a", []int{2}, []float32{1, 2}, F32)
	cases := []struct {
		name    string
		tensors []Tensor
		want    string
	}{
		{"dup", []Tensor{good, good}, `duplicate tensor name "a"`},
		{"len", []Tensor{{Name: "b", DType: F32, Shape: []int{3}, Data: make([]byte, 8)}}, `tensor "b": shape [3] of F32 needs 12 bytes`},
		{"neg", []Tensor{{Name: "c", DType: F32, Shape: []int{-1}}}, `tensor "c": negative dimension`},
		{"dtype", []Tensor{{Name: "d", DType: "X", Shape: nil, Data: make([]byte, 4)}}, `tensor "d": unknown dtype`},
		{"reserved", []Tensor{{Name: "__metadata__", DType: F32, Data: make([]byte, 4)}}, "reserved"},
	}
	for _, c := range cases {
		err := Write(path, c.tensors, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want %q and the path", c.name, err, c.want)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("failed writes left files: %v", ents)
	}
}

func TestF16Exhaustive(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		f := F16ToF32(h)
		// Reference value from the definition.
		sign := 1.0
		if h&0x8000 != 0 {
			sign = -1
		}
		e := int(h>>10) & 0x1f
		m := float64(h & 0x3ff)
		var want float64
		switch {
		case e == 0x1f && m == 0:
			want = math.Inf(int(sign))
		case e == 0x1f:
			if !math.IsNaN(float64(f)) {
				t.Fatalf("F16ToF32(%#x) = %v, want NaN", h, f)
			}
			if F32ToF16(f) != h|0x200 {
				t.Fatalf("NaN %#x round trip = %#x", h, F32ToF16(f))
			}
			continue
		case e == 0:
			want = sign * math.Ldexp(m, -24)
		default:
			want = sign * math.Ldexp(1+m/1024, e-15)
		}
		if float64(f) != want || math.Signbit(float64(f)) != (sign < 0) {
			t.Fatalf("F16ToF32(%#x) = %v, want %v", h, f, want)
		}
		if back := F32ToF16(f); back != h {
			t.Fatalf("F32ToF16(F16ToF32(%#x)) = %#x", h, back)
		}
	}
}

func TestF32ToF16Rounding(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for i := 0; i < 200000; i++ {
		// Cover the whole f16 range including subnormals and overflow.
		x := float32(math.Ldexp(r.Float64()*2-1, r.Intn(44)-28))
		h := F32ToF16(x)
		got := float64(F16ToF32(h))
		// No other f16 value may be strictly closer.
		for _, nb := range []uint16{h - 1, h + 1} {
			if nb&0x7c00 == 0x7c00 && nb&0x3ff != 0 {
				continue
			}
			v := float64(F16ToF32(nb))
			if math.Signbit(v) != math.Signbit(float64(x)) && v != 0 {
				continue
			}
			if math.Abs(v-float64(x)) < math.Abs(got-float64(x)) && !math.IsInf(got, 0) {
				t.Fatalf("F32ToF16(%g) = %#x (%g) but %#x (%g) is closer", x, h, got, nb, v)
			}
		}
	}
	if F32ToF16(65520) != 0x7c00 || F32ToF16(65519) != 0x7bff {
		t.Error("overflow threshold wrong")
	}
	if F32ToF16(float32(math.Ldexp(1, -25))) != 0 || F32ToF16(float32(math.Ldexp(1.5, -25))) != 1 {
		t.Error("subnormal rounding wrong")
	}
}

func TestBF16Rounding(t *testing.T) {
	cases := []struct {
		in   uint32
		want uint16
	}{
		{0x3f808000, 0x3f80}, // tie, even stays
		{0x3f818000, 0x3f82}, // tie, odd rounds up
		{0x3f808001, 0x3f81},
		{0x7f7fffff, 0x7f80}, // overflow to inf
		{0x7fc00001, 0x7fc0}, // NaN stays NaN
		{0x7f800001, 0x7fc0},
	}
	for _, c := range cases {
		if got := F32ToBF16(math.Float32frombits(c.in)); got != c.want {
			t.Errorf("F32ToBF16(%#x) = %#x, want %#x", c.in, got, c.want)
		}
	}
}

func TestCheckpoint(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	dir := t.TempDir()
	a := randFloats(r, 8)
	b := randFloats(r, 4)
	if err := Write(filepath.Join(dir, "model-00001-of-00002.safetensors"), []Tensor{FromFloat32("a", []int{2, 4}, a, F32)}, nil); err != nil {
		t.Fatal(err)
	}
	if err := Write(filepath.Join(dir, "model-00002-of-00002.safetensors"), []Tensor{FromFloat32("b", []int{4}, b, BF16), FromFloat32("unused", []int{1}, []float32{1}, F32)}, nil); err != nil {
		t.Fatal(err)
	}
	index := `{"metadata":{"total_size":44},"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}}`
	os.WriteFile(filepath.Join(dir, IndexFile), []byte(index), 0o644)
	c, err := OpenCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := strings.Join(c.Names(), ","); got != "a,b" {
		t.Errorf("names = %s", got)
	}
	if c.Metadata["total_size"] != "44" {
		t.Errorf("metadata = %v", c.Metadata)
	}
	ga, err := c.Float32("a")
	if err != nil || ga[5] != a[5] {
		t.Errorf("a = %v, %v", ga, err)
	}
	gb, err := c.BF16("b")
	if err != nil || gb[1] != F32ToBF16(b[1]) {
		t.Errorf("b = %v, %v", gb, err)
	}
	if _, err := c.Float32("unused"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("unmapped tensor: %v", err)
	}

	bad := []struct{ name, index, want string }{
		{"no map", `{"metadata":{}}`, `missing "weight_map"`},
		{"traversal", `{"weight_map":{"a":"../x.safetensors"}}`, `tensor "a": shard "../x.safetensors"`},
		{"not in shard", `{"weight_map":{"b":"model-00001-of-00002.safetensors"}}`, `tensor "b" is mapped to model-00001-of-00002.safetensors`},
		{"missing shard", `{"weight_map":{"z":"gone.safetensors"}}`, `tensor "z"`},
		{"dup", `{"weight_map":{"a":"x","a":"y"}}`, `duplicate key "a"`},
		{"json", `{"weight_map":`, "invalid JSON"},
	}
	for _, bc := range bad {
		p := filepath.Join(dir, bc.name+".index.json")
		os.WriteFile(p, []byte(bc.index), 0o644)
		_, err := OpenCheckpoint(p)
		if err == nil || !strings.Contains(err.Error(), bc.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %v, want %q and the index path", bc.name, err, bc.want)
		}
	}
	// A single file and a folder holding one model.safetensors.
	single := t.TempDir()
	Write(filepath.Join(single, "model.safetensors"), []Tensor{FromFloat32("x", []int{1}, []float32{3}, F32)}, map[string]string{"k": "v"})
	c2, err := OpenCheckpoint(single)
	if err != nil {
		t.Fatal(err)
	}
	if x, _ := c2.Float32("x"); len(x) != 1 || x[0] != 3 || c2.Metadata["k"] != "v" {
		t.Errorf("single = %v %v", x, c2.Metadata)
	}
	c2.Close()
}
