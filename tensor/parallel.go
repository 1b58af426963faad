package tensor

import (
	"sync"
	"sync/atomic"

	"github.com/llink-go/llink/asm"
)

// Parallel runs f(0), …, f(n-1) on up to [asm.Threads] goroutines (the
// caller's included), handing out indices from an atomic counter so uneven
// items balance, and returns when all are done. f must be safe to run
// concurrently for distinct i.
func Parallel(n int, f func(i int)) {
	t := min(asm.Threads(), n)
	if t <= 1 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	var next atomic.Int64
	work := func() {
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			f(i)
		}
	}
	var wg sync.WaitGroup
	for w := 1; w < t; w++ {
		wg.Add(1)
		go func() { defer wg.Done(); work() }()
	}
	work()
	wg.Wait()
}
