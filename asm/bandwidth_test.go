package asm

import (
	"fmt"
	"testing"
	"unsafe"

	"github.com/llink-go/llink/internal/testutil"
)

// TestBandwidthReaders checks every reader against a float64-free reference
// (a plain XOR over the words) on buffers of awkward chunk counts, with a
// single word changed at the start, middle and end of the buffer so a reader
// that skips any part of it fails.
func TestBandwidthReaders(t *testing.T) {
	r := testutil.RNG(7)
	for _, chunks := range []int{1, 3, 7, 15, 17, 33, 129} {
		n := chunks * bwChunk
		buf := make([]uint64, n/8)
		for i := range buf {
			buf[i] = r.Uint64()
		}
		p := unsafe.Pointer(&buf[0])
		for _, pos := range []int{0, len(buf) / 2, len(buf) - 1} {
			buf[pos] ^= 1 << (pos % 64)
			var want uint64
			for _, w := range buf {
				want ^= w
			}
			if got := xorWordsGeneric(p, n); got != want {
				t.Fatalf("go twin, %d bytes: %#x, want %#x", n, got, want)
			}
			for _, rd := range bwReaders() {
				if got := rd.read(p, n); got != want {
					t.Errorf("%s, %d bytes, word %d flipped: %#x, want %#x", rd.name, n, pos, got, want)
				}
			}
		}
	}
}

// TestMeasureReadBandwidth checks the result's bookkeeping (not its speed).
func TestMeasureReadBandwidth(t *testing.T) {
	for _, th := range []int{1, 2} {
		b := MeasureReadBandwidth(1<<20, th, 1)
		if b.GBps <= 0 || b.Reader == "" || b.Threads != th {
			t.Errorf("threads %d: %+v", th, b)
		}
	}
}

// BenchmarkReadBandwidth streams 256 MiB with each reader on 1 and 2
// threads (each thread its own half): GB/s read. The fastest line is the
// machine's read bandwidth, the ceiling of a decoding step; compare decode
// GB/s (BenchmarkGemv*, models/llama's DecodeStep, llink bench) with it.
func BenchmarkReadBandwidth(b *testing.B) {
	const size = 256 << 20
	buf := make([]uint64, size/8)
	for i := range buf {
		buf[i] = uint64(i) * 0x9e3779b97f4a7c15
	}
	p := unsafe.Pointer(&buf[0])
	for _, th := range []int{1, 2} {
		for _, rd := range bwReaders() {
			b.Run(fmt.Sprintf("%s/t%d", rd.name, th), func(b *testing.B) {
				b.SetBytes(size)
				var sec float64
				for i := 0; i < b.N; i++ {
					sec += readPass(rd, p, size/th, th)
				}
				b.ReportMetric(float64(size)*float64(b.N)/sec/1e9, "GB/s")
			})
		}
	}
}
