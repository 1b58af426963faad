package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/llink-go/llink/models/tokenizer"
)

func init() {
	register(command{
		name:     "tokenize",
		synopsis: "-tokenizer FILE|DIR|GGUF [-decode | -count] [-add-special] < lines",
		short:    "encode stdin lines to token ids (or --decode ids, --count)",
		run:      runTokenize,
	})
}

func runTokenize(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("tokenize", stderr)
	path := fs.String("tokenizer", "", "tokenizer.json, a folder holding one, or a .gguf file (required)")
	decode := fs.Bool("decode", false, "read space-separated ids per line and print the text")
	count := fs.Bool("count", false, "print only the number of tokens per line")
	addSpecial := fs.Bool("add-special", false, "add the post-processor's special tokens (BOS, <s> … </s>, [CLS] … [SEP])")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *path == "" {
		return usageErrorf("tokenize: -tokenizer is required")
	}
	if *decode && *count {
		return usageErrorf("tokenize: -decode and -count are exclusive")
	}
	tok, err := tokenizer.Load(*path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 64*1024), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
		if *decode {
			var ids []int
			for _, f := range strings.Fields(text) {
				id, err := strconv.Atoi(f)
				if err != nil || id < 0 || id >= tok.VocabSize() {
					return fmt.Errorf("tokenize: stdin line %d: %q is not a token id of %s (vocabulary size %d)", line, f, *path, tok.VocabSize())
				}
				ids = append(ids, id)
			}
			fmt.Fprintln(w, tok.Decode(ids))
			continue
		}
		ids := tok.Encode(text, *addSpecial)
		if *count {
			fmt.Fprintln(w, len(ids))
			continue
		}
		for i, id := range ids {
			if i > 0 {
				w.WriteByte(' ')
			}
			w.WriteString(strconv.Itoa(id))
		}
		w.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("tokenize: reading stdin: %w", err)
	}
	return nil
}
