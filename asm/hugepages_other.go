//go:build !linux

package asm

// adviseHuge does nothing: huge pages are advised on Linux only.
func adviseHuge([]byte) {}
