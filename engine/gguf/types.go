package gguf

import (
	"fmt"
	"strings"
)

// Type is a tensor element type (ggml_type in llama.cpp). Quantised types
// store elements in blocks: [Type.BlockSize] elements take
// [Type.BlockBytes] bytes.
type Type uint32

// Tensor types that appear in GGUF files. The numbering is fixed by the file
// format; gaps are types llama.cpp has since removed.
const (
	F32     Type = 0
	F16     Type = 1
	Q4_0    Type = 2
	Q4_1    Type = 3
	Q5_0    Type = 6
	Q5_1    Type = 7
	Q8_0    Type = 8
	Q8_1    Type = 9
	Q2_K    Type = 10
	Q3_K    Type = 11
	Q4_K    Type = 12
	Q5_K    Type = 13
	Q6_K    Type = 14
	Q8_K    Type = 15
	IQ2_XXS Type = 16
	IQ2_XS  Type = 17
	IQ3_XXS Type = 18
	IQ1_S   Type = 19
	IQ4_NL  Type = 20
	IQ3_S   Type = 21
	IQ2_S   Type = 22
	IQ4_XS  Type = 23
	I8      Type = 24
	I16     Type = 25
	I32     Type = 26
	I64     Type = 27
	F64     Type = 28
	IQ1_M   Type = 29
	BF16    Type = 30
	TQ1_0   Type = 34
	TQ2_0   Type = 35
	MXFP4   Type = 39
)

type typeInfo struct {
	name       string
	blockSize  uint64
	blockBytes uint64
}

// lookup describes the layout of every type the format defines, so the
// reader can check tensor extents even for types the engine cannot compute.
// It is a switch rather than a map so the package holds no mutable state.
func lookup(t Type) (typeInfo, bool) {
	switch t {
	case F32:
		return typeInfo{"F32", 1, 4}, true
	case F16:
		return typeInfo{"F16", 1, 2}, true
	case BF16:
		return typeInfo{"BF16", 1, 2}, true
	case F64:
		return typeInfo{"F64", 1, 8}, true
	case I8:
		return typeInfo{"I8", 1, 1}, true
	case I16:
		return typeInfo{"I16", 1, 2}, true
	case I32:
		return typeInfo{"I32", 1, 4}, true
	case I64:
		return typeInfo{"I64", 1, 8}, true
	case Q4_0:
		return typeInfo{"Q4_0", 32, 18}, true
	case Q4_1:
		return typeInfo{"Q4_1", 32, 20}, true
	case Q5_0:
		return typeInfo{"Q5_0", 32, 22}, true
	case Q5_1:
		return typeInfo{"Q5_1", 32, 24}, true
	case Q8_0:
		return typeInfo{"Q8_0", 32, 34}, true
	case Q8_1:
		return typeInfo{"Q8_1", 32, 36}, true
	case Q2_K:
		return typeInfo{"Q2_K", 256, 84}, true
	case Q3_K:
		return typeInfo{"Q3_K", 256, 110}, true
	case Q4_K:
		return typeInfo{"Q4_K", 256, 144}, true
	case Q5_K:
		return typeInfo{"Q5_K", 256, 176}, true
	case Q6_K:
		return typeInfo{"Q6_K", 256, 210}, true
	case Q8_K:
		return typeInfo{"Q8_K", 256, 292}, true
	case IQ2_XXS:
		return typeInfo{"IQ2_XXS", 256, 66}, true
	case IQ2_XS:
		return typeInfo{"IQ2_XS", 256, 74}, true
	case IQ3_XXS:
		return typeInfo{"IQ3_XXS", 256, 98}, true
	case IQ1_S:
		return typeInfo{"IQ1_S", 256, 50}, true
	case IQ4_NL:
		return typeInfo{"IQ4_NL", 32, 18}, true
	case IQ3_S:
		return typeInfo{"IQ3_S", 256, 110}, true
	case IQ2_S:
		return typeInfo{"IQ2_S", 256, 82}, true
	case IQ4_XS:
		return typeInfo{"IQ4_XS", 256, 136}, true
	case IQ1_M:
		return typeInfo{"IQ1_M", 256, 56}, true
	case TQ1_0:
		return typeInfo{"TQ1_0", 256, 54}, true
	case TQ2_0:
		return typeInfo{"TQ2_0", 256, 66}, true
	case MXFP4:
		return typeInfo{"MXFP4", 32, 17}, true
	}
	return typeInfo{}, false
}

// Known reports whether t is a type this package knows the layout of.
func (t Type) Known() bool { _, ok := lookup(t); return ok }

// BlockSize is the number of elements in one block of t (1 for plain types),
// or 0 for an unknown type.
func (t Type) BlockSize() uint64 { ti, _ := lookup(t); return ti.blockSize }

// BlockBytes is the number of bytes one block of t takes, or 0 for an
// unknown type.
func (t Type) BlockBytes() uint64 { ti, _ := lookup(t); return ti.blockBytes }

// String returns llama.cpp's name for t, such as "Q8_0".
func (t Type) String() string {
	if ti, ok := lookup(t); ok {
		return ti.name
	}
	return fmt.Sprintf("type(%d)", uint32(t))
}

// RowBytes returns the bytes a row of n elements of type t takes. n must be a
// multiple of the block size; ok is false when it is not or t is unknown.
func (t Type) RowBytes(n uint64) (size uint64, ok bool) {
	ti, known := lookup(t)
	if !known || n%ti.blockSize != 0 {
		return 0, false
	}
	return n / ti.blockSize * ti.blockBytes, true
}

// ValueType is the type tag of a metadata value.
type ValueType uint32

// Metadata value types, numbered as in the file format.
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

// valueTypeNames lists the value type names in tag order.
const valueTypeNames = "uint8 int8 uint16 int16 uint32 int32 float32 bool string array uint64 int64 float64"

// String returns the name of the value type, such as "uint32".
func (t ValueType) String() string {
	if names := strings.Fields(valueTypeNames); int(t) < len(names) {
		return names[t]
	}
	return fmt.Sprintf("valuetype(%d)", uint32(t))
}

// fixedSize is the encoded size of a scalar of type t, or 0 for strings,
// arrays and unknown types.
func (t ValueType) fixedSize() int {
	switch t {
	case TypeUint8, TypeInt8, TypeBool:
		return 1
	case TypeUint16, TypeInt16:
		return 2
	case TypeUint32, TypeInt32, TypeFloat32:
		return 4
	case TypeUint64, TypeInt64, TypeFloat64:
		return 8
	}
	return 0
}
