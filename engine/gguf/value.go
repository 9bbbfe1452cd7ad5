package gguf

import (
	"fmt"
	"math"
)

// Value is one metadata value. Scalars are held as the Go type of the same
// width (uint8, int32, float32, bool, string, ...); an array of scalars as a
// slice of that type ([]string, []float32, []int32, ...); an array of arrays
// as []Value. Values are immutable once read, and share no memory with the
// file, so they stay valid after [File.Close].
type Value struct {
	typ  ValueType
	elem ValueType // element type when typ is TypeArray
	v    any
}

// NewValue wraps a Go value for [Writer.AddKV]. It accepts the scalar types
// uint8, int8, uint16, int16, uint32, int32, uint64, int64, float32, float64,
// bool and string, slices of those, and []Value for nested arrays; any other
// type panics, since that is a programming error in the caller.
func NewValue(v any) Value {
	switch x := v.(type) {
	case uint8:
		return Value{typ: TypeUint8, v: x}
	case int8:
		return Value{typ: TypeInt8, v: x}
	case uint16:
		return Value{typ: TypeUint16, v: x}
	case int16:
		return Value{typ: TypeInt16, v: x}
	case uint32:
		return Value{typ: TypeUint32, v: x}
	case int32:
		return Value{typ: TypeInt32, v: x}
	case uint64:
		return Value{typ: TypeUint64, v: x}
	case int64:
		return Value{typ: TypeInt64, v: x}
	case float32:
		return Value{typ: TypeFloat32, v: x}
	case float64:
		return Value{typ: TypeFloat64, v: x}
	case bool:
		return Value{typ: TypeBool, v: x}
	case string:
		return Value{typ: TypeString, v: x}
	case []uint8:
		return Value{typ: TypeArray, elem: TypeUint8, v: x}
	case []int8:
		return Value{typ: TypeArray, elem: TypeInt8, v: x}
	case []uint16:
		return Value{typ: TypeArray, elem: TypeUint16, v: x}
	case []int16:
		return Value{typ: TypeArray, elem: TypeInt16, v: x}
	case []uint32:
		return Value{typ: TypeArray, elem: TypeUint32, v: x}
	case []int32:
		return Value{typ: TypeArray, elem: TypeInt32, v: x}
	case []uint64:
		return Value{typ: TypeArray, elem: TypeUint64, v: x}
	case []int64:
		return Value{typ: TypeArray, elem: TypeInt64, v: x}
	case []float32:
		return Value{typ: TypeArray, elem: TypeFloat32, v: x}
	case []float64:
		return Value{typ: TypeArray, elem: TypeFloat64, v: x}
	case []bool:
		return Value{typ: TypeArray, elem: TypeBool, v: x}
	case []string:
		return Value{typ: TypeArray, elem: TypeString, v: x}
	case []Value:
		return Value{typ: TypeArray, elem: TypeArray, v: x}
	}
	panic(fmt.Sprintf("gguf: NewValue: unsupported Go type %T", v))
}

// Type returns the value's type tag.
func (v Value) Type() ValueType { return v.typ }

// ElemType returns the element type of an array value, and is meaningless
// for scalars.
func (v Value) ElemType() ValueType { return v.elem }

// Any returns the underlying Go value as described on [Value].
func (v Value) Any() any { return v.v }

// Len returns the number of elements of an array value, and 0 for a scalar.
func (v Value) Len() int {
	if v.typ != TypeArray {
		return 0
	}
	switch x := v.v.(type) {
	case []uint8:
		return len(x)
	case []int8:
		return len(x)
	case []uint16:
		return len(x)
	case []int16:
		return len(x)
	case []uint32:
		return len(x)
	case []int32:
		return len(x)
	case []uint64:
		return len(x)
	case []int64:
		return len(x)
	case []float32:
		return len(x)
	case []float64:
		return len(x)
	case []bool:
		return len(x)
	case []string:
		return len(x)
	case []Value:
		return len(x)
	}
	return 0
}

