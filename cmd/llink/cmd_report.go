package main

import (
	"bytes"
	"fmt"
	"io"

	"github.com/llink-go/llink/internal/safeio"
	"github.com/llink-go/llink/train/eval"
)

func init() {
	register(command{name: "report", short: "render a fair-comparison record (llink fair) as Markdown, or into a document between its results markers", run: runReport})
}

// defaultRecord is the committed reference record the README is rendered from.
const defaultRecord = "bench/results/fair.json"

func runReport(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("report", stderr)
	record := fs.String("record", defaultRecord, "record `file` written by llink fair")
	into := fs.String("into", "", "document `file` (e.g. README.md) whose results section, between its markers, is replaced")
	check := fs.Bool("check", false, "with -into: change nothing, fail if the document's section differs from the record")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("report: unexpected argument %q", fs.Arg(0))
	}
	if *check && *into == "" {
		return usageErrorf("report: -check needs -into FILE")
	}
	body, err := renderRecord(*record)
	if err != nil {
		return err
	}
	if *into == "" {
		_, err := io.WriteString(stdout, body)
		return err
	}
	doc, err := safeio.ReadFile(*into, 16<<20, "a document")
	if err != nil {
		return err
	}
	out, err := eval.Splice(string(doc), body)
	if err != nil {
		return fmt.Errorf("report: %s: %w", *into, err)
	}
	if *check {
		if out != string(doc) {
			return fmt.Errorf("report: %s's results section differs from %s: run llink report -into %s", *into, *record, *into)
		}
		return nil
	}
	if out == string(doc) {
		return nil
	}
	return writeBytes(*into, []byte(out))
}

// renderRecord reads a record and renders its tables as the report does.
func renderRecord(path string) (string, error) {
	rec, err := eval.ReadRecord(path)
	if err != nil {
		return "", err
	}
	var rows []string
	for _, m := range rec.Slices[0].Seeds[0].Methods {
		rows = append(rows, m.Method)
	}
	var b bytes.Buffer
	if err := rec.WriteMarkdown(&b, fairReport(rows)); err != nil {
		return "", err
	}
	return b.String(), nil
}
