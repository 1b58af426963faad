package gguf

import "fmt"

// ValueType is the type of a metadata value.
type ValueType uint32

// Metadata value types, with the numbers used in the file.
const (
	TypeUint8   ValueType = 0
	TypeInt8    ValueType = 1
	TypeUint16  ValueType = 2
	TypeInt16   ValueType = 3
	TypeUint32  ValueType = 4
	TypeInt32   ValueType = 5
	TypeFloat32 ValueType = 6
	TypeBool    ValueType = 7
	TypeString  ValueType = 8
	TypeArray   ValueType = 9
	TypeUint64  ValueType = 10
	TypeInt64   ValueType = 11
	TypeFloat64 ValueType = 12
)

var valueTypeNames = [...]string{"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "bool", "string", "array", "uint64", "int64", "float64"}

// String returns the type's name, e.g. "uint32".
func (t ValueType) String() string {
	if int(t) < len(valueTypeNames) {
		return valueTypeNames[t]
	}
	return fmt.Sprintf("ValueType(%d)", uint32(t))
}

// isInt reports whether t is one of the integer types.
func (t ValueType) isInt() bool {
	switch t {
	case TypeUint8, TypeInt8, TypeUint16, TypeInt16, TypeUint32, TypeInt32, TypeUint64, TypeInt64:
		return true
	}
	return false
}

// minSize is the smallest encoding of a value of this type, used to bound
// counts read from the file; 0 for an invalid type.
func (t ValueType) minSize() int64 {
	switch t {
	case TypeUint8, TypeInt8, TypeBool:
		return 1
	case TypeUint16, TypeInt16:
		return 2
	case TypeUint32, TypeInt32, TypeFloat32:
		return 4
	case TypeUint64, TypeInt64, TypeFloat64, TypeString:
		return 8
	case TypeArray:
		return 12
	}
	return 0
}

// TensorType is a ggml tensor element type.
type TensorType uint32

// Tensor types, with the numbers used in the file. Only F32, F16 and BF16
// can be read as floats by this package.
const (
	F32     TensorType = 0
	F16     TensorType = 1
	Q4_0    TensorType = 2
	Q4_1    TensorType = 3
	Q5_0    TensorType = 6
	Q5_1    TensorType = 7
	Q8_0    TensorType = 8
	Q8_1    TensorType = 9
	Q2_K    TensorType = 10
	Q3_K    TensorType = 11
	Q4_K    TensorType = 12
	Q5_K    TensorType = 13
	Q6_K    TensorType = 14
	Q8_K    TensorType = 15
	IQ2_XXS TensorType = 16
	IQ2_XS  TensorType = 17
	IQ3_XXS TensorType = 18
	IQ1_S   TensorType = 19
	IQ4_NL  TensorType = 20
	IQ3_S   TensorType = 21
	IQ2_S   TensorType = 22
	IQ4_XS  TensorType = 23
	I8      TensorType = 24
	I16     TensorType = 25
	I32     TensorType = 26
	I64     TensorType = 27
	F64     TensorType = 28
	IQ1_M   TensorType = 29
	BF16    TensorType = 30
	TQ1_0   TensorType = 34
	TQ2_0   TensorType = 35
	MXFP4   TensorType = 39
)

// typeInfo is the name, block size (elements) and block byte size of a
// tensor type.
type typeInfo struct {
	name      string
	block     uint64
	bytes     uint64
	quantised bool
}

var tensorTypes = map[TensorType]typeInfo{
	F32: {"F32", 1, 4, false}, F16: {"F16", 1, 2, false}, BF16: {"BF16", 1, 2, false},
	F64: {"F64", 1, 8, false}, I8: {"I8", 1, 1, false}, I16: {"I16", 1, 2, false},
	I32: {"I32", 1, 4, false}, I64: {"I64", 1, 8, false},
	Q4_0: {"Q4_0", 32, 18, true}, Q4_1: {"Q4_1", 32, 20, true},
	Q5_0: {"Q5_0", 32, 22, true}, Q5_1: {"Q5_1", 32, 24, true},
	Q8_0: {"Q8_0", 32, 34, true}, Q8_1: {"Q8_1", 32, 36, true},
	Q2_K: {"Q2_K", 256, 84, true}, Q3_K: {"Q3_K", 256, 110, true},
	Q4_K: {"Q4_K", 256, 144, true}, Q5_K: {"Q5_K", 256, 176, true},
	Q6_K: {"Q6_K", 256, 210, true}, Q8_K: {"Q8_K", 256, 292, true},
	IQ2_XXS: {"IQ2_XXS", 256, 66, true}, IQ2_XS: {"IQ2_XS", 256, 74, true},
	IQ3_XXS: {"IQ3_XXS", 256, 98, true}, IQ1_S: {"IQ1_S", 256, 50, true},
	IQ4_NL: {"IQ4_NL", 32, 18, true}, IQ3_S: {"IQ3_S", 256, 110, true},
	IQ2_S: {"IQ2_S", 256, 82, true}, IQ4_XS: {"IQ4_XS", 256, 136, true},
	IQ1_M: {"IQ1_M", 256, 56, true}, TQ1_0: {"TQ1_0", 256, 54, true},
	TQ2_0: {"TQ2_0", 256, 66, true}, MXFP4: {"MXFP4", 32, 17, true},
}

// String returns the ggml name of the type, e.g. "Q4_K".
func (t TensorType) String() string {
	if ti, ok := tensorTypes[t]; ok {
		return ti.name
	}
	return fmt.Sprintf("type%d", uint32(t))
}

// Known reports whether the package knows the type's block layout.
func (t TensorType) Known() bool { _, ok := tensorTypes[t]; return ok }

// Quantised reports whether the type is a block-quantised format.
func (t TensorType) Quantised() bool { return tensorTypes[t].quantised }

// BlockSize returns the number of elements per block (1 for plain types,
// 0 for unknown types).
func (t TensorType) BlockSize() uint64 { return tensorTypes[t].block }

// BlockBytes returns the byte size of one block (0 for unknown types).
func (t TensorType) BlockBytes() uint64 { return tensorTypes[t].bytes }
