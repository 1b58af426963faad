//go:build !linux

package safetensors

func resetPeakRSS() {}

// peakRSS is not measured on this system.
func peakRSS() int64 { return -1 }
