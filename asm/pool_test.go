package asm

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestParallelChunks checks that every index runs exactly once, from several
// callers at a time (so that a polling worker picks up other callers' calls),
// with the workers polling between calls and parking at once.
func TestParallelChunks(t *testing.T) {
	for _, poll := range []time.Duration{0, 100 * time.Microsecond, 5 * time.Millisecond} {
		for _, parts := range []int{1, 2, 3, 8} {
			for _, n := range []int{0, 1, 2, 3, 7, 64, 257} {
				t.Run(fmt.Sprintf("poll%v/parts%d/n%d", poll, parts, n), func(t *testing.T) {
					saved := chunkPoll.Swap(int64(poll))
					defer chunkPoll.Store(saved)
					const callers, calls = 4, 20
					var wg sync.WaitGroup
					errs := make(chan string, callers)
					for c := range callers {
						wg.Add(1)
						go func() {
							defer wg.Done()
							for call := range calls {
								counts := make([]atomic.Int32, n)
								parallelChunks(parts, n, func(i int) { counts[i].Add(1) })
								for i := range counts {
									if got := counts[i].Load(); got != 1 {
										errs <- fmt.Sprintf("caller %d call %d: index %d ran %d times", c, call, i, got)
										return
									}
								}
							}
						}()
					}
					wg.Wait()
					close(errs)
					for e := range errs {
						t.Error(e)
					}
				})
			}
		}
	}
}

// TestParallelChunksPollersPark checks that a worker that ran chunks polls
// for the next call and stops polling once none has come for chunkPoll: an
// idle process burns no CPU. The waits are long (a minute of polling, 30 s
// deadlines) so that a test process starved by other work on the machine
// does not fail them; a passing run returns as soon as each condition holds.
func TestParallelChunksPollersPark(t *testing.T) {
	saved := chunkPoll.Swap(int64(time.Minute))
	defer chunkPoll.Store(saved)
	// Index 0 waits a while for index 1 to run elsewhere: then a pool
	// worker ran one of them and polls. A worker that has not yet reached
	// the pool's channel (the pool starts on first use) misses the offer and
	// the caller runs both, so the call is repeated until one takes it.
	took := false
	for try := 0; try < 300 && !took; try++ {
		started := make(chan struct{})
		parallelChunks(2, 2, func(i int) {
			if i == 1 {
				close(started)
				return
			}
			select {
			case <-started:
				took = true // read after parallelChunks has waited for this chunk
			case <-time.After(100 * time.Millisecond):
			}
		})
	}
	if !took {
		t.Fatal("no pool worker ran a chunk in 300 calls")
	}
	waitPollers := func(cond func(int32) bool, what string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond(chunkPollers.Load()) {
			if time.Now().After(deadline) {
				t.Fatalf("%d workers polling 30 s after the call, want %s", chunkPollers.Load(), what)
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitPollers(func(p int32) bool { return p >= 1 }, "at least 1 (chunkPoll 1 min)")
	chunkPoll.Store(int64(time.Millisecond))
	waitPollers(func(p int32) bool { return p == 0 }, "0 (chunkPoll 1 ms)")
}
