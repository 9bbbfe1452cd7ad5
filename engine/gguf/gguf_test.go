package gguf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// sample builds a small file with every value type and three tensors.
func sample(t testing.TB) []byte {
	t.Helper()
	var w Writer
	w.AddKV("general.architecture", NewValue("llama"))
	w.AddKV("u8", NewValue(uint8(7)))
	w.AddKV("i8", NewValue(int8(-7)))
	w.AddKV("u16", NewValue(uint16(700)))
	w.AddKV("i16", NewValue(int16(-700)))
	w.AddKV("u32", NewValue(uint32(70000)))
	w.AddKV("i32", NewValue(int32(-70000)))
	w.AddKV("u64", NewValue(uint64(1<<40)))
	w.AddKV("i64", NewValue(int64(-1<<40)))
	w.AddKV("f32", NewValue(float32(1.5)))
	w.AddKV("f64", NewValue(2.25))
	w.AddKV("bool", NewValue(true))
	w.AddKV("tokens", NewValue([]string{"<s>", "a", "▁b"}))
	w.AddKV("scores", NewValue([]float32{0, -1, -2}))
	w.AddKV("types", NewValue([]int32{3, 1, 1}))
	w.AddKV("nested", NewValue([]Value{NewValue([]uint8{1, 2}), NewValue([]string{"x"})}))
	w.AddTensor("f32", F32, []uint64{4, 2}, make([]byte, 32))
	w.AddTensor("q8", Q8_0, []uint64{64}, bytes.Repeat([]byte{1}, 68))
	w.AddTensor("f16", F16, []uint64{3}, []byte{1, 2, 3, 4, 5, 6})
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	data := sample(t)
	f, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if f.Version != 3 || f.Alignment != DefaultAlignment || f.DataOffset%32 != 0 {
		t.Errorf("header: version %d alignment %d data offset %d", f.Version, f.Alignment, f.DataOffset)
	}
	if got := f.Architecture(); got != "llama" {
		t.Errorf("architecture = %q", got)
	}
	tests := []struct {
		key  string
		want any
	}{
		{"u8", uint8(7)}, {"i8", int8(-7)}, {"u16", uint16(700)}, {"i16", int16(-700)},
		{"u32", uint32(70000)}, {"i32", int32(-70000)}, {"u64", uint64(1 << 40)},
		{"i64", int64(-1 << 40)}, {"f32", float32(1.5)}, {"f64", 2.25}, {"bool", true},
		{"tokens", []string{"<s>", "a", "▁b"}}, {"scores", []float32{0, -1, -2}},
		{"types", []int32{3, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			v, ok := f.Lookup(tt.key)
			if !ok {
				t.Fatal("missing")
			}
			if !reflect.DeepEqual(v.Any(), tt.want) {
				t.Errorf("got %#v, want %#v", v.Any(), tt.want)
			}
		})
	}
	if n := f.Int("i16", 0); n != -700 {
		t.Errorf("Int(i16) = %d", n)
	}
	if x := f.Float("u32", 0); x != 70000 {
		t.Errorf("Float(u32) = %v", x)
	}
	if n := f.Int("missing", 42); n != 42 {
		t.Errorf("Int default = %d", n)
	}
	nested, _ := f.Lookup("nested")
	if nested.Len() != 2 || !reflect.DeepEqual(nested.Index(0).Any(), []uint8{1, 2}) ||
		!reflect.DeepEqual(nested.Index(1).Any(), []string{"x"}) {
		t.Errorf("nested = %v", nested.Any())
	}
	if ts, ok := (func() ([]int32, bool) { v, _ := f.Lookup("types"); return v.Int32s() })(); !ok || len(ts) != 3 {
		t.Errorf("Int32s = %v %v", ts, ok)
	}
	for _, tc := range []struct {
		name string
		typ  Type
		size uint64
		fill byte
	}{{"f32", F32, 32, 0}, {"q8", Q8_0, 68, 1}, {"f16", F16, 6, 1}} {
		ti, ok := f.Tensor(tc.name)
		if !ok {
			t.Fatalf("tensor %s missing", tc.name)
		}
		if ti.Type != tc.typ || ti.Size != tc.size || ti.Offset%32 != 0 {
			t.Errorf("tensor %s: %+v", tc.name, ti)
		}
		if d := f.TensorData(ti); uint64(len(d)) != tc.size || d[0] != tc.fill {
			t.Errorf("tensor %s data: len %d first %d", tc.name, len(d), d[0])
		}
	}
}

func TestOpenMapsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.gguf")
	if err := os.WriteFile(path, sample(t), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ti, _ := f.Tensor("f16")
	if got := f.TensorData(ti); !bytes.Equal(got, []byte{1, 2, 3, 4, 5, 6}) {
		t.Errorf("f16 data = %v", got)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "absent.gguf")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("absent file: %v", err)
	}
}

func TestAlignment(t *testing.T) {
	w := Writer{Alignment: 64}
	w.AddTensor("a", F32, []uint64{3}, make([]byte, 12))
	w.AddTensor("b", F32, []uint64{3}, make([]byte, 12))
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := f.Tensor("b")
	if f.Alignment != 64 || f.DataOffset%64 != 0 || b.Offset != 64 {
		t.Errorf("alignment %d data offset %d b offset %d", f.Alignment, f.DataOffset, b.Offset)
	}
}

