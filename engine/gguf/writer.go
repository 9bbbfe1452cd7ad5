package gguf

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// Writer builds a GGUF version 3 file. Add metadata with [Writer.AddKV] and
// tensors with [Writer.AddTensor], then call [Writer.WriteTo] once. The
// writer keeps references to tensor data until then; it does not copy it.
type Writer struct {
	// Alignment of the tensor data; 0 means [DefaultAlignment]. A
	// general.alignment key is written when it differs from the default.
	Alignment uint64

	kv      []KV
	tensors []TensorInfo
	data    [][]byte
	err     error
}

// AddKV appends a metadata entry. Values are made with [NewValue].
func (w *Writer) AddKV(key string, v Value) {
	w.kv = append(w.kv, KV{Key: key, Value: v})
}

// AddTensor appends a tensor of type t with dimensions dims (dims[0] is the
// row length) and its encoded data, which must be exactly the size the type
// and shape imply; a mismatch is reported by [Writer.WriteTo].
func (w *Writer) AddTensor(name string, t Type, dims []uint64, data []byte) {
	ti := TensorInfo{Name: name, Type: t, Dims: append([]uint64(nil), dims...)}
	rb, ok := t.RowBytes(dims[0])
	if !ok && w.err == nil {
		w.err = fmt.Errorf("gguf: tensor %q: row of %d is not a whole number of %s blocks", name, dims[0], t)
	}
	ti.Size = rb * (ti.Elements() / dims[0])
	if uint64(len(data)) != ti.Size && w.err == nil {
		w.err = fmt.Errorf("gguf: tensor %q: %d bytes of data, want %d for %s %v", name, len(data), ti.Size, t, dims)
	}
	w.tensors = append(w.tensors, ti)
	w.data = append(w.data, data)
}

// WriteTo writes the file to out and returns the bytes written.
func (w *Writer) WriteTo(out io.Writer) (int64, error) {
	if w.err != nil {
		return 0, w.err
	}
	align := w.Alignment
	if align == 0 {
		align = DefaultAlignment
	}
	kv := w.kv
	if align != DefaultAlignment {
		kv = append(kv[:len(kv):len(kv)], KV{"general.alignment", NewValue(uint32(align))})
	}
	cw := &countWriter{w: bufio.NewWriterSize(out, 1<<16)}
	e := &encoder{w: cw}
	e.raw([]byte(Magic))
	e.u32(3)
	e.u64(uint64(len(w.tensors)))
	e.u64(uint64(len(kv)))
	for _, p := range kv {
		e.str(p.Key)
		e.u32(uint32(p.Value.typ))
		e.value(p.Value)
	}
	off := uint64(0)
	for i := range w.tensors {
		t := &w.tensors[i]
		t.Offset = off
		e.str(t.Name)
		e.u32(uint32(len(t.Dims)))
		for _, d := range t.Dims {
			e.u64(d)
		}
		e.u32(uint32(t.Type))
		e.u64(off)
		off = (off + t.Size + align - 1) / align * align
	}
	e.pad(align)
	for i, d := range w.data {
		e.raw(d)
		if i < len(w.data)-1 {
			e.pad(align)
		}
	}
	if e.err == nil {
		e.err = cw.w.(*bufio.Writer).Flush()
	}
	return cw.n, e.err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// encoder writes little-endian fields and remembers the first error.
type encoder struct {
	w   *countWriter
	err error
	buf [8]byte
}

func (e *encoder) raw(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}

func (e *encoder) pad(align uint64) {
	if r := uint64(e.w.n) % align; r != 0 {
		e.raw(make([]byte, align-r))
	}
}

func (e *encoder) u32(v uint32) {
	binary.LittleEndian.PutUint32(e.buf[:], v)
	e.raw(e.buf[:4])
}

func (e *encoder) u64(v uint64) {
	binary.LittleEndian.PutUint64(e.buf[:], v)
	e.raw(e.buf[:8])
}

func (e *encoder) str(s string) {
	e.u64(uint64(len(s)))
	e.raw([]byte(s))
}

func (e *encoder) value(v Value) {
	switch x := v.v.(type) {
	case uint8:
		e.raw([]byte{x})
	case int8:
		e.raw([]byte{byte(x)})
	case bool:
		b := byte(0)
		if x {
			b = 1
		}
		e.raw([]byte{b})
	case uint16:
		binary.LittleEndian.PutUint16(e.buf[:], x)
		e.raw(e.buf[:2])
	case int16:
		binary.LittleEndian.PutUint16(e.buf[:], uint16(x))
		e.raw(e.buf[:2])
	case uint32:
		e.u32(x)
	case int32:
		e.u32(uint32(x))
	case float32:
		e.u32(math.Float32bits(x))
	case uint64:
		e.u64(x)
	case int64:
		e.u64(uint64(x))
	case float64:
		e.u64(math.Float64bits(x))
	case string:
		e.str(x)
	default:
		// An array: element type, count, then each element.
		e.u32(uint32(v.elem))
		n := v.Len()
		e.u64(uint64(n))
		for i := range n {
			// A nested array encodes as element type, count and items,
			// which is exactly what this default branch writes.
			e.value(v.Index(i))
		}
	}
}
