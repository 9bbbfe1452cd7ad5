package bufpool

import "testing"

func TestGetPut(t *testing.T) {
	b := Get()
	if len(*b) != 0 || cap(*b) < Size {
		t.Fatalf("Get: len %d cap %d, want 0 and at least %d", len(*b), cap(*b), Size)
	}
	*b = append(*b, "hello"...)
	Put(b)
	if n := testing.AllocsPerRun(100, func() {
		b := Get()
		*b = append(*b, "event"...)
		Put(b)
	}); n != 0 {
		t.Errorf("%v allocations per Get and Put, want 0", n)
	}
}

// Put refuses what it should not lend again: nothing, a buffer too small
// to be worth lending, and one a large event grew past MaxKept.
func TestPutRefuses(t *testing.T) {
	big := make([]byte, 0, 2*MaxKept)
	for _, b := range []*[]byte{nil, new([]byte), &big} {
		Put(b)
	}
	// Whatever the pool lends afterwards is within bounds.
	for range 10 {
		b := Get()
		if cap(*b) < Size || cap(*b) > MaxKept {
			t.Fatalf("Get lent a buffer of capacity %d, want %d to %d", cap(*b), Size, MaxKept)
		}
		defer Put(b)
	}
}

// A Scratch holds a buffer only between Bytes and Release, keeps the one
// that appending grew, and drops one grown past MaxKept.
func TestScratch(t *testing.T) {
	var s Scratch
	if s.Held() {
		t.Fatal("the zero Scratch holds a buffer")
	}
	b := append(s.Bytes(), make([]byte, 3*Size)...)
	s.Keep(b)
	if got := s.Bytes(); cap(got) != cap(b) || len(got) != 0 {
		t.Errorf("after Keep: len %d cap %d, want 0 and the grown %d", len(got), cap(got), cap(b))
	}
	s.Release()
	if s.Held() {
		t.Fatal("Release kept the buffer")
	}
	s.Keep(make([]byte, 0, 2*MaxKept))
	if s.Held() {
		t.Error("Keep held a buffer too large to lend again")
	}
	if n := testing.AllocsPerRun(100, func() {
		s.Keep(append(s.Bytes(), "event"...))
		s.Release()
	}); n != 0 {
		t.Errorf("%v allocations per use, want 0", n)
	}
}
