package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/internal/progress"
)

// usageError is a mistake in the command line (exit status 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usageErrorf returns a usage error (exit status 2).
func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// maxCount bounds count and step flags, so that sums and products of them
// (examples × epochs, prompt + new tokens) cannot overflow an int.
const maxCount = 1 << 30

// checkInt reports a numeric flag of command cmd outside [lo, hi] as a
// usage error naming the flag and its range.
func checkInt(cmd, name string, v, lo, hi int) error {
	if v >= lo && v <= hi {
		return nil
	}
	return usageErrorf("%s: -%s %d: want %d..%d", cmd, name, v, lo, hi)
}

// checkFloat reports a float flag of command cmd that is not finite or lies
// outside [lo, hi] (a bound of ±Inf leaves that side open), naming the flag
// and its range.
func checkFloat(cmd, name string, v, lo, hi float64) error {
	if !math.IsNaN(v) && !math.IsInf(v, 0) && v >= lo && v <= hi {
		return nil
	}
	want := fmt.Sprintf("a finite number in [%g, %g]", lo, hi)
	if math.IsInf(hi, 1) {
		want = fmt.Sprintf("a finite number ≥ %g", lo)
	}
	return usageErrorf("%s: -%s %v: want %s", cmd, name, v, want)
}

// firstError returns the first non-nil error of errs.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func isUsageError(err error) bool {
	var u *usageError
	return errors.As(err, &u)
}

// isFlagParseError reports whether err comes from flag.FlagSet.Parse
// (which has already printed it with the usage text). The flag package has
// no error type, so its stable messages are matched.
func isFlagParseError(err error) bool {
	msg := err.Error()
	for _, p := range []string{
		"flag provided but not defined: ",
		"invalid value ",
		"invalid boolean value ",
		"invalid boolean flag ",
		"flag needs an argument: ",
		"bad flag syntax: ",
	} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// newFlagSet returns the FlagSet of a registered command: errors are
// returned (not fatal), messages go to stderr, and -h prints
//
//	usage: llink NAME SYNOPSIS
//
//	SHORT
//
//	Flags:
//	  ... (each with its default)
//
// Commands build their flags on it instead of flag.NewFlagSet.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		c := commands[strings.Fields(name + " x")[0]]
		syn := c.synopsis
		if syn == "" {
			syn = "[flags]"
		}
		w := fs.Output()
		fmt.Fprintf(w, "usage: llink %s %s\n", name, syn)
		if c.short != "" {
			fmt.Fprintf(w, "\n%s\n", c.short)
		}
		if c.long != "" {
			fmt.Fprintf(w, "\n%s\n", c.long)
		}
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(w, "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseInterspersed parses args with fs, allowing flags after positional
// arguments (as in `llink ask -bundle B "Translate." -max-new 8`), and
// returns the positional ones in order; after "--" every argument is
// positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		used := len(args) - fs.NArg()
		if used > 0 && args[used-1] == "--" {
			return append(pos, fs.Args()...), nil
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// commonFlags are the flags every command may share: output mode, threads
// and profiling.
type commonFlags struct {
	Quiet      bool   // no progress output
	JSON       bool   // machine-readable output on stdout
	Threads    int    // compute threads (0: all cores)
	CPUProfile string // write a CPU profile here
	MemProfile string // write a heap profile here on exit
}

// topFlags holds the common flags given before the command name: the
// defaults of a command's own copy (see [addCommonFlags]).
var topFlags commonFlags

func (c *commonFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&c.Quiet, "quiet", c.Quiet, "no progress bars or progress lines")
	fs.BoolVar(&c.JSON, "json", c.JSON, "machine-readable JSON output on stdout")
	fs.IntVar(&c.Threads, "threads", c.Threads, "compute threads (0: one per core)")
	fs.StringVar(&c.CPUProfile, "cpuprofile", c.CPUProfile, "write a CPU profile (runtime/pprof) to `file`")
	fs.StringVar(&c.MemProfile, "memprofile", c.MemProfile, "write a heap profile (runtime/pprof) to `file` on exit")
}

// addCommonFlags registers the common flags on a command's FlagSet, with
// the values given before the command name as defaults. Call start after
// parsing and defer the returned stop.
func addCommonFlags(fs *flag.FlagSet) *commonFlags {
	c := topFlags
	c.register(fs)
	return &c
}

// progressOptions returns the progress settings these flags select.
func (c *commonFlags) progressOptions() progress.Options {
	return progress.Options{Quiet: c.Quiet || c.JSON}
}

// start applies the thread count and starts the profiles; stop ends them
// (writing the heap profile) and restores the thread count. Settings equal
// to the ones given before the command are left to the top level, so a
// command's copy never starts a second profile.
func (c *commonFlags) start() (stop func() error, err error) {
	var undo []func() error
	stop = func() error {
		var first error
		for i := len(undo) - 1; i >= 0; i-- {
			if err := undo[i](); err != nil && first == nil {
				first = err
			}
		}
		undo = nil
		return first
	}
	if c.Threads < 0 {
		return stop, usageErrorf("-threads %d: want 0 (all cores) or more", c.Threads)
	}
	if c.Threads > 0 && c.Threads != topFlags.Threads {
		restore := asm.SetThreads(c.Threads)
		undo = append(undo, func() error { restore(); return nil })
	}
	if c.CPUProfile != "" && c.CPUProfile != topFlags.CPUProfile {
		f, err := os.Create(c.CPUProfile)
		if err != nil {
			return stop, fmt.Errorf("cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return stop, fmt.Errorf("cpuprofile: %w", err)
		}
		undo = append(undo, func() error {
			pprof.StopCPUProfile()
			return f.Close()
		})
	}
	if p := c.MemProfile; p != "" && p != topFlags.MemProfile {
		// Created now, written at the end: a path that cannot be written
		// fails before the work, not silently after it (a command's stop
		// error is not reported).
		f, err := os.Create(p)
		if err != nil {
			stop()
			return stop, fmt.Errorf("memprofile: %w", err)
		}
		undo = append(undo, func() error {
			runtime.GC() // up-to-date statistics
			werr := pprof.Lookup("heap").WriteTo(f, 0)
			if cerr := f.Close(); werr == nil {
				werr = cerr
			}
			return werr
		})
	}
	return stop, nil
}
