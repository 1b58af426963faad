package main

import "io"

// defaultJob is what `go run ./cmd/llink` does: the LLINK pipeline on the
// embedded default. Until the embedded models land it is the engine
// self-check.
func defaultJob(_ io.Reader, stdout, _ io.Writer) error { return selfCheck(stdout) }
