package asm

import "unsafe"

// AdviseHugePages asks the operating system to back the whole 2 MiB pages
// inside s with huge pages (Linux's transparent huge pages; elsewhere it
// does nothing). A decoding step streams every weight once per token,
// several streams at once: with 4 KiB pages each stream needs a new
// translation every 4 KiB — on a virtual machine a two-level page walk —
// and the hardware prefetchers stop at each page's end; a 2 MiB page needs
// one per 2 MiB. It is advice: where the system refuses (huge pages off,
// memory too fragmented) nothing changes, and s's contents never do.
func AdviseHugePages[E any](s []E) {
	if len(s) == 0 {
		return
	}
	var e E
	adviseHuge(unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(e))))
}

// hugePage is the huge page size AdviseHugePages aligns to.
const hugePage = 2 << 20

// hugeRange returns the whole hugePage-aligned pages inside b (nil if none).
func hugeRange(b []byte) []byte {
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo := int((hugePage - p%hugePage) % hugePage)
	if lo >= len(b) {
		return nil
	}
	n := (len(b) - lo) / hugePage * hugePage
	if n == 0 {
		return nil
	}
	return b[lo : lo+n]
}
