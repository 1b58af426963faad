//go:build !linux

package testutil

import "time"

// ThreadCPU is not available here: benchmarks report wall-clock rates only.
func ThreadCPU() (time.Duration, bool) { return 0, false }
