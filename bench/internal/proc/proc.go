// Package proc reads the benchmark programs' process statistics: CPU time
// (so rates can be quoted per CPU-second on a shared machine) and resident
// memory from /proc (Linux; elsewhere they report zero or "?").
package proc

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// CPUTime returns the process's user + system CPU time, all threads.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// MinorFaults returns the process's minor page faults so far (pages the
// kernel mapped on first touch, e.g. fresh memory), all threads.
func MinorFaults() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return int64(ru.Minflt)
}

// PeakRSS returns VmHWM from /proc/self/status ("1234 kB"), or "?".
func PeakRSS() string {
	if v := status("VmHWM:"); v != "" {
		return v
	}
	return "?"
}

// RSS returns the current resident set in bytes (VmRSS), or 0.
func RSS() int64 {
	kb, _ := strconv.ParseInt(strings.TrimSuffix(status("VmRSS:"), " kB"), 10, 64)
	return kb << 10
}

func status(name string) string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, name) {
			return strings.TrimSpace(strings.TrimPrefix(l, name))
		}
	}
	return ""
}
