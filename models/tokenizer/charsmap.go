package tokenizer

import (
	"encoding/binary"
	"errors"
	"unicode/utf8"
)

// Charsmap is SentencePiece's precompiled normalisation map
// (precompiled_charsmap): a darts-clone double-array trie over UTF-8 input
// prefixes whose values are offsets into a pool of NUL-terminated
// replacement strings. The blob is a little-endian uint32 trie size in
// bytes, the trie units, then the pool.
type Charsmap struct {
	units []uint32
	pool  []byte
}

// ParseCharsmap checks and decodes a precompiled_charsmap blob.
func ParseCharsmap(blob []byte) (*Charsmap, error) {
	if len(blob) == 0 {
		return nil, nil
	}
	if len(blob) < 4 {
		return nil, errors.New("precompiled_charsmap shorter than its header")
	}
	n := binary.LittleEndian.Uint32(blob)
	if n%4 != 0 || uint64(n) > uint64(len(blob)-4) || n == 0 {
		return nil, errors.New("precompiled_charsmap trie size out of range")
	}
	units := make([]uint32, n/4)
	for i := range units {
		units[i] = binary.LittleEndian.Uint32(blob[4+4*i:])
	}
	return &Charsmap{units: units, pool: blob[4+n:]}, nil
}

func dartsHasLeaf(u uint32) bool  { return (u>>8)&1 == 1 }
func dartsValue(u uint32) uint32  { return u & (1<<31 - 1) }
func dartsLabel(u uint32) uint32  { return u & (1<<31 | 0xFF) }
func dartsOffset(u uint32) uint32 { return (u >> 10) << ((u & (1 << 9)) >> 6) }

// prefixes calls f with the length and replacement of each prefix of s in
// the trie, shortest first, until f returns false.
func (c *Charsmap) prefixes(s string, f func(n int, repl string) bool) {
	units := c.units
	pos := dartsOffset(units[0])
	for i := 0; i < len(s) && i < 64; i++ {
		b := uint32(s[i])
		if b == 0 {
			return
		}
		pos ^= b
		if pos >= uint32(len(units)) {
			return
		}
		u := units[pos]
		if dartsLabel(u) != b {
			return
		}
		pos ^= dartsOffset(u)
		if pos >= uint32(len(units)) {
			return
		}
		if dartsHasLeaf(u) {
			v := int(dartsValue(units[pos]))
			if v < len(c.pool) {
				end := v
				for end < len(c.pool) && c.pool[end] != 0 {
					end++
				}
				if !f(i+1, string(c.pool[v:end])) {
					return
				}
			}
		}
	}
}

// longest returns the longest prefix of s in the trie: its length and the
// replacement, or 0 when none matches (SentencePiece's rule).
func (c *Charsmap) longest(s string) (n int, repl string) {
	c.prefixes(s, func(k int, r string) bool { n, repl = k, r; return true })
	return n, repl
}

// shortest returns the replacement of the shortest prefix of s in the
// trie (Hugging Face's rule).
func (c *Charsmap) shortest(s string) (repl string, ok bool) {
	c.prefixes(s, func(_ int, r string) bool { repl, ok = r, true; return false })
	return repl, ok
}

// Normalize applies the map to s: at each position the longest matching
// prefix is replaced; otherwise one character is copied (an invalid UTF-8
// byte becomes U+FFFD).
func (c *Charsmap) Normalize(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		if c != nil {
			if n, repl := c.longest(s[i:]); n > 0 {
				out = append(out, repl...)
				i += n
				continue
			}
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && w <= 1 {
			out = append(out, "\uFFFD"...)
			i++
			continue
		}
		out = append(out, s[i:i+w]...)
		i += w
	}
	return string(out)
}