func TestWriterRejectsBadTensor(t *testing.T) {
	var w Writer
	w.AddTensor("short", F32, []uint64{4}, make([]byte, 15))
	if _, err := w.WriteTo(&bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "short") {
		t.Errorf("err = %v", err)
	}
	var w2 Writer
	w2.AddTensor("q", Q8_0, []uint64{33}, make([]byte, 34))
	if _, err := w2.WriteTo(&bytes.Buffer{}); err == nil {
		t.Error("row of 33 Q8_0 elements accepted")
	}
}

// header returns a minimal header with the given version and counts.
func header(version uint32, nTensors, nKV uint64) []byte {
	b := []byte(Magic)
	b = binary.LittleEndian.AppendUint32(b, version)
	b = binary.LittleEndian.AppendUint64(b, nTensors)
	return binary.LittleEndian.AppendUint64(b, nKV)
}

func appendStr(b []byte, s string) []byte {
	return append(binary.LittleEndian.AppendUint64(b, uint64(len(s))), s...)
}

// tensorHeader builds a header with one tensor info.
func tensorHeader(name string, dims []uint64, typ Type, off uint64) []byte {
	b := header(3, 1, 0)
	b = appendStr(b, name)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(dims)))
	for _, d := range dims {
		b = binary.LittleEndian.AppendUint64(b, d)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(typ))
	return binary.LittleEndian.AppendUint64(b, off)
}

func TestParseErrors(t *testing.T) {
	good := sample(t)
	kv := func(typ uint32, payload ...byte) []byte {
		b := appendStr(header(3, 0, 1), "k")
		b = binary.LittleEndian.AppendUint32(b, typ)
		return append(b, payload...)
	}
	dupKey := appendStr(header(3, 0, 2), "k")
	dupKey = append(binary.LittleEndian.AppendUint32(dupKey, uint32(TypeUint8)), 1)
	dupKey = appendStr(dupKey, "k")
	dupKey = append(binary.LittleEndian.AppendUint32(dupKey, uint32(TypeUint8)), 1)
	badAlign := appendStr(header(3, 0, 1), "general.alignment")
	badAlign = binary.LittleEndian.AppendUint32(badAlign, uint32(TypeUint32))
	badAlign = binary.LittleEndian.AppendUint32(badAlign, 48)
	hugeArray := binary.LittleEndian.AppendUint32(kv(uint32(TypeArray)), uint32(TypeUint32))
	hugeArray = binary.LittleEndian.AppendUint64(hugeArray, 1<<60)

	tests := []struct {
		name string
		data []byte
		want error
		msg  string // substring the message must contain
	}{
		{"empty", nil, ErrTruncated, "fetch it again"},
		{"not gguf", []byte("PK\x03\x04zipzipzip"), ErrNotGGUF, ".gguf"},
		{"version 1", header(1, 0, 0), ErrVersion, "convert the model again"},
		{"version 4", header(4, 0, 0), ErrVersion, "newer than sluice"},
		{"big endian", header(3<<24, 0, 0), ErrVersion, "big-endian"},
		{"header cut", header(3, 0, 0)[:10], ErrTruncated, "fetch it again"},
		{"too many kvs", header(3, 0, 1<<40), ErrTruncated, "metadata entries"},
		{"too many tensors", header(3, 1<<40, 0), ErrTruncated, "tensors"},
		{"unknown value type", kv(99), ErrCorrupt, "unknown value type"},
		{"huge array", hugeArray, ErrTruncated, "elements"},
		{"huge string", binary.LittleEndian.AppendUint64(kv(uint32(TypeString)), 1<<40), ErrCorrupt, "claims"},
		{"duplicate key", dupKey, ErrCorrupt, "twice"},
		{"bad alignment", badAlign, ErrCorrupt, "power of two"},
		{"zero dims", tensorHeader("t", nil, F32, 0), ErrCorrupt, "dimensions"},
		{"zero size dim", tensorHeader("t", []uint64{0}, F32, 0), ErrCorrupt, "dimension 0"},
		{"unknown tensor type", tensorHeader("t", []uint64{4}, 77, 0), ErrCorrupt, "unknown type id 77"},
		{"partial block", tensorHeader("t", []uint64{33}, Q8_0, 0), ErrCorrupt, "block size"},
		{"misaligned", tensorHeader("t", []uint64{4}, F32, 4), ErrCorrupt, "alignment"},
		{"data missing", tensorHeader("t", []uint64{4}, F32, 0), ErrTruncated, `tensor "t"`},
		{"data cut", good[:len(good)-1], ErrTruncated, `tensor "f16"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.data)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("message %q lacks %q", err, tt.msg)
			}
		})
	}
}

// TestEveryTruncation cuts a valid file at every length; each cut must give
// ErrTruncated, never a panic or a wrong success.
func TestEveryTruncation(t *testing.T) {
	data := sample(t)
	for n := range len(data) {
		if _, err := Parse(data[:n]); !errors.Is(err, ErrTruncated) {
			t.Fatalf("cut at %d of %d: err = %v", n, len(data), err)
		}
	}
}

func TestOpenRealModel(t *testing.T) {
	path := filepath.Join("..", "..", "..", "shared", "models", "stories260K.gguf")
	if _, err := os.Stat(path); err != nil {
		t.Skip("stories260K.gguf not present:", err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Architecture() != "llama" {
		t.Errorf("architecture %q", f.Architecture())
	}
	for _, k := range f.KV {
		t.Logf("%s = %v", k.Key, k.Value)
	}
	for _, ti := range f.Tensors {
		t.Logf("%s %s %v", ti.Name, ti.Type, ti.Dims)
	}
}
