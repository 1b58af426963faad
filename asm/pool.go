package asm

import (
	"runtime"
	"sync"
	"sync/atomic"
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
