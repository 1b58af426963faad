// Package safeio reads and writes whole files so that bad input or a crash
// cannot exhaust memory or leave a half-written file: [ReadFile] refuses a
// file past a size limit (a device such as /dev/zero included), and
// [WriteFile] / [Create] write through a locked temporary file that is
// fsynced and renamed over the target, with temporaries left by a killed
// writer removed by the next write to the same target ([RemoveStale]).
package safeio

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// ReadFile reads the file at path whole, refusing it with an error naming
// path, what (e.g. "a config.json") and limit when it holds more than limit
// bytes. Unlike a size check on os.Stat, the limit also holds for devices,
// pipes and files that grow while being read; a named pipe nothing writes
// to reads as empty instead of blocking.
func ReadFile(path string, limit int64, what string) ([]byte, error) {
	f, err := os.OpenFile(path, readFlags, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > limit {
		return nil, tooLarge(path, limit, what)
	}
	return ReadAll(f, path, limit, what)
}

// ReadAll reads r (named name in errors, e.g. "stdin") to its end,
// refusing it with an error naming name, what and limit once it has given
// more than limit bytes, so an endless stream cannot exhaust memory.
func ReadAll(r io.Reader, name string, limit int64, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if int64(len(b)) > limit {
		return nil, tooLarge(name, limit, what)
	}
	return b, nil
}

// ErrTooLarge is wrapped by the error [ReadFile] returns for a file over
// its limit.
var ErrTooLarge = errors.New("file too large")

func tooLarge(path string, limit int64, what string) error {
	return fmt.Errorf("%s: %w: more than %s, the limit for %s", path, ErrTooLarge, Size(limit), what)
}

// Size formats a byte count with a binary unit (e.g. "16 MiB").
func Size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	units := []string{"KiB", "MiB", "GiB", "TiB"}
	v, i := float64(n)/unit, 0
	for v >= unit && i < len(units)-1 {
		v /= unit
		i++
	}
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d %s", int64(v), units[i])
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}

// CheckRegular refuses path unless it is a regular file (or a symbolic
// link to one), with an error naming it and what it is instead. Loaders
// call it before opening: opening a named pipe blocks until something
// writes to it, and a device or a pipe cannot be memory-mapped or sized.
func CheckRegular(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	var kind string
	switch m := st.Mode(); {
	case m.IsRegular():
		return nil
	case m.IsDir():
		kind = "folder"
	case m&os.ModeNamedPipe != 0:
		kind = "named pipe (FIFO)"
	case m&os.ModeSocket != 0:
		kind = "socket"
	case m&os.ModeDevice != 0:
		kind = "device"
	default:
		kind = "special file"
	}
	return fmt.Errorf("%s is a %s, not a regular file", path, kind)
}
