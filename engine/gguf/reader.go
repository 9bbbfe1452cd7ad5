package gguf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Sentinel errors wrapped by every parse failure, so callers can tell a bad
// download from a bad converter with errors.Is.
var (
	// ErrNotGGUF means the file does not start with the GGUF magic.
	ErrNotGGUF = errors.New("gguf: not a GGUF file")
	// ErrVersion means the file is GGUF, but of a version this reader
	// does not support (only 2 and 3 are), or big-endian.
	ErrVersion = errors.New("gguf: unsupported GGUF version")
	// ErrTruncated means the file ends before the data it declares.
	ErrTruncated = errors.New("gguf: file is truncated")
	// ErrCorrupt means a field holds a value no valid file has.
	ErrCorrupt = errors.New("gguf: file is corrupt")
)

// Magic is the first four bytes of every GGUF file.
const Magic = "GGUF"

// DefaultAlignment is the tensor data alignment used when the file has no
// general.alignment key.
const DefaultAlignment = 32

// Limits that keep a hostile header from making the reader allocate without
// bound; real files are far below them.
const (
	maxDims       = 4
	maxArrayDepth = 4
	maxStringLen  = 1 << 28
)

// TensorInfo describes one tensor: its name, shape, element type and where
// its data lies. Dims[0] is the length of a row (the fastest-varying
// dimension), as in ggml.
type TensorInfo struct {
	Name string
	Dims []uint64
	Type Type
	// Offset is relative to the start of the tensor data section.
	Offset uint64
	// Size is the number of bytes of data.
	Size uint64
}

// Elements returns the number of elements of the tensor.
func (t *TensorInfo) Elements() uint64 {
	n := uint64(1)
	for _, d := range t.Dims {
		n *= d
	}
	return n
}

// KV is one metadata entry.
type KV struct {
	Key   string
	Value Value
}

// File is a parsed GGUF file. Its methods are safe for concurrent use; it
// does not change after [Open] or [Parse] returns.
type File struct {
	// Version is the GGUF version, 2 or 3.
	Version uint32
	// KV holds the metadata in file order.
	KV []KV
	// Tensors holds the tensor descriptions in file order.
	Tensors []TensorInfo
	// Alignment is the alignment of the tensor data section and of every
	// tensor in it.
	Alignment uint64
	// DataOffset is the file offset of the tensor data section.
	DataOffset uint64

	data    []byte
	kvIndex map[string]int
	tIndex  map[string]int
	unmap   func() error
}

// Lookup returns the metadata value for key.
func (f *File) Lookup(key string) (Value, bool) {
	i, ok := f.kvIndex[key]
	if !ok {
		return Value{}, false
	}
	return f.KV[i].Value, true
}

// String returns the string value for key, or "" when it is absent or not a
// string.
func (f *File) String(key string) string {
	v, _ := f.Lookup(key)
	s, _ := v.Str()
	return s
}

// Int returns the integer value for key, or def when it is absent or not an
// integer.
func (f *File) Int(key string, def int64) int64 {
	v, _ := f.Lookup(key)
	if n, ok := v.Int(); ok {
		return n
	}
	return def
}

// Float returns the numeric value for key, or def when it is absent or not
// numeric.
func (f *File) Float(key string, def float64) float64 {
	v, _ := f.Lookup(key)
	if x, ok := v.Float(); ok {
		return x
	}
	return def
}

// Architecture returns general.architecture, such as "llama".
func (f *File) Architecture() string { return f.String("general.architecture") }

// Tensor returns the description of the named tensor.
func (f *File) Tensor(name string) (*TensorInfo, bool) {
	i, ok := f.tIndex[name]
	if !ok {
		return nil, false
	}
	return &f.Tensors[i], true
}

// TensorData returns the bytes of t. The slice aliases the file's memory: it
// must not be modified and is valid only until [File.Close].
func (f *File) TensorData(t *TensorInfo) []byte {
	start := f.DataOffset + t.Offset
	return f.data[start : start+t.Size : start+t.Size]
}

// Close releases the memory mapping, if any. Tensor data slices must not be
// used afterwards. Close is idempotent.
func (f *File) Close() error {
	if f.unmap == nil {
		return nil
	}
	err := f.unmap()
	f.unmap = nil
	f.data = nil
	return err
}

