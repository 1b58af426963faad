package tensor

import (
	"sync"
	"sync/atomic"

	"github.com/llink-go/llink/asm"
)

// Parallel runs f(0), …, f(n-1) on up to [asm.Threads] goroutines (the
// caller's included), handing out indices from an atomic counter so uneven
// items balance, and returns when all are done. It waits for the indices,
// not the goroutines: one that starts after the caller has taken the last
// index (on a loaded machine a new goroutine may wait milliseconds for a
// core) finds none left and returns. f must be safe to run concurrently for
// distinct i.
func Parallel(n int, f func(i int)) {
	t := min(asm.Threads(), n)
	if t <= 1 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	wg.Add(n)
	work := func() {
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			f(i)
			wg.Done()
		}
	}
	for range t - 1 {
		go work()
	}
	work()
	wg.Wait()
}
