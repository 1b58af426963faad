//go:build unix

package safeio

import (
	"os"
	"syscall"
)

// lock takes an exclusive advisory lock on f, held until f is closed (or
// its process dies, when the kernel drops it).
func lock(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}

// stale reports whether no live writer holds the file at path locked.
func stale(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}

// readFlags opens a file for ReadFile: non-blocking, so that opening a
// named pipe no writer holds returns at once (and reads as empty) instead
// of waiting forever; regular files and devices read as usual, and a pipe
// with a writer (a shell's <(…)) is read through the poller.
const readFlags = os.O_RDONLY | syscall.O_NONBLOCK
