package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/llink-go/llink/data"
)

func jsonIndent(v any) ([]byte, error) { return json.MarshalIndent(v, "", "  ") }

// writeJSON writes v to w as indented JSON and a newline (the -json output).
func writeJSON(w io.Writer, v any) error {
	js, err := jsonIndent(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(js, '\n'))
	return err
}

// kindCounts parses "KIND=N,…" (task kinds of [data.TaskKinds], N ≥ 1), the
// form of pretrain's -boost and fair's -task-weights.
func kindCounts(s string) (map[string]int, error) {
	m := map[string]int{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		n, err := strconv.Atoi(v)
		if !ok || err != nil || n < 1 || n > 100 || !slices.Contains(data.TaskKinds, k) {
			return nil, fmt.Errorf("%q: want KIND=N,… with N in 1..100 and kinds %v", kv, data.TaskKinds)
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("%q: kind %s given twice", s, k)
		}
		m[k] = n
	}
	return m, nil
}