// Parse reads a GGUF file held in data. The returned File aliases data for
// tensor contents; metadata is copied.
func Parse(data []byte) (*File, error) {
	r := &reader{b: data}
	f := &File{data: data}
	if len(data) < 4 || string(data[:4]) != Magic {
		if len(data) < 4 {
			return nil, fmt.Errorf("%w: the file has %d bytes, fewer than a GGUF header; the download is incomplete, fetch it again", ErrTruncated, len(data))
		}
		return nil, fmt.Errorf("%w: it starts with %q instead of %q; check that the path names a .gguf model", ErrNotGGUF, data[:4], Magic)
	}
	r.off = 4
	v, err := r.u32("version")
	if err != nil {
		return nil, err
	}
	switch {
	case v == 2 || v == 3:
	case v&0xffff == 0 && v != 0:
		return nil, fmt.Errorf("%w: the file is big-endian (version field %#x); use a little-endian conversion of the model", ErrVersion, v)
	case v == 1:
		return nil, fmt.Errorf("%w: version 1 (2023) is not supported, only 2 and 3; convert the model again with a current llama.cpp", ErrVersion)
	default:
		return nil, fmt.Errorf("%w: version %d is not supported, only 2 and 3; this file may be newer than sluice, or corrupt", ErrVersion, v)
	}
	f.Version = v
	nTensors, err := r.u64("tensor count")
	if err != nil {
		return nil, err
	}
	nKV, err := r.u64("metadata count")
	if err != nil {
		return nil, err
	}
	// A KV takes at least 8+4 bytes and a tensor info at least 8+4+4+8;
	// anything claiming more than fits is corrupt or truncated, and must not
	// size an allocation.
	if nKV > uint64(r.left())/12 {
		return nil, fmt.Errorf("%w: header claims %d metadata entries but only %d bytes follow", ErrTruncated, nKV, r.left())
	}
	f.KV = make([]KV, 0, nKV)
	f.kvIndex = make(map[string]int, nKV)
	for i := range nKV {
		key, err := r.str("metadata key")
		if err != nil {
			return nil, fmt.Errorf("metadata entry %d: %w", i, err)
		}
		t, err := r.u32("value type")
		if err != nil {
			return nil, fmt.Errorf("metadata %q: %w", key, err)
		}
		val, err := r.value(ValueType(t), 0)
		if err != nil {
			return nil, fmt.Errorf("metadata %q: %w", key, err)
		}
		if _, dup := f.kvIndex[key]; dup {
			return nil, fmt.Errorf("%w: metadata key %q appears twice", ErrCorrupt, key)
		}
		f.kvIndex[key] = len(f.KV)
		f.KV = append(f.KV, KV{Key: key, Value: val})
	}
	f.Alignment = DefaultAlignment
	if av, ok := f.Lookup("general.alignment"); ok {
		a, ok := av.Int()
		if !ok || a <= 0 || a&(a-1) != 0 || a > 1<<20 {
			return nil, fmt.Errorf("%w: general.alignment is %v; it must be a power of two", ErrCorrupt, av)
		}
		f.Alignment = uint64(a)
	}
	if nTensors > uint64(r.left())/24 {
		return nil, fmt.Errorf("%w: header claims %d tensors but only %d bytes follow", ErrTruncated, nTensors, r.left())
	}
	f.Tensors = make([]TensorInfo, 0, nTensors)
	f.tIndex = make(map[string]int, nTensors)
	for i := range nTensors {
		t, err := r.tensorInfo()
		if err != nil {
			return nil, fmt.Errorf("tensor info %d: %w", i, err)
		}
		if _, dup := f.tIndex[t.Name]; dup {
			return nil, fmt.Errorf("%w: tensor %q appears twice", ErrCorrupt, t.Name)
		}
		if t.Offset%f.Alignment != 0 {
			return nil, fmt.Errorf("%w: tensor %q offset %d is not a multiple of the alignment %d", ErrCorrupt, t.Name, t.Offset, f.Alignment)
		}
		f.tIndex[t.Name] = len(f.Tensors)
		f.Tensors = append(f.Tensors, t)
	}
	f.DataOffset = (uint64(r.off) + f.Alignment - 1) / f.Alignment * f.Alignment
	avail := uint64(0)
	if uint64(len(data)) > f.DataOffset {
		avail = uint64(len(data)) - f.DataOffset
	}
	for i := range f.Tensors {
		t := &f.Tensors[i]
		if t.Offset > avail || t.Size > avail-t.Offset {
			return nil, fmt.Errorf("%w: tensor %q needs bytes %d..%d of the data section, which has %d; the download is incomplete, fetch it again",
				ErrTruncated, t.Name, t.Offset, t.Offset+t.Size, avail)
		}
	}
	return f, nil
}

