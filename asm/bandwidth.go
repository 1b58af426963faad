package asm

import (
	"fmt"
	"sync"
	"time"
	"unsafe"
)

// The read-bandwidth probe: how fast this machine streams memory into the
// cores, the ceiling of a decoding step (which reads every weight once per
// token). Several readers are tried — one sequential stream, four
// interleaved streams, software prefetch ahead of the loads, non-temporal
// loads — because which one a CPU's prefetchers like best varies; the
// fastest is the machine's read bandwidth.

// bwReader reads n bytes at p (n a multiple of bwChunk) and returns the XOR
// of its 64-bit words, so the loads cannot be optimised away and a test can
// check that every byte was read.
type bwReader struct {
	name string
	read func(p unsafe.Pointer, n int) uint64
}

// bwChunk is the granularity of the readers: 4 streams × 64-byte lines.
const bwChunk = 256

// xorWordsGeneric is the readers' pure-Go twin: the XOR of the 64-bit words
// of the n bytes at p.
func xorWordsGeneric(p unsafe.Pointer, n int) uint64 {
	w := unsafe.Slice((*uint64)(p), n/8)
	var a0, a1, a2, a3 uint64
	i := 0
	for ; i+4 <= len(w); i += 4 {
		a0 ^= w[i]
		a1 ^= w[i+1]
		a2 ^= w[i+2]
		a3 ^= w[i+3]
	}
	for ; i < len(w); i++ {
		a0 ^= w[i]
	}
	return a0 ^ a1 ^ a2 ^ a3
}

// bwReaders returns the readers of this build: the architecture's assembly
// ones, or the Go twin alone.
func bwReaders() []bwReader {
	if r := bwReadersArch(); len(r) > 0 {
		return r
	}
	return []bwReader{{"go", xorWordsGeneric}}
}

// Bandwidth is a measured read bandwidth.
type Bandwidth struct {
	GBps    float64 // bytes read per second / 1e9
	Reader  string  // the fastest reader (e.g. "avx2/4streams+pf")
	Threads int
}

func (b Bandwidth) String() string {
	return fmt.Sprintf("%.1f GB/s (%d thread(s), %s)", b.GBps, b.Threads, b.Reader)
}

// MeasureReadBandwidth reads a buffer of size bytes (rounded down to a
// multiple of 256 × threads; use ≥ 256 MiB so no cache holds it) rounds
// times with every reader on threads goroutines (each its own contiguous
// part of the buffer, all at once) and returns the fastest pass. It
// allocates the buffer for the call only.
func MeasureReadBandwidth(size, threads, rounds int) Bandwidth {
	threads = max(threads, 1)
	part := size / threads / bwChunk * bwChunk
	if part == 0 {
		panic(fmt.Sprintf("asm.MeasureReadBandwidth: size %d too small for %d threads", size, threads))
	}
	buf := make([]uint64, part*threads/8)
	AdviseHugePages(buf) // as the model's weights are
	for i := range buf { // touch every page, with data that is not all zero
		buf[i] = uint64(i) * 0x9e3779b97f4a7c15
	}
	best := Bandwidth{Threads: threads}
	for range max(rounds, 1) {
		for _, r := range bwReaders() {
			sec := readPass(r, unsafe.Pointer(&buf[0]), part, threads)
			if gb := float64(part*threads) / sec / 1e9; gb > best.GBps {
				best.GBps, best.Reader = gb, r.name
			}
		}
	}
	return best
}

// readPass reads threads consecutive parts of part bytes from p with r, one
// goroutine each, and returns the wall time in seconds.
func readPass(r bwReader, p unsafe.Pointer, part, threads int) float64 {
	var wg sync.WaitGroup
	var sink [64]uint64 // one slot per goroutine, 8 words apart (no false sharing)
	t0 := time.Now()
	for t := range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sink[(t*8)%len(sink)] = r.read(unsafe.Add(p, t*part), part)
		}()
	}
	wg.Wait()
	return time.Since(t0).Seconds()
}
