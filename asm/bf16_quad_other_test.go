//go:build purego || !amd64

package asm

// setBF16Quad is a no-op where no kernel groups rows.
func setBF16Quad(bool) (restore func()) { return func() {} }
