package tokenizer

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// obj is one JSON object of a tokenizer.json being read. Its getters
// record which keys were read and the first error; finish reports that
// error or any key nobody read, so an option this package does not know is
// refused by name instead of being ignored.
type obj struct {
	where string
	m     map[string]json.RawMessage
	used  map[string]bool
	err   error
}

// parseObj decodes raw as an object; where names it in errors
// ("normalizer.normalizers[1]").
func parseObj(raw json.RawMessage, where string) (*obj, error) {
	o := &obj{where: where, used: map[string]bool{}}
	if err := json.Unmarshal(raw, &o.m); err != nil {
		return nil, fmt.Errorf("%s: want an object: %v", where, err)
	}
	if o.m == nil {
		return nil, fmt.Errorf("%s: want an object, got null", where)
	}
	return o, nil
}

func (o *obj) fail(format string, args ...any) {
	if o.err == nil {
		o.err = fmt.Errorf("%s: %s", o.where, fmt.Sprintf(format, args...))
	}
}

// get returns the raw value of key, nil when absent or null.
func (o *obj) get(key string) json.RawMessage {
	o.used[key] = true
	v, ok := o.m[key]
	if !ok || string(v) == "null" {
		return nil
	}
	return v
}

func (o *obj) has(key string) bool { return o.get(key) != nil }

func (o *obj) decode(key string, v any) bool {
	r := o.get(key)
	if r == nil {
		return false
	}
	if err := json.Unmarshal(r, v); err != nil {
		o.fail("%s: %v", key, err)
		return false
	}
	return true
}

func (o *obj) str(key, def string) string {
	s := def
	o.decode(key, &s)
	return s
}

func (o *obj) boolean(key string, def bool) bool {
	b := def
	o.decode(key, &b)
	return b
}

func (o *obj) integer(key string, def int) int {
	n := def
	o.decode(key, &n)
	return n
}

// typ is the "type" field.
func (o *obj) typ() string { return o.str("type", "") }

// finish returns the first error or names the keys nobody read.
func (o *obj) finish() error {
	if o.err != nil {
		return o.err
	}
	var extra []string
	for k := range o.m {
		if !o.used[k] {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return fmt.Errorf("%s: unknown option %s", o.where, strings.Join(extra, ", "))
	}
	return nil
}

// list decodes key as an array of raw values.
func (o *obj) list(key string) []json.RawMessage {
	var l []json.RawMessage
	o.decode(key, &l)
	return l
}

// pattern reads key as a {"String": …} or {"Regex": …} pattern.
func (o *obj) pattern(key string) matcher {
	var p jsonPattern
	if !o.decode(key, &p) {
		o.fail("missing %s", key)
		return nil
	}
	m, err := compilePattern(&p)
	if err != nil {
		o.fail("%s: %v", key, err)
	}
	return m
}

// oneRune reads key as a one-character string.
func (o *obj) oneRune(key string, def rune) rune {
	s := o.str(key, string(def))
	r := []rune(s)
	if len(r) != 1 {
		o.fail("%s: want one character, got %q", key, s)
		return def
	}
	return r[0]
}
