//go:build !purego

package asm

import (
	"fmt"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/llink-go/llink/internal/testutil"
)

// BenchmarkMatvecStreams compares, on one locked thread and from DRAM, how
// the bf16 dot-product matvec kernel (four rows per call) is fed: four
// adjacent rows per call, prefetching the next call's rows (the layout
// before issue 19's fourth round), against four rows a quarter of the
// matrix apart (bf16mvDotAVX512Go's streams) with in-row prefetch distances
// of 0 to 8 KiB, and the read-bandwidth probe's one- and four-stream
// readers on the same bytes. Every variant runs once per iteration, in
// turn, each on a different copy of the matrix (so none finds it in
// cache); each reports GB of weights per thread CPU-second.
func BenchmarkMatvecStreams(b *testing.B) {
	if kr, ok := tables[AVX512BF16]; !ok || kr.bf16dot == nil {
		b.Skip("no avx512bf16 on this CPU")
	}
	const n, k, copies = 8192, 2048, 10 // 32 MB each, the 1B shape's gate/up
	r := testutil.RNG(1)
	x := make([]uint16, k)
	F32ToBF16Slice(x, testutil.Uniform(r, k))
	ws := make([][]uint16, copies)
	for i := range ws {
		ws[i] = make([]uint16, n*k)
		F32ToBF16Slice(ws[i], testutil.Uniform(r, n*k))
	}
	c := make([]float32, n)
	adjacent := func(w []uint16) {
		for j := 0; j < n; j += 4 {
			bf16dot4AVX512(&x[0], &w[j*k], k, k, &c[j], 8*k)
		}
	}
	quarters := func(pf int) func(w []uint16) {
		return func(w []uint16) {
			var out [4]float32
			q := n / 4
			for j := 0; j < q; j++ {
				bf16dot4AVX512(&x[0], &w[j*k], q*k, k, &out[0], pf)
				c[j], c[j+q], c[j+2*q], c[j+3*q] = out[0], out[1], out[2], out[3]
			}
		}
	}
	vs := []struct {
		name string
		run  func(w []uint16)
	}{
		{"probe-4streams+pf1k", func(w []uint16) { read4AVX2(unsafe.Pointer(&w[0]), 2*len(w), 1024) }},
		{"probe-1stream+pf4k", func(w []uint16) { readAVX2(unsafe.Pointer(&w[0]), 2*len(w), 4096) }},
		{"adjacent", adjacent},
	}
	for _, pf := range []int{0, 1, 2, 4, 8} {
		vs = append(vs, struct {
			name string
			run  func(w []uint16)
		}{fmt.Sprintf("quarters+pf%dk", pf), quarters(pf << 10)})
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	spent := make([]time.Duration, len(vs))
	b.ResetTimer()
	for i, it := 0, 0; i < b.N; i++ {
		for j, v := range vs {
			t0, ok := threadCPU()
			w0 := time.Now()
			v.run(ws[it%copies])
			t1, _ := threadCPU()
			if !ok {
				t0, t1 = 0, time.Since(w0)
			}
			spent[j] += t1 - t0
			it++
		}
	}
	for j, v := range vs {
		b.ReportMetric(float64(2*n*k)*float64(b.N)/spent[j].Seconds()/1e9, v.name+"-GB/cpu-s")
	}
}