// Str returns a string value; ok is false for any other type.
func (v Value) Str() (s string, ok bool) {
	s, ok = v.v.(string)
	return s, ok
}

// Bool returns a bool value; ok is false for any other type.
func (v Value) Bool() (b bool, ok bool) {
	b, ok = v.v.(bool)
	return b, ok
}

// Int returns any integer scalar as int64. ok is false for other types and
// for a uint64 that does not fit, since metadata such as token ids or
// lengths is used as a signed Go int.
func (v Value) Int() (n int64, ok bool) {
	switch x := v.v.(type) {
	case uint8:
		return int64(x), true
	case int8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case int16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint64:
		if x > math.MaxInt64 {
			return 0, false
		}
		return int64(x), true
	}
	return 0, false
}

// Float returns any numeric scalar as float64; ok is false for other types.
// Writers disagree on whether, say, an RMS epsilon is float32 or float64, so
// readers should not care.
func (v Value) Float() (f float64, ok bool) {
	switch x := v.v.(type) {
	case float32:
		return float64(x), true
	case float64:
		return x, true
	}
	if n, ok := v.Int(); ok {
		return float64(n), true
	}
	return 0, false
}

// Strings returns an array of strings without copying it; the caller must
// not modify it. ok is false for any other type.
func (v Value) Strings() (s []string, ok bool) {
	s, ok = v.v.([]string)
	return s, ok
}

// Float32s returns a numeric array as float32s (a copy unless the array is
// already float32, in which case the caller must not modify it).
func (v Value) Float32s() ([]float32, bool) {
	if x, ok := v.v.([]float32); ok {
		return x, true
	}
	n := v.Len()
	if v.typ != TypeArray || v.elem == TypeString || v.elem == TypeArray || v.elem == TypeBool {
		return nil, false
	}
	out := make([]float32, n)
	for i := range n {
		f, _ := v.Index(i).Float()
		out[i] = float32(f)
	}
	return out, true
}

// Int32s returns an integer array as int32s (a copy unless the array is
// already int32, in which case the caller must not modify it). ok is false if
// the value is not an integer array or an element does not fit.
func (v Value) Int32s() ([]int32, bool) {
	if x, ok := v.v.([]int32); ok {
		return x, true
	}
	if v.typ != TypeArray {
		return nil, false
	}
	switch v.elem {
	case TypeString, TypeArray, TypeBool, TypeFloat32, TypeFloat64:
		return nil, false
	}
	n := v.Len()
	out := make([]int32, n)
	for i := range n {
		x, ok := v.Index(i).Int()
		if !ok || x != int64(int32(x)) {
			return nil, false
		}
		out[i] = int32(x)
	}
	return out, true
}

// Index returns element i of an array value as a Value. It panics if v is not
// an array or i is out of range, like indexing a slice.
func (v Value) Index(i int) Value {
	switch x := v.v.(type) {
	case []uint8:
		return NewValue(x[i])
	case []int8:
		return NewValue(x[i])
	case []uint16:
		return NewValue(x[i])
	case []int16:
		return NewValue(x[i])
	case []uint32:
		return NewValue(x[i])
	case []int32:
		return NewValue(x[i])
	case []uint64:
		return NewValue(x[i])
	case []int64:
		return NewValue(x[i])
	case []float32:
		return NewValue(x[i])
	case []float64:
		return NewValue(x[i])
	case []bool:
		return NewValue(x[i])
	case []string:
		return NewValue(x[i])
	case []Value:
		return x[i]
	}
	panic("gguf: Index of a non-array value")
}

// String formats the value for diagnostics; long arrays are abbreviated.
func (v Value) String() string {
	if v.typ == TypeArray {
		return fmt.Sprintf("[%d x %s]", v.Len(), v.elem)
	}
	if s, ok := v.v.(string); ok {
		if len(s) > 60 {
			s = s[:60] + "..."
		}
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(v.v)
}
