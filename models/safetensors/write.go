package safetensors

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/llink-go/llink/internal/safeio"
)

// Tensor is a tensor to write: a name, dtype, row-major shape and its raw
// little-endian bytes.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// FromFloat32 builds a Tensor of dtype d (F32, F16 or BF16) from float32
// values, rounding to nearest-even for F16 and BF16.
func FromFloat32(name string, shape []int, data []float32, d DType) Tensor {
	var b []byte
	switch d {
	case F32:
		b = make([]byte, 4*len(data))
		for i, v := range data {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
	case F16:
		b = make([]byte, 2*len(data))
		for i, v := range data {
			binary.LittleEndian.PutUint16(b[2*i:], F32ToF16(v))
		}
	case BF16:
		b = make([]byte, 2*len(data))
		for i, v := range data {
			binary.LittleEndian.PutUint16(b[2*i:], F32ToBF16(v))
		}
	}
	return Tensor{Name: name, DType: d, Shape: append([]int(nil), shape...), Data: b}
}

// FromBF16 builds a BF16 Tensor from bfloat16 bits.
func FromBF16(name string, shape []int, data []uint16) Tensor {
	b := make([]byte, 2*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint16(b[2*i:], v)
	}
	return Tensor{Name: name, DType: BF16, Shape: append([]int(nil), shape...), Data: b}
}

// validate checks a tensor to be written.
func (t *Tensor) validate() error {
	if t.Name == "" {
		return errors.New("empty tensor name")
	}
	if t.Name == metadataKey {
		return fmt.Errorf("tensor name %q is reserved", metadataKey)
	}
	es := t.DType.Size()
	if es == 0 {
		return fmt.Errorf("tensor %q: unknown dtype %q", t.Name, t.DType)
	}
	n := uint64(1)
	for _, d := range t.Shape {
		if d < 0 {
			return fmt.Errorf("tensor %q: negative dimension in shape %v", t.Name, t.Shape)
		}
		if d != 0 && n > math.MaxInt64/uint64(es)/uint64(d) {
			return fmt.Errorf("tensor %q: shape %v overflows", t.Name, t.Shape)
		}
		n *= uint64(d)
	}
	if n*uint64(es) != uint64(len(t.Data)) {
		return fmt.Errorf("tensor %q: shape %v of %s needs %d bytes, data has %d", t.Name, t.Shape, t.DType, n*uint64(es), len(t.Data))
	}
	return nil
}

// Encode writes tensors and metadata in safetensors format to w. Tensor
// data is laid out with the widest element types first so that every
// tensor is aligned to its element size (the header is padded with spaces
// to a multiple of 8 bytes). Header keys are written in sorted order, so
// equal inputs give identical bytes.
func Encode(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	order := make([]int, len(tensors))
	seen := map[string]bool{}
	for i := range tensors {
		if err := tensors[i].validate(); err != nil {
			return fmt.Errorf("safetensors: %w", err)
		}
		if seen[tensors[i].Name] {
			return fmt.Errorf("safetensors: duplicate tensor name %q", tensors[i].Name)
		}
		seen[tensors[i].Name] = true
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		return tensors[order[a]].DType.Size() > tensors[order[b]].DType.Size()
	})
	offs := make([][2]int64, len(tensors))
	var pos int64
	for _, i := range order {
		offs[i] = [2]int64{pos, pos + int64(len(tensors[i].Data))}
		pos += int64(len(tensors[i].Data))
	}
	// Header JSON with sorted keys.
	byName := make([]int, len(tensors))
	for i := range byName {
		byName[i] = i
	}
	sort.Slice(byName, func(a, b int) bool { return tensors[byName[a]].Name < tensors[byName[b]].Name })
	var sb strings.Builder
	sb.WriteByte('{')
	first := true
	if len(metadata) > 0 {
		md, err := json.Marshal(metadata) // map keys are sorted
		if err != nil {
			return fmt.Errorf("safetensors: metadata: %w", err)
		}
		sb.WriteString(`"__metadata__":`)
		sb.Write(md)
		first = false
	}
	for _, i := range byName {
		t := &tensors[i]
		if !first {
			sb.WriteByte(',')
		}
		first = false
		name, _ := json.Marshal(t.Name)
		sb.Write(name)
		sb.WriteString(`:{"dtype":"`)
		sb.WriteString(string(t.DType))
		sb.WriteString(`","shape":[`)
		for j, d := range t.Shape {
			if j > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(strconv.Itoa(d))
		}
		sb.WriteString(`],"data_offsets":[`)
		sb.WriteString(strconv.FormatInt(offs[i][0], 10))
		sb.WriteByte(',')
		sb.WriteString(strconv.FormatInt(offs[i][1], 10))
		sb.WriteString(`]}`)
	}
	sb.WriteByte('}')
	for (8+sb.Len())%8 != 0 {
		sb.WriteByte(' ')
	}
	if sb.Len() > MaxHeaderSize {
		return fmt.Errorf("safetensors: header of %d bytes exceeds the limit of %d", sb.Len(), MaxHeaderSize)
	}
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(sb.Len()))
	if _, err := w.Write(lenBuf[:]); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	if _, err := io.WriteString(w, sb.String()); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	for _, i := range order {
		if _, err := w.Write(tensors[i].Data); err != nil {
			return fmt.Errorf("safetensors: %w", err)
		}
	}
	return nil
}

// Write writes tensors and metadata (stored as "__metadata__", e.g. the
// command, seed, commit and config that produced the weights) to path
// atomically: it writes a temporary file in the same directory, syncs it
// and renames it over path, so readers never see a partial file. Temporary
// files a killed earlier write of path left behind are removed first (see
// internal/safeio), so an interrupted checkpoint costs no disk space once
// the resumed run saves again.
func Write(path string, tensors []Tensor, metadata map[string]string) error {
	f, err := safeio.Create(path, 0o644)
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	defer f.Abort()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := Encode(bw, tensors, metadata); err != nil {
		return fmt.Errorf("%w (writing %s)", err, path)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("safetensors: writing %s: %w", path, err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}
