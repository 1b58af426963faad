package testutil

import (
	"time"

	"golang.org/x/sys/unix"
)

// ThreadCPU returns the CPU time the calling OS thread has used, and true;
// benchmarks lock their goroutine to the thread first (runtime.LockOSThread),
// so other processes on the cores do not count against the code measured.
// It reads CLOCK_THREAD_CPUTIME_ID (nanoseconds): getrusage(RUSAGE_THREAD)
// moves in scheduler ticks, ±5% on a 100 ms sample.
func ThreadCPU() (time.Duration, bool) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
