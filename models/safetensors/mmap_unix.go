//go:build unix

package safetensors

import (
	"os"
	"syscall"
)

// mmapFile maps size bytes of f read-only. It returns nil, nil when the
// mapping is not possible (e.g. the size does not fit in an int), in which
// case the caller falls back to positioned reads.
func mmapFile(f *os.File, size int64) ([]byte, error) {
	if size <= 0 || int64(int(size)) != size {
		return nil, nil
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil // fall back to ReadAt
	}
	return b, nil
}

// munmap releases a mapping made by mmapFile.
func munmap(b []byte) error { return syscall.Munmap(b) }
