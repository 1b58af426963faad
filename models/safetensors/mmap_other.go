//go:build !unix

package safetensors

import "os"

// mmapFile is not available on this system: the reader uses positioned
// reads (io.ReaderAt) instead.
func mmapFile(*os.File, int64) ([]byte, error) { return nil, nil }

// munmap is never called without a mapping on this system.
func munmap([]byte) error { return nil }
