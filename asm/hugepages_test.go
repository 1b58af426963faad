package asm

import (
	"testing"
	"unsafe"
)

// TestHugeRange checks the advised range: the whole 2 MiB pages inside the
// slice, nothing outside it.
func TestHugeRange(t *testing.T) {
	buf := make([]byte, 3*hugePage+100)
	base := uintptr(unsafe.Pointer(&buf[0]))
	first := int((hugePage - base%hugePage) % hugePage)
	for _, tc := range []struct{ lo, hi int }{
		{0, len(buf)}, {first, first + hugePage}, {first, first + hugePage - 1},
		{first + 1, first + 2*hugePage}, {0, 10}, {5, 5},
	} {
		b := buf[tc.lo:tc.hi]
		h := hugeRange(b)
		p := uintptr(unsafe.Pointer(unsafe.SliceData(h)))
		switch {
		case len(h) == 0:
			if len(b) >= 2*hugePage {
				t.Errorf("[%d:%d]: no range, but a whole page is inside", tc.lo, tc.hi)
			}
		case p%hugePage != 0 || len(h)%hugePage != 0:
			t.Errorf("[%d:%d]: range at %#x of %d bytes not whole pages", tc.lo, tc.hi, p, len(h))
		case p < uintptr(unsafe.Pointer(&b[0])) || p+uintptr(len(h)) > uintptr(unsafe.Pointer(&b[0]))+uintptr(len(b)):
			t.Errorf("[%d:%d]: range outside the slice", tc.lo, tc.hi)
		case len(b)-len(h) >= 2*hugePage:
			t.Errorf("[%d:%d]: %d bytes of %d advised: a whole page left out", tc.lo, tc.hi, len(h), len(b))
		}
	}
	// Advice never changes the contents.
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	AdviseHugePages(buf)
	AdviseHugePages(buf[:0])
	AdviseHugePages([]float32{1, 2})
	for i := range buf {
		if buf[i] != byte(i*7) {
			t.Fatalf("buf[%d] changed by the advice", i)
		}
	}
}
