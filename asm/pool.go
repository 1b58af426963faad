package asm

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The worker pool: persistent goroutines that run parts of one large kernel
// call. A part is offered to an idle worker with a non-blocking send; when no
// worker is idle (another goroutine's GEMM is using them, or the call is
// itself running on a worker) the caller runs the part itself. So concurrent
// callers never deadlock and never oversubscribe the cores.

var (
	poolOnce sync.Once
	poolCh   chan func()
	threads  atomic.Int32 // 0 = GOMAXPROCS
)

func startPool() {
	n := runtime.GOMAXPROCS(0)
	poolCh = make(chan func())
	for i := 0; i < n; i++ { // one spare: the caller may be blocked elsewhere
		go func() {
			for f := range poolCh {
				f()
			}
		}()
	}
}

// Threads returns how many threads a large kernel call may use.
func Threads() int {
	if t := int(threads.Load()); t > 0 {
		return t
	}
	return runtime.GOMAXPROCS(0)
}

// SetThreads caps the threads a kernel call may use (n ≤ 0 restores the
// default, GOMAXPROCS) and returns a function restoring the previous cap.
func SetThreads(n int) (restore func()) {
	prev := threads.Swap(int32(max(n, 0)))
	return func() { threads.Store(prev) }
}

// parallel runs f(0), …, f(n-1), spreading them over idle pool workers and
// the calling goroutine, and returns when all are done.
func parallel(n int, f func(i int)) {
	if n <= 1 {
		if n == 1 {
			f(0)
		}
		return
	}
	poolOnce.Do(startPool)
	var wg sync.WaitGroup
	for i := 1; i < n; i++ {
		wg.Add(1)
		task := func() { defer wg.Done(); f(i) }
		select {
		case poolCh <- task:
		default:
			task()
		}
	}
	f(0)
	wg.Wait()
}

// parallelFor runs f(0), …, f(n-1) on the calling goroutine and up to
// parts-1 pool workers (as parallel starts them), each taking the next index
// from a shared counter until none is left, and returns when all are done.
// A worker that starts late (woken on another core, or descheduled) takes
// fewer indices, so the parts finish together where fixed shares would
// leave the caller waiting; f must not depend on which goroutine runs i.
func parallelFor(parts, n int, f func(i int)) {
	var next atomic.Int64
	parallel(min(parts, n), func(int) {
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			f(i)
		}
	})
}

// parallelChunks runs f(0), …, f(n-1) on the calling goroutine and up to
// parts-1 pool workers, each taking the next index from a shared counter,
// and returns when all n are done. Unlike parallel, a worker that has not
// started by the time the caller has taken the last index is not waited for
// (it finds none left): on a loaded machine, where a woken worker may wait
// milliseconds for a core, the caller does the work instead of idling at a
// barrier, and waits at most for the chunks already running. A decoding
// step's matvecs split this way, n a few chunks per thread.
//
// Both sides poll briefly instead of parking at once, as llama.cpp's threads
// do between a graph's nodes: a parked goroutine is woken through another
// core's scheduler, tens of microseconds on a virtual machine whose idle CPU
// has halted, against a matvec of 20–50 µs. A worker that ran chunks polls
// for the next call for up to chunkPoll before it parks (pollChunks); the
// caller polls for the chunks still running elsewhere for at most as long as
// it worked itself (so at most doubling its CPU time when the other thread
// has lost its core) and chunkPoll, then parks.
func parallelChunks(parts, n int, f func(i int)) {
	if parts <= 1 || n <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	poolOnce.Do(startPool)
	st := &chunks{n: n, f: f} // on the heap: a late worker may still read it
	st.wg.Add(n)
	hotChunks.Store(st)
	for range min(parts, n) - 1 - int(chunkPollers.Load()) {
		select {
		case poolCh <- func() { pollChunks(st) }:
		default:
		}
	}
	t0 := time.Now()
	st.work()
	if st.done.Load() < int64(n) {
		t1 := time.Now()
		limit := min(t1.Sub(t0), time.Duration(chunkPoll.Load()))
		for i := 1; st.done.Load() < int64(n); i++ {
			if i%64 == 0 && time.Since(t1) > limit {
				break
			}
		}
	}
	st.wg.Wait()
	hotChunks.CompareAndSwap(st, nil)
}

// chunks is a parallelChunks call's shared state.
type chunks struct {
	next atomic.Int64 // the next index to run
	done atomic.Int64 // indices finished, for the caller's polling
	n    int
	f    func(int)
	wg   sync.WaitGroup // one count per chunk, not per worker
}

var (
	// hotChunks is the latest parallelChunks call (nil once it is done)
	// and chunkPollers the number of workers polling for the next.
	hotChunks    atomic.Pointer[chunks]
	chunkPollers atomic.Int32
	// chunkPoll is how long a worker polls, in nanoseconds: 100 µs, about
	// a decoding step's longest gap between matvecs (its attention at a few
	// hundred positions). Atomic so that benchmarks and tests can set it.
	chunkPoll atomic.Int64
)

func init() { chunkPoll.Store(int64(100 * time.Microsecond)) }

// pollChunks runs st's chunks, then those of every parallelChunks call that
// starts within chunkPoll of the last one it ran, and returns (the worker
// parks) after chunkPoll without one. It counts as a poller from the start,
// so that no call, from st's caller or a concurrent one, wakes a second
// worker while it still runs chunks: two workers polling on two cores
// would keep the caller waiting for one.
func pollChunks(st *chunks) {
	chunkPollers.Add(1)
	defer chunkPollers.Add(-1)
	st.work()
	last, t0 := st, time.Now()
	for i := 1; ; i++ {
		if s := hotChunks.Load(); s != nil && s != last {
			s.work()
			last, t0 = s, time.Now()
			continue
		}
		if i%64 == 0 && time.Since(t0) > time.Duration(chunkPoll.Load()) {
			return
		}
	}
}

// work runs chunks until none are left.
func (s *chunks) work() {
	for {
		i := int(s.next.Add(1) - 1)
		if i >= s.n {
			return
		}
		s.f(i)
		s.done.Add(1)
		s.wg.Done()
	}
}
