package main

import (
	"encoding/json"
	"io"
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
