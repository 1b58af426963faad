package tokenizer

import "unicode"

// byteToRune is GPT-2's byte-to-unicode map: printable Latin-1 bytes map to
// themselves, the other 68 bytes to U+0100 upwards in byte order, so every
// byte has a visible, non-space character (space becomes 'Ġ', '\n' 'Ċ').
var byteToRune [256]rune

// runeToByte inverts byteToRune; -1 marks characters outside the map.
var runeToByte = map[rune]byte{}

// byteStr caches the one-character string of each byte.
var byteStr [256]string

func init() {
	n := 0
	for b := 0; b < 256; b++ {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			byteToRune[b] = rune(b)
		} else {
			byteToRune[b] = rune(256 + n)
			n++
		}
		runeToByte[byteToRune[b]] = byte(b)
		byteStr[b] = string(byteToRune[b])
	}
}

// ByteLevelEncode maps raw bytes to their byte-level (GPT-2) spelling.
func ByteLevelEncode(s string) string {
	out := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		out[i] = byteToRune[s[i]]
	}
	return string(out)
}

// ByteLevelDecode maps a byte-level spelling back to raw bytes; characters
// outside the map are kept as their UTF-8 bytes.
func ByteLevelDecode(s string) string {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if b, ok := runeToByte[r]; ok {
			out = append(out, b)
		} else {
			out = append(out, string(r)...)
		}
	}
	return string(out)
}

// isSpace is the Unicode White_Space property (the regex class \s).
func isSpace(r rune) bool { return unicode.IsSpace(r) }

// isL is \p{L}, isN is \p{N}.
func isL(r rune) bool { return unicode.IsLetter(r) }
func isN(r rune) bool { return unicode.IsNumber(r) }
