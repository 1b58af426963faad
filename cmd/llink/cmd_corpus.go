package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/llink-go/llink/data"
	"github.com/llink-go/llink/data/harvest"
	"github.com/llink-go/llink/internal/safeio"
)

func init() {
	register(command{name: "corpus", short: "generate, split and inspect Khmer–English data; harvest real pairs from Debian", run: runCorpus})
}

const corpusUsage = `usage: llink corpus SUBCOMMAND [flags]

Subcommands:
  generate        write N distinct generated pairs as JSONL
  tasks           write the instruction tasks of one split as JSONL
  stats           summarise a .jsonl or .tsv pair file
  harvest-debian  build a real corpus from Debian packages (needs apt-get, dpkg-deb)

Run "llink corpus SUBCOMMAND -h" for its flags.
`

func runCorpus(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, corpusUsage)
		return nil
	}
	sub, args := args[0], args[1:]
	fs := newFlagSet("corpus "+sub, stderr)
	out := fs.String("out", "-", "output file (- for standard output)")
	switch sub {
	case "generate":
		n := fs.Int("n", 20000, "number of pairs")
		seed := fs.Uint64("seed", 1, "random seed")
		if err := fs.Parse(args); err != nil {
			return err
		}
		if err := checkInt("corpus generate", "n", *n, 1, 2_000_000); err != nil {
			return err
		}
		return writeOut(*out, stdout, func(w io.Writer) error { return data.WritePairsJSONL(w, data.Generate(*n, *seed)) })
	case "tasks":
		split := fs.String("split", "train", "train, dev, test or pool")
		seed := fs.Uint64("seed", 1, "corpus seed")
		english := fs.Bool("english", false, "English-only tasks: the English passage in place of the Khmer one")
		if err := fs.Parse(args); err != nil {
			return err
		}
		cfg := data.DefaultConfig()
		cfg.Seed = *seed
		c, err := data.Build(cfg)
		if err != nil {
			return err
		}
		pairs, ok := map[string][]data.Pair{"train": c.Train, "dev": c.Dev, "test": c.Test, "pool": c.Pool}[*split]
		if !ok {
			return fmt.Errorf("corpus tasks: unknown split %q (want train, dev, test or pool)", *split)
		}
		tasks := data.MakeTasks(pairs, *seed)
		if *english {
			for i := range tasks {
				tasks[i] = tasks[i].EnglishOnly()
			}
		}
		return writeOut(*out, stdout, func(w io.Writer) error { return data.WriteTasksJSONL(w, tasks) })
	case "stats":
		skip := fs.Bool("skip-bad", false, "skip malformed lines and count them")
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return errors.New("usage: llink corpus stats [--skip-bad] FILE")
		}
		pairs, st, err := data.ReadFile(fs.Arg(0), data.ReadOptions{SkipBad: *skip})
		if err != nil {
			return err
		}
		printStats(stdout, fs.Arg(0), pairs, st)
		return nil
	case "harvest-debian":
		workdir := fs.String("workdir", "", "keep downloads here (default: a temporary directory, removed afterwards)")
		pkgs := fs.String("packages", "", "comma-separated gettext packages (default: the built-in list)")
		noHelp := fs.Bool("no-help", false, "skip the LibreOffice help")
		if err := fs.Parse(args); err != nil {
			return err
		}
		opt := harvest.Options{WorkDir: *workdir, NoHelp: *noHelp, Log: stderr}
		if *pkgs != "" {
			opt.Packages = strings.Split(*pkgs, ",")
		}
		if *out != "-" {
			// Fail before the long download if the output cannot be written.
			if err := writeOut(*out, stdout, func(io.Writer) error { return nil }); err != nil {
				return err
			}
		}
		pairs, st, err := harvest.Harvest(opt)
		if err != nil {
			return err
		}
		if err := writeOut(*out, stdout, func(w io.Writer) error { return data.WritePairsJSONL(w, pairs) }); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "harvested %d pairs; dropped: %v\n", len(pairs), st.Dropped)
		return nil
	}
	fmt.Fprint(stderr, corpusUsage)
	return fmt.Errorf("corpus: unknown subcommand %q", sub)
}

// writeOut writes to stdout for "-", else to path through
// [safeio.Output]: into a device or a pipe (/dev/stdout, a FIFO), a regular
// file atomically (a crash leaves the old file or the new).
func writeOut(path string, stdout io.Writer, write func(io.Writer) error) error {
	if path == "-" || path == "" {
		return write(stdout)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return safeio.Output(path, 0o644, write)
}

func printStats(w io.Writer, name string, pairs []data.Pair, st data.ReadStats) {
	var enChars, kmChars, withNum int
	frames, sources, licenses := map[string]int{}, map[string]int{}, map[string]int{}
	uniq := map[string]bool{}
	for _, p := range pairs {
		enChars += len([]rune(p.English))
		kmChars += len([]rune(p.Foreign))
		uniq[p.English+"\t"+p.Foreign] = true
		if p.Slots != nil {
			frames[p.Slots.Frame]++
			if p.Slots.Value != "" {
				withNum++
			}
		}
		if p.Source != "" {
			pkg, _, _ := strings.Cut(p.Source, ":")
			sources[pkg]++
		}
		if p.License != "" {
			licenses[p.License]++
		}
	}
	n := len(pairs)
	fmt.Fprintf(w, "%s: %d pairs (%d distinct), %d lines read, %d skipped\n", name, n, len(uniq), st.Lines, st.Skipped)
	fmt.Fprintf(w, "mean length: English %.1f chars, Khmer %.1f chars\n", float64(enChars)/float64(n), float64(kmChars)/float64(n))
	if len(frames) > 0 {
		fmt.Fprintf(w, "generated: %d frames, %.1f%% with a number\n", len(frames), 100*float64(withNum)/float64(n))
	}
	printCounts(w, "frames", frames)
	printCounts(w, "sources", sources)
	printCounts(w, "licences", licenses)
}

func printCounts(w io.Writer, title string, m map[string]int) {
	if len(m) == 0 {
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] || m[keys[i]] == m[keys[j]] && keys[i] < keys[j] })
	fmt.Fprintf(w, "%s:\n", title)
	for _, k := range keys {
		fmt.Fprintf(w, "  %7d  %s\n", m[k], k)
	}
}
