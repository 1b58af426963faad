package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
)

// FirstNonFinite returns the index of the first NaN or ±Inf element of raw,
// little-endian data of float dtype d (F32, F16 or BF16), or -1 when every
// element is finite (or d is not a float dtype). It reads eight bytes at a
// time: an element is non-finite exactly when its exponent bits are all
// ones, and adding one unit below the exponent field carries into the sign
// bit only then, so one AND, ADD and AND test two to four elements at once.
func FirstNonFinite(raw []byte, d DType) int {
	var exp, unit uint64 // per-lane exponent mask and its lowest bit
	switch d {
	case F32:
		exp, unit = 0x7f800000_7f800000, 0x00800000_00800000
	case F16:
		exp, unit = 0x7c00_7c00_7c00_7c00, 0x0400_0400_0400_0400
	case BF16:
		exp, unit = 0x7f80_7f80_7f80_7f80, 0x0080_0080_0080_0080
	default:
		return -1
	}
	const signs32, signs16 = 0x80000000_80000000, 0x8000_8000_8000_8000
	signs := uint64(signs16)
	if d == F32 {
		signs = signs32
	}
	// Lanes hold (bits & exp) ≤ exp, so adding unit never carries across a
	// lane: the sum reaches the lane's sign bit only for an all-ones exponent.
	i := 0
	for ; i+8 <= len(raw); i += 8 {
		if (binary.LittleEndian.Uint64(raw[i:])&exp+unit)&signs != 0 {
			break
		}
	}
	es := d.Size()
	for j := i / es; j < len(raw)/es; j++ {
		if !elemFinite(raw[j*es:], d) {
			return j
		}
	}
	return -1
}

// elemFinite reports whether the element at the start of b is finite.
func elemFinite(b []byte, d DType) bool {
	switch d {
	case F32:
		return binary.LittleEndian.Uint32(b)&0x7f800000 != 0x7f800000
	case F16:
		return binary.LittleEndian.Uint16(b)&0x7c00 != 0x7c00
	}
	return binary.LittleEndian.Uint16(b)&0x7f80 != 0x7f80
}

// NonFiniteError describes the first NaN or ±Inf element of raw (dtype d)
// as "tensor NAME holds NaN at element I (of N)", or returns nil when every
// element is finite. Loaders use it so that a damaged checkpoint is refused
// with the tensor named instead of producing NaN logits later.
func NonFiniteError(name string, raw []byte, d DType) error {
	i := FirstNonFinite(raw, d)
	if i < 0 {
		return nil
	}
	es := d.Size()
	var v float64
	switch d {
	case F32:
		v = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[i*es:])))
	case F16:
		v = float64(F16ToF32(binary.LittleEndian.Uint16(raw[i*es:])))
	default:
		v = float64(BF16ToF32(binary.LittleEndian.Uint16(raw[i*es:])))
	}
	return fmt.Errorf("tensor %q holds %v at element %d of %d (a damaged or diverged checkpoint)", name, v, i, len(raw)/es)
}
