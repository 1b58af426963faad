//go:build !purego

package asm

// adamwAVX2 and adamwAVX512 are [AdamW] on whole blocks of 8 and 16
// elements: len(w) must be a multiple of 8 (16); g, m and v as long. The
// twin (adamwGeneric) is their reference, operation for operation.
//
//go:noescape
func adamwAVX2(w, g, m, v []float32, k *[8]float32)

//go:noescape
func adamwAVX512(w, g, m, v []float32, k *[8]float32)

// adamwBlocks returns an AdamW kernel that runs kernel on the leading
// multiple of block elements and the twin on the rest (same bits).
func adamwBlocks(block int, kernel func(w, g, m, v []float32, k *[8]float32)) func(w, g, m, v []float32, k *[8]float32) {
	return func(w, g, m, v []float32, k *[8]float32) {
		n := len(w) - len(w)%block
		if n > 0 {
			kernel(w[:n], g[:n], m[:n], v[:n], k)
		}
		adamwGeneric(w[n:], g[n:len(w)], m[n:len(w)], v[n:len(w)], k)
	}
}