// reader is a bounds-checked little-endian cursor over the header.
type reader struct {
	b   []byte
	off int
}

func (r *reader) left() int { return len(r.b) - r.off }

func (r *reader) need(n int, what string) error {
	if n < 0 || r.left() < n {
		return fmt.Errorf("%w: reading %s at byte %d needs %d bytes, %d remain; the download is incomplete, fetch it again", ErrTruncated, what, r.off, n, r.left())
	}
	return nil
}

func (r *reader) u32(what string) (uint32, error) {
	if err := r.need(4, what); err != nil {
		return 0, err
	}
	v := binary.LittleEndian.Uint32(r.b[r.off:])
	r.off += 4
	return v, nil
}

func (r *reader) u64(what string) (uint64, error) {
	if err := r.need(8, what); err != nil {
		return 0, err
	}
	v := binary.LittleEndian.Uint64(r.b[r.off:])
	r.off += 8
	return v, nil
}

func (r *reader) str(what string) (string, error) {
	n, err := r.u64(what + " length")
	if err != nil {
		return "", err
	}
	if n > maxStringLen {
		return "", fmt.Errorf("%w: %s at byte %d claims %d bytes", ErrCorrupt, what, r.off-8, n)
	}
	if err := r.need(int(n), what); err != nil {
		return "", err
	}
	s := string(r.b[r.off : r.off+int(n)])
	r.off += int(n)
	return s, nil
}

// value reads one value of type t; depth bounds array nesting.
func (r *reader) value(t ValueType, depth int) (Value, error) {
	if size := t.fixedSize(); size > 0 {
		if err := r.need(size, t.String()); err != nil {
			return Value{}, err
		}
		v := r.scalar(t)
		r.off += size
		return v, nil
	}
	switch t {
	case TypeString:
		s, err := r.str("string")
		return Value{typ: TypeString, v: s}, err
	case TypeArray:
		if depth >= maxArrayDepth {
			return Value{}, fmt.Errorf("%w: arrays nested deeper than %d", ErrCorrupt, maxArrayDepth)
		}
		et, err := r.u32("array element type")
		if err != nil {
			return Value{}, err
		}
		n, err := r.u64("array length")
		if err != nil {
			return Value{}, err
		}
		return r.array(ValueType(et), n, depth)
	}
	return Value{}, fmt.Errorf("%w: unknown value type %d at byte %d", ErrCorrupt, uint32(t), r.off-4)
}

// scalar decodes a fixed-size value at the cursor without advancing it.
func (r *reader) scalar(t ValueType) Value {
	b := r.b[r.off:]
	switch t {
	case TypeUint8:
		return NewValue(b[0])
	case TypeInt8:
		return NewValue(int8(b[0]))
	case TypeBool:
		return NewValue(b[0] != 0)
	case TypeUint16:
		return NewValue(binary.LittleEndian.Uint16(b))
	case TypeInt16:
		return NewValue(int16(binary.LittleEndian.Uint16(b)))
	case TypeUint32:
		return NewValue(binary.LittleEndian.Uint32(b))
	case TypeInt32:
		return NewValue(int32(binary.LittleEndian.Uint32(b)))
	case TypeFloat32:
		return NewValue(math.Float32frombits(binary.LittleEndian.Uint32(b)))
	case TypeUint64:
		return NewValue(binary.LittleEndian.Uint64(b))
	case TypeInt64:
		return NewValue(int64(binary.LittleEndian.Uint64(b)))
	case TypeFloat64:
		return NewValue(math.Float64frombits(binary.LittleEndian.Uint64(b)))
	}
	panic("gguf: scalar of a non-scalar type")
}

