//go:build race

// Package race reports whether the race detector is on, so tests that count
// allocations or measure time (which it inflates) can skip themselves
// instead of failing under `go test -race`.
package race

// Enabled is true when the program was built with -race.
const Enabled = true
