//go:build purego || !(amd64 || arm64)

package asm

// registerArch registers nothing: only the pure-Go twins are built.
func registerArch() {}
