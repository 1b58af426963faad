package asm

import (
	"syscall"
	"time"

	"github.com/llink-go/llink/internal/testutil"
)

// threadCPU returns the calling OS thread's CPU time ([testutil.ThreadCPU]).
func threadCPU() (time.Duration, bool) { return testutil.ThreadCPU() }

// processCPU returns the CPU time (user + system) of the whole process, and
// true: with several worker threads, flops per process CPU-second show the
// parallel split's overhead (duplicated packing, waiting) apart from the
// time spent waiting for a core.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
