//go:build !unix

package safeio

import (
	"os"
	"time"
)

// lock does nothing where flock is unavailable.
func lock(*os.File) error { return nil }

// stale, without locks, takes a temporary file a day old to be abandoned.
func stale(path string) bool {
	st, err := os.Stat(path)
	return err == nil && time.Since(st.ModTime()) > 24*time.Hour
}

// readFlags opens a file for ReadFile.
const readFlags = os.O_RDONLY
