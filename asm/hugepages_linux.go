package asm

import "syscall"

// madvCollapse is Linux's MADV_COLLAPSE (6.1 and later; not in package
// syscall): move the pages of a range onto huge pages now, synchronously.
const madvCollapse = 25

// adviseHuge marks b's whole huge pages MADV_HUGEPAGE (pages faulted there
// later come huge) and collapses the ones already present (MADV_COLLAPSE);
// errors (an older kernel, huge pages off) are ignored.
func adviseHuge(b []byte) {
	if h := hugeRange(b); h != nil {
		_ = syscall.Madvise(h, syscall.MADV_HUGEPAGE)
		_ = syscall.Madvise(h, madvCollapse)
	}
}
