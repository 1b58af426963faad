package progress

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llink-go/llink/train"
)

// clock advances by step on every reading.
func clock(step time.Duration) func() time.Time {
	t := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(step)
		return t
	}
}

func TestLines(t *testing.T) {
	var buf bytes.Buffer
	p := New(&buf, "stage A", 100, Options{Mode: Lines, Unit: "steps", Now: clock(time.Second)})
	for range 100 {
		p.Add(1)
	}
	p.Done()
	p.Done() // idempotent
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 10 {
		t.Fatalf("want a line per 10%%, got %d:\n%s", len(lines), buf.String())
	}
	if !strings.HasPrefix(lines[4], "stage A  50/100 ( 50%)  1.0 steps/s") || !strings.Contains(lines[4], "eta 50s") {
		t.Fatalf("line 5 = %q", lines[4])
	}
	if !strings.HasPrefix(lines[9], "stage A  100/100 (100%)") || strings.Contains(lines[9], "eta") {
		t.Fatalf("last line = %q", lines[9])
	}
}

func TestLinesByTime(t *testing.T) {
	var buf bytes.Buffer
	p := New(&buf, "cache", 0, Options{Every: 5 * time.Second, Now: clock(time.Second)})
	for range 12 {
		p.Add(3)
	}
	p.Note("pool")
	p.Done()
	got := buf.String()
	if n := strings.Count(got, "\n"); n != 3 { // at 5 s, 10 s, and Done
		t.Fatalf("%d lines:\n%s", n, got)
	}
	if !strings.Contains(got, "cache  30  3.0 it/s") || !strings.Contains(got, "cache  36  2.8 it/s  elapsed 13s") || !strings.HasSuffix(got, "pool\n") {
		t.Fatalf("unexpected output:\n%s", got)
	}
}

func TestBar(t *testing.T) {
	var buf bytes.Buffer
	p := New(&buf, "stage B", 50, Options{Mode: Bars, Unit: "steps"})
	hook := p.Steps()
	for s := 1; s <= 50; s++ {
		hook(train.StepLog{Step: s, Loss: 1 / float64(s), LR: 1e-4})
	}
	p.Done()
	got := buf.String()
	for _, want := range []string{"stage B", "50/50", "steps/s", "loss 0.0200", "100%"} {
		if !strings.Contains(got, want) {
			t.Fatalf("bar output lacks %q:\n%q", want, got)
		}
	}
	if !strings.HasSuffix(got, "\n") {
		t.Fatalf("bar line not ended: %q", got)
	}
}

func TestBarStoppedEarly(t *testing.T) {
	var buf bytes.Buffer
	p := New(&buf, "eval", 10, Options{Mode: Bars})
	p.Add(3)
	p.Done()
	if got := buf.String(); !strings.Contains(got, "3/10") || !strings.HasSuffix(got, "\n") {
		t.Fatalf("%q", got)
	}
}

func TestQuiet(t *testing.T) {
	var buf bytes.Buffer
	for _, m := range []Mode{Auto, Bars, Lines} {
		p := New(&buf, "x", 10, Options{Quiet: true, Mode: m})
		p.Add(10)
		p.Note("n")
		p.Done()
		p.Steps()(train.StepLog{Step: 3})
		Counter(&buf, "c", Options{Quiet: true, Mode: m})(5, 5)
	}
	if buf.Len() != 0 {
		t.Fatalf("quiet wrote %q", buf.String())
	}
}

func TestAutoIsLinesOffTerminal(t *testing.T) {
	var buf bytes.Buffer
	if IsTerminal(&buf) {
		t.Fatal("a buffer is not a terminal")
	}
	p := New(&buf, "x", 4, Options{})
	p.Add(4)
	p.Done()
	if got := buf.String(); strings.Contains(got, "\r") || !strings.HasPrefix(got, "x  4/4 (100%)") {
		t.Fatalf("%q", got)
	}
}

func TestCounterShards(t *testing.T) {
	var buf bytes.Buffer
	hook := Counter(&buf, "vectors", Options{Mode: Lines, Now: clock(time.Second)})
	for _, shard := range []int{64, 40} {
		for done := 32; done < shard+32; done += 32 {
			hook(min(done, shard), shard)
		}
	}
	got := buf.String()
	if !strings.Contains(got, "vectors  64/64 (100%)") || !strings.Contains(got, "vectors  40/40 (100%)") {
		t.Fatalf("%s", got)
	}
}

func TestConcurrentAdd(t *testing.T) {
	var buf bytes.Buffer
	p := New(&buf, "x", 800, Options{Mode: Bars})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				p.Add(1)
			}
		})
	}
	wg.Wait()
	p.Done()
	if !strings.Contains(buf.String(), "800/800") {
		t.Fatalf("%q", buf.String())
	}
}