// array reads n elements of type et into a typed slice.
func (r *reader) array(et ValueType, n uint64, depth int) (Value, error) {
	minSize := et.fixedSize()
	if et == TypeString || et == TypeArray {
		minSize = 8
	}
	if minSize == 0 {
		return Value{}, fmt.Errorf("%w: array of unknown element type %d at byte %d", ErrCorrupt, uint32(et), r.off-12)
	}
	if n > uint64(r.left()/minSize) {
		return Value{}, fmt.Errorf("%w: array at byte %d claims %d elements of %s but only %d bytes remain; the download is incomplete, fetch it again", ErrTruncated, r.off, n, et, r.left())
	}
	cnt := int(n)
	if size := et.fixedSize(); size > 0 {
		b := r.b[r.off : r.off+cnt*size]
		r.off += cnt * size
		return decodeFixedArray(et, b, cnt), nil
	}
	if et == TypeString {
		out := make([]string, cnt)
		for i := range out {
			s, err := r.str("string array element")
			if err != nil {
				return Value{}, err
			}
			out[i] = s
		}
		return NewValue(out), nil
	}
	out := make([]Value, cnt)
	for i := range out {
		v, err := r.value(TypeArray, depth+1)
		if err != nil {
			return Value{}, err
		}
		out[i] = v
	}
	return NewValue(out), nil
}

func decodeFixedArray(et ValueType, b []byte, n int) Value {
	le := binary.LittleEndian
	switch et {
	case TypeUint8:
		return NewValue(append([]uint8(nil), b...))
	case TypeInt8:
		out := make([]int8, n)
		for i := range out {
			out[i] = int8(b[i])
		}
		return NewValue(out)
	case TypeBool:
		out := make([]bool, n)
		for i := range out {
			out[i] = b[i] != 0
		}
		return NewValue(out)
	case TypeUint16:
		out := make([]uint16, n)
		for i := range out {
			out[i] = le.Uint16(b[2*i:])
		}
		return NewValue(out)
	case TypeInt16:
		out := make([]int16, n)
		for i := range out {
			out[i] = int16(le.Uint16(b[2*i:]))
		}
		return NewValue(out)
	case TypeUint32:
		out := make([]uint32, n)
		for i := range out {
			out[i] = le.Uint32(b[4*i:])
		}
		return NewValue(out)
	case TypeInt32:
		out := make([]int32, n)
		for i := range out {
			out[i] = int32(le.Uint32(b[4*i:]))
		}
		return NewValue(out)
	case TypeFloat32:
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		}
		return NewValue(out)
	case TypeUint64:
		out := make([]uint64, n)
		for i := range out {
			out[i] = le.Uint64(b[8*i:])
		}
		return NewValue(out)
	case TypeInt64:
		out := make([]int64, n)
		for i := range out {
			out[i] = int64(le.Uint64(b[8*i:]))
		}
		return NewValue(out)
	case TypeFloat64:
		out := make([]float64, n)
		for i := range out {
			out[i] = math.Float64frombits(le.Uint64(b[8*i:]))
		}
		return NewValue(out)
	}
	panic("gguf: fixed array of a non-scalar type")
}

// tensorInfo reads and validates one tensor description.
func (r *reader) tensorInfo() (TensorInfo, error) {
	var t TensorInfo
	name, err := r.str("tensor name")
	if err != nil {
		return t, err
	}
	t.Name = name
	nd, err := r.u32("tensor dimension count")
	if err != nil {
		return t, err
	}
	if nd == 0 || nd > maxDims {
		return t, fmt.Errorf("%w: tensor %q has %d dimensions; GGUF allows 1 to %d", ErrCorrupt, name, nd, maxDims)
	}
	t.Dims = make([]uint64, nd)
	elems := uint64(1)
	for i := range t.Dims {
		d, err := r.u64("tensor dimension")
		if err != nil {
			return t, err
		}
		if d == 0 || d > 1<<40 || elems > (1<<50)/d {
			return t, fmt.Errorf("%w: tensor %q has dimension %d of size %d", ErrCorrupt, name, i, d)
		}
		t.Dims[i] = d
		elems *= d
	}
	typ, err := r.u32("tensor type")
	if err != nil {
		return t, err
	}
	t.Type = Type(typ)
	if !t.Type.Known() {
		return t, fmt.Errorf("%w: tensor %q has unknown type id %d; the file may need a newer sluice", ErrCorrupt, name, typ)
	}
	rowBytes, ok := t.Type.RowBytes(t.Dims[0])
	if !ok {
		return t, fmt.Errorf("%w: tensor %q row length %d is not a multiple of the %s block size %d", ErrCorrupt, name, t.Dims[0], t.Type, t.Type.BlockSize())
	}
	t.Size = rowBytes * (elems / t.Dims[0])
	if t.Offset, err = r.u64("tensor offset"); err != nil {
		return t, err
	}
	return t, nil
}
