// Command llink runs LLINK — Latent Language Injection for Non-English
// Knowledge — on CPUs. With no arguments it runs the main job; `llink help`
// lists the subcommands and `llink help COMMAND` (or `llink COMMAND -h`)
// shows a command's flags with their defaults.
//
// Usage:
//
//	llink [common flags] [command] [flags] [arguments]
//
// The common flags (-quiet, -json, -threads, -cpuprofile, -memprofile) may
// come before the command name, and after it for commands that register
// them. Exit status: 0 on success or help, 1 on failure, 2 on a usage error
// (an unknown command or flag, a bad flag value, a missing argument).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
)

// command is one subcommand. Each lives in its own cmd_*.go file and
// registers itself from an init function.
type command struct {
	name  string
	short string // one line for `llink help`
	// synopsis is the argument part of the usage line, e.g. "[flags] PATH"
	// (default "[flags]"); read by [newFlagSet].
	synopsis string
	// long, when set, is printed after short by -h and `llink help NAME`.
	long string
	// run executes the command; args exclude the command name.
	run func(args []string, stdin io.Reader, stdout, stderr io.Writer) error
}

var commands = map[string]command{}

func init() {
	register(command{name: "help", short: "list the commands, or show one command's flags and defaults", synopsis: "[-json] [COMMAND]",
		run: func(args []string, stdin io.Reader, stdout, _ io.Writer) error {
			return help(args, topFlags.JSON, stdin, stdout)
		}})
}

func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("llink: duplicate command " + c.name)
	}
	commands[c.name] = c
}

func main() {
	// Training keeps a step's activations in pointer-free float32 buffers,
	// which the collector marks almost for free, but the default GOGC=100
	// lets the heap grow to twice that working set before collecting: a
	// gigabyte-sized step then costs gigabytes of RSS in garbage. Collect
	// at 25% growth unless the user set GOGC.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(25)
	}
	os.Exit(exitCode(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr), os.Stderr))
}

// exitCode maps run's error to the process exit status and reports it on
// stderr: 0 for success and help, 2 for usage errors, 1 otherwise. Errors
// from a FlagSet's parsing were already printed with the usage text.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
		return 0
	case isFlagParseError(err):
		return 2
	case isUsageError(err):
		fmt.Fprintln(stderr, "llink:", err)
		return 2
	default:
		fmt.Fprintln(stderr, "llink:", err)
		return 1
	}
}

// run is the whole program minus the process: tests call it in-process.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) (err error) {
	top := flag.NewFlagSet("llink", flag.ContinueOnError)
	top.SetOutput(stderr)
	top.Usage = func() { usage(top.Output()) }
	var cf commonFlags
	cf.register(top)
	if err := top.Parse(args); err != nil {
		return err
	}
	stop, err := cf.start()
	if err != nil {
		return err
	}
	topFlags = cf
	defer func() {
		topFlags = commonFlags{}
		if serr := stop(); err == nil {
			err = serr
		}
	}()
	rest := top.Args()
	if len(rest) == 0 {
		return defaultJob(stdin, stdout, stderr)
	}
	name := rest[0]
	c, ok := commands[name]
	if !ok {
		usage(stderr)
		return usageErrorf("unknown command %q (see `llink help`)", name)
	}
	return c.run(rest[1:], stdin, stdout, stderr)
}

// help prints the command list, or one command's usage and flags.
func help(args []string, asJSON bool, stdin io.Reader, stdout io.Writer) error {
	fs := newFlagSet("help", stdout)
	fs.BoolVar(&asJSON, "json", asJSON, "list the commands as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	args = fs.Args()
	switch len(args) {
	case 0:
		if asJSON {
			type entry struct {
				Name  string `json:"name"`
				Short string `json:"short"`
			}
			var list []entry
			for _, n := range commandNames() {
				list = append(list, entry{n, commands[n].short})
			}
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(list)
		}
		usage(stdout)
		return nil
	case 1:
		c, ok := commands[args[0]]
		if !ok {
			return usageErrorf("help: unknown command %q", args[0])
		}
		// A command's -h prints its usage to its stderr argument: here stdout.
		err := c.run([]string{"-h"}, stdin, stdout, stdout)
		if err == nil || errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	default:
		return usageErrorf("help: want at most one COMMAND, got %d arguments", len(args))
	}
}

func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: llink [common flags] [command] [flags] [arguments]\n\nWith no command, runs the default job.\n\nCommands:")
	for _, n := range commandNames() {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].short)
	}
	fmt.Fprintln(w, "\nCommon flags (before the command, or after it where the command lists them):")
	fs := flag.NewFlagSet("llink", flag.ContinueOnError)
	fs.SetOutput(w)
	new(commonFlags).register(fs)
	fs.PrintDefaults()
	fmt.Fprintln(w, "\nRun `llink help COMMAND` or `llink COMMAND -h` for a command's flags.\nExit status: 0 ok, 1 failure, 2 usage error.")
}
