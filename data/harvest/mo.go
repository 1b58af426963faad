package harvest

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Message is one entry of a gettext catalog.
type Message struct {
	Context  string   // msgctxt, "" if none
	ID       string   // msgid
	IDPlural string   // msgid_plural, "" if none
	Str      []string // msgstr, or msgstr[0..n-1] for plural entries
}

// ParseMO decodes a GNU gettext .mo file (either byte order). The header
// entry (empty msgid) is included; callers usually skip it.
func ParseMO(b []byte) ([]Message, error) {
	if len(b) < 28 {
		return nil, fmt.Errorf("mo: file too short (%d bytes)", len(b))
	}
	var bo binary.ByteOrder
	switch binary.LittleEndian.Uint32(b) {
	case 0x950412de:
		bo = binary.LittleEndian
	case 0xde120495:
		bo = binary.BigEndian
	default:
		return nil, fmt.Errorf("mo: bad magic number %#x", binary.LittleEndian.Uint32(b))
	}
	if rev := bo.Uint32(b[4:]); rev>>16 > 1 {
		return nil, fmt.Errorf("mo: unsupported major revision %d", rev>>16)
	}
	n := uint64(bo.Uint32(b[8:]))
	origTab, transTab := uint64(bo.Uint32(b[12:])), uint64(bo.Uint32(b[16:]))
	size := uint64(len(b))
	if n > size/8 || origTab+8*n > size || transTab+8*n > size {
		return nil, fmt.Errorf("mo: %d entries do not fit in %d bytes", n, size)
	}
	str := func(tab, i uint64) (string, error) {
		l := uint64(bo.Uint32(b[tab+8*i:]))
		off := uint64(bo.Uint32(b[tab+8*i+4:]))
		if off+l > size {
			return "", fmt.Errorf("mo: string %d (offset %d, length %d) is outside the file", i, off, l)
		}
		return string(b[off : off+l]), nil
	}
	out := make([]Message, 0, n)
	for i := uint64(0); i < n; i++ {
		id, err := str(origTab, i)
		if err != nil {
			return nil, err
		}
		tr, err := str(transTab, i)
		if err != nil {
			return nil, err
		}
		var m Message
		if ctx, rest, ok := strings.Cut(id, "\x04"); ok {
			m.Context, id = ctx, rest
		}
		m.ID, m.IDPlural, _ = strings.Cut(id, "\x00")
		m.Str = strings.Split(tr, "\x00")
		out = append(out, m)
	}
	return out, nil
}
