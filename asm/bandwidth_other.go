//go:build purego || !amd64

package asm

func bwReadersArch() []bwReader { return nil }
