package asm

import (
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// threadCPU returns the CPU time the calling OS thread has used, and true;
// benchmarks lock their goroutine to the thread first. It reads
// CLOCK_THREAD_CPUTIME_ID (nanoseconds): getrusage(RUSAGE_THREAD) moves in
// scheduler ticks on this machine, ±5% on a 100 ms sample.
func threadCPU() (time.Duration, bool) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}

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
