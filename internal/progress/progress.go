// Package progress shows the progress of llink's long steps (vector caches,
// training stages, evaluation): a bar with count, rate and ETA on a
// terminal, plain periodic lines otherwise (logs, CI, pipes), nothing when
// quiet.
//
//	p := progress.New(os.Stderr, "stage A", steps, progress.Options{})
//	for step := 1; step <= steps; step++ {
//		...
//		p.Add(1)
//	}
//	p.Done()
//
// [Bar.Steps] and [Counter] adapt a bar to the hooks the train package
// calls (func(train.StepLog) and func(done, total int)).
//
// The terminal bar is github.com/schollz/progressbar/v3, which renders
// synchronously on Add (no background goroutine for bars of known length),
// so a bar's output is complete when Done returns.
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/llink-go/llink/train"
)

// Mode selects how progress is shown.
type Mode int

const (
	// Auto draws a bar when the writer is a terminal and prints lines
	// otherwise.
	Auto Mode = iota
	// Bars always draws a bar (carriage-return redraws).
	Bars
	// Lines always prints plain lines.
	Lines
)

// Options tune a [Bar]. The zero value detects the terminal and prints a
// line every 10% (or every 30 s) when not on one.
type Options struct {
	// Quiet shows nothing.
	Quiet bool
	// Mode forces bars or lines (default Auto).
	Mode Mode
	// Every is the longest gap between plain lines (default 30 s); lines
	// are also printed at every 10% of the total.
	Every time.Duration
	// Unit names what is counted ("steps", "pairs"; default "it").
	Unit string
	// Now is the clock (default time.Now); tests pin it.
	Now func() time.Time
}

// Bar is one long step's progress. Its methods are safe for concurrent use.
type Bar struct {
	mu     sync.Mutex
	w      io.Writer
	desc   string
	total  int
	done   int
	note   string
	o      Options
	bar    *progressbar.ProgressBar // terminal mode
	lines  bool                     // plain-line mode
	start  time.Time
	last   time.Time // last plain line
	lastPc int       // last 10% milestone printed
	ended  bool
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// New starts a bar for total units of work described by desc, writing to
// w. total ≤ 0 means unknown (lines show the count and rate only).
func New(w io.Writer, desc string, total int, o Options) *Bar {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Every <= 0 {
		o.Every = 30 * time.Second
	}
	if o.Unit == "" {
		o.Unit = "it"
	}
	b := &Bar{w: w, desc: desc, total: total, o: o, start: o.Now()}
	b.last = b.start
	if o.Quiet || w == nil {
		b.ended = true // nothing to show
		return b
	}
	mode := o.Mode
	if mode == Auto {
		mode = Lines
		if IsTerminal(w) {
			mode = Bars
		}
	}
	if mode == Lines || total <= 0 {
		b.lines = true
		return b
	}
	b.bar = progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionSetWidth(30),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString(o.Unit),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionShowDescriptionAtLineEnd(),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
	return b
}

// Add records n more units done.
func (b *Bar) Add(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.setLocked(b.done + n)
}

// Set records that done units are done in all.
func (b *Bar) Set(done int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.setLocked(done)
}

// Note sets a short status shown after the count ("loss 1.234").
func (b *Bar) Note(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.note = s
	if b.bar != nil {
		b.bar.Describe(b.desc + "  " + s)
	}
}

func (b *Bar) setLocked(done int) {
	if b.ended {
		return
	}
	if b.total > 0 {
		done = min(done, b.total)
	}
	b.done = done
	if b.bar != nil {
		_ = b.bar.Set(done) // only fails on a write error, which a bar cannot act on
		return
	}
	now := b.o.Now()
	pc := 0
	if b.total > 0 {
		pc = 10 * done / b.total
	}
	if pc > b.lastPc || now.Sub(b.last) >= b.o.Every {
		b.lastPc = pc
		b.last = now
		b.lineLocked(now)
	}
}

// lineLocked prints one plain progress line.
func (b *Bar) lineLocked(now time.Time) {
	el := now.Sub(b.start)
	rate := 0.0
	if el > 0 {
		rate = float64(b.done) / el.Seconds()
	}
	s := fmt.Sprintf("%s  %d", b.desc, b.done)
	if b.total > 0 {
		s += fmt.Sprintf("/%d (%3d%%)", b.total, 100*b.done/b.total)
	}
	s += fmt.Sprintf("  %s %s/s  elapsed %s", fmtRate(rate), b.o.Unit, round(el))
	if b.total > 0 && b.done > 0 && b.done < b.total {
		eta := time.Duration(float64(el) / float64(b.done) * float64(b.total-b.done))
		s += "  eta " + round(eta).String()
	}
	if b.note != "" {
		s += "  " + b.note
	}
	fmt.Fprintln(b.w, s)
}

func fmtRate(r float64) string {
	switch {
	case r >= 100:
		return fmt.Sprintf("%.0f", r)
	case r >= 1:
		return fmt.Sprintf("%.1f", r)
	default:
		return fmt.Sprintf("%.3f", r)
	}
}

func round(d time.Duration) time.Duration {
	if d >= 10*time.Second {
		return d.Round(time.Second)
	}
	return d.Round(100 * time.Millisecond)
}

// Done ends the bar: a terminal bar is completed and its line ended, a
// plain-line bar prints its final line if the last one was not final.
// Calling Done again does nothing.
func (b *Bar) Done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ended {
		return
	}
	b.ended = true
	if b.bar != nil {
		if b.total > 0 && b.done < b.total {
			// Stopped early: end the line where it stands.
			_ = b.bar.Exit()
			fmt.Fprintln(b.w)
			return
		}
		_ = b.bar.Finish()
		return
	}
	if b.total <= 0 || b.lastPc < 10 {
		b.lineLocked(b.o.Now())
	}
}

// Steps returns a training-step hook for train.TrainStageA/TrainStageB:
// each StepLog moves the bar to its step and shows the loss (and the dev
// metric, e.g. R@1, when the step has one). The bar ends at its last step.
func (b *Bar) Steps() func(train.StepLog) {
	return func(l train.StepLog) {
		note := fmt.Sprintf("loss %.4f  lr %.2e", l.Loss, l.LR)
		if l.Dev != nil {
			note += fmt.Sprintf("  dev %s %.3f", l.DevName(), *l.Dev)
		}
		b.Note(note)
		b.Set(l.Step)
		if b.total > 0 && l.Step >= b.total {
			b.Done()
		}
	}
}

// Counter returns a func(done, total int) hook (train.CacheSpec.Progress)
// that shows a bar described by desc, started at the first call with that
// call's total, and ended when done reaches total; a call with a different
// total starts a new bar (the next shard).
func Counter(w io.Writer, desc string, o Options) func(done, total int) {
	var mu sync.Mutex
	var b *Bar
	var cur int
	return func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		if b == nil || total != cur || done < b.doneCount() {
			if b != nil {
				b.Done()
			}
			b, cur = New(w, desc, total, o), total
		}
		b.Set(done)
		if total > 0 && done >= total {
			b.Done()
			b = nil
		}
	}
}

func (b *Bar) doneCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.done
}
