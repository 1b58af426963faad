package safetensors

import (
	"encoding/binary"
	"math"
	"unsafe"
)

// DType is a safetensors element type name as it appears in the header,
// e.g. "F32" or "BF16".
type DType string

// Element types. Only F32, F16 and BF16 can be converted to float32; the
// others are validated and their bytes can be read with [File.Bytes].
const (
	F32     DType = "F32"
	F16     DType = "F16"
	BF16    DType = "BF16"
	F64     DType = "F64"
	I64     DType = "I64"
	I32     DType = "I32"
	I16     DType = "I16"
	I8      DType = "I8"
	U64     DType = "U64"
	U32     DType = "U32"
	U16     DType = "U16"
	U8      DType = "U8"
	Bool    DType = "BOOL"
	F8E4M3  DType = "F8_E4M3"
	F8E5M2  DType = "F8_E5M2"
	F8E8M0  DType = "F8_E8M0"
	unknown DType = ""
)

// Size returns the size in bytes of one element, or 0 for an unknown dtype.
func (d DType) Size() int {
	switch d {
	case F64, I64, U64:
		return 8
	case F32, I32, U32:
		return 4
	case F16, BF16, I16, U16:
		return 2
	case I8, U8, Bool, F8E4M3, F8E5M2, F8E8M0:
		return 1
	}
	return 0
}

// IsFloat reports whether values of this dtype can be converted to float32
// by this package (F32, F16, BF16).
func (d DType) IsFloat() bool { return d == F32 || d == F16 || d == BF16 }

// F16ToF32 converts an IEEE 754 binary16 value (given as its bits) to
// float32 exactly, including subnormals, infinities and NaNs (the NaN
// payload is kept in the high mantissa bits).
func F16ToF32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // inf or NaN
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp != 0: // normal
		return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
	case mant == 0: // ±0
		return math.Float32frombits(sign)
	}
	// Subnormal: value = mant × 2^-24. Normalise the mantissa.
	e := uint32(113) // exponent of 2^-14 in float32 bias, before shifts
	for mant&0x400 == 0 {
		mant <<= 1
		e--
	}
	mant &= 0x3ff
	return math.Float32frombits(sign | e<<23 | mant<<13)
}

// F32ToF16 rounds a float32 to the nearest IEEE 754 binary16 value (ties to
// even), producing subnormals, ±Inf on overflow, and a quiet NaN for NaN.
func F32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		if mant != 0 {
			return sign | 0x7e00 | uint16(mant>>13)
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		if e < -10 {
			return sign // underflows to ±0 (rounds down even at half-way: 2^-25 ties to 0)
		}
		m := mant | 0x800000 // implicit bit
		shift := uint32(14 - e)
		half := uint32(1) << (shift - 1)
		r := m >> shift
		rem := m & (1<<shift - 1)
		if rem > half || (rem == half && r&1 == 1) {
			r++
		}
		return sign | uint16(r)
	}
	r := uint32(e)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && r&1 == 1) {
		r++ // may carry into the exponent, up to Inf: correct
	}
	return sign | uint16(r)
}

// BF16ToF32 widens a bfloat16 value (given as its bits) to float32 exactly.
func BF16ToF32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// F32ToBF16 rounds a float32 to the nearest bfloat16 (ties to even); NaNs
// stay NaN (quiet).
func F32ToBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 {
		return uint16(b>>16) | 0x40
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

// decodeFloat32 converts little-endian raw bytes of dtype d into dst.
func decodeFloat32(dst []float32, raw []byte, d DType) {
	switch d {
	case F32:
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	case F16:
		for i := range dst {
			dst[i] = F16ToF32(binary.LittleEndian.Uint16(raw[2*i:]))
		}
	case BF16:
		if littleEndian && len(dst) > 0 && uintptr(unsafe.Pointer(&raw[0]))%2 == 0 {
			src := unsafe.Slice((*uint16)(unsafe.Pointer(&raw[0])), len(dst))
			for i, h := range src {
				dst[i] = math.Float32frombits(uint32(h) << 16)
			}
			return
		}
		for i := range dst {
			dst[i] = BF16ToF32(binary.LittleEndian.Uint16(raw[2*i:]))
		}
	}
}
