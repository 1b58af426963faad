package asm

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
)

// kKernels returns the int8 kernels of t to check: the Go twin and every
// level's that has one.
func kKernels(t QType) map[string]kdotKernel {
	ks := map[string]kdotKernel{"twin": kdotGeneric(t)}
	for _, l := range Available() {
		if f := tables[l].kdot[t]; f != nil {
			ks[l.String()] = f
		}
	}
	for name, f := range archKDots(t) {
		ks[name] = f
	}
	return ks
}

// TestQuantizeActs checks the activation quantisation: every value within
// 0.5001 of a step of its quantised value, |q| ≤ 127, the group sums, each
// type's order, zero blocks, and NaN scales for non-finite blocks.
func TestQuantizeActs(t *testing.T) {
	r := testutil.RNG(7)
	for _, qt := range allQTypes {
		bw := qt.BlockWeights()
		for _, nb := range []int{1, 2, 3, 7, 9, 13} {
			x := testutil.Normal(r, bw*nb, math.Pow(10, float64(r.IntN(9)-4)))
			if nb > 1 {
				clear(x[bw : 2*bw]) // an all-zero block
			}
			if nb > 2 {
				x[2*bw+r.IntN(bw)] = float32(math.Inf(-1))
			}
			var a qActs
			quantizeActs(qt, &a, x)
			for b := 0; b < nb; b++ {
				d := a.d[b]
				if b == 2 {
					if d == d {
						t.Fatalf("%s: block with -Inf has d = %g, want NaN", qt, d)
					}
					continue
				}
				var sums [16]int
				for p := 0; p < bw; p++ {
					g, at := 0, q4Pos(b, nb, p)
					switch qt {
					case Q6_K:
						g, at = p/16, 256*b+p
					case Q4_K:
						g, at = p/32, 256*b+32*kPos4(p/32)+p%32
					}
					q := a.q[at]
					sums[g] += int(q)
					if q < -127 || math.Abs(float64(x[bw*b+p])-float64(d)*float64(q)) > 0.5001*float64(d) {
						t.Fatalf("%s nb=%d: x[%d] = %g quantised to %d × %g", qt, nb, bw*b+p, x[bw*b+p], q, d)
					}
				}
				var got [16]int
				if bw == QBlock {
					got[0] = -int(a.negSum[b])
				} else {
					for g, v := range a.bsum[16*b : 16*b+16] {
						got[g] = int(v)
					}
				}
				if got != sums {
					t.Fatalf("%s block %d: group sums %v, want %v", qt, b, got, sums)
				}
			}
		}
	}
}

// kCase draws nb random blocks of qt (weights normal with a random scale,
// possibly subnormal halves) and an activation row of magnitude 10^e, the
// blocks followed by one poison block (a NaN scale).
func kCase(r *rand.Rand, qt QType, nb int) (x []float32, blocks []byte) {
	bb, bw := qt.BlockBytes(), qt.BlockWeights()
	w := testutil.Normal(r, (nb+1)*bw, math.Pow(10, float64(r.IntN(7)-5)))
	blocks = make([]byte, (nb+1)*bb)
	Quantize(qt, blocks, w)
	binary.LittleEndian.PutUint16(blocks[nb*bb+scaleOffset(qt):], 0x7e00)
	return testutil.Normal(r, nb*bw, math.Pow(10, float64(r.IntN(7)-3))), blocks
}

// kRef is the float64 dot of x with the dequantised blocks, and the bound
// on an int8 kernel's distance from it: each x moved by up to half its
// block's step (0.5001 d), the weights' own dequantisation roundings and the
// kernel's float roundings relative to the magnitudes of its terms (Q4_K's
// scaled nibbles and offsets apart, which may cancel).
func kRef(qt QType, x []float32, blocks []byte, a *qActs, nb int) (ref, bound float64) {
	bb, bw := qt.BlockBytes(), qt.BlockWeights()
	deq, deq0 := make([]float32, bw), make([]float32, bw)
	var sc [16]float32
	var mag, act float64
	for b := 0; b < nb; b++ {
		blk := blocks[b*bb : (b+1)*bb]
		Dequantize(qt, deq, blk)
		z := append([]byte(nil), blk...)
		if qt == Q4_K {
			z[2], z[3] = 0, 0 // dmin 0: the scaled nibbles alone
			kScales(qt, sc[:], blk)
		}
		Dequantize(qt, deq0, z)
		for p := 0; p < bw; p++ {
			xv, wv := float64(x[bw*b+p]), float64(deq[p])
			ref += xv * wv
			w := math.Abs(float64(deq0[p]))
			if qt == Q4_K {
				w += math.Abs(float64(sc[8+p/32]))
			}
			act += math.Abs(wv) * 0.5001 * float64(a.d[b])
			mag += (math.Abs(xv) + float64(a.d[b])) * w
		}
	}
	return ref, act + float64(nb+16)*0x1p-24*mag
}

// TestKDot checks the int8 kernels and their twins against the float64 dot
// with the dequantised weights on awkward block counts, and every kernel
// against the twin bit for bit, reading no weights past the row.
func TestKDot(t *testing.T) {
	r := testutil.RNG(44)
	for _, qt := range allQTypes {
		for _, nb := range []int{0, 1, 2, 3, 4, 5, 7, 8, 15, 17, 31, 33, 127, 129} {
			for rep := 0; rep < 4; rep++ {
				x, blocks := kCase(r, qt, nb)
				var a qActs
				quantizeActs(qt, &a, x)
				ref, bound := kRef(qt, x, blocks, &a, nb)
				twin := kdotGeneric(qt)(&a, blocks, nb)
				for name, f := range kKernels(qt) {
					got := f(&a, blocks, nb)
					if d := math.Abs(float64(got) - ref); !(d <= bound) {
						t.Fatalf("%s %s nb=%d: %g, want %g (bound %g)", name, qt, nb, got, ref, bound)
					}
					if math.Float32bits(got) != math.Float32bits(twin) {
						t.Fatalf("%s %s nb=%d: %g, twin %g", name, qt, nb, got, twin)
					}
				}
			}
		}
	}
}

// kdot4Kernels returns the four-row int8 kernels of t to check against
// their twin: kdot4Generic and every level's.
func kdot4Kernels(t QType) map[string]kdot4Kernel {
	ks := map[string]kdot4Kernel{"twin": kdot4Generic(t)}
	for _, l := range Available() {
		if f := tables[l].kdot4[t]; f != nil {
			ks[l.String()] = f
		}
	}
	return ks
}

// checkKDot4 runs every four-row kernel of qt on four rows of nb blocks
// ld bytes apart in buf against the single-row twin on each row, bit for
// bit (NaN matching NaN).
func checkKDot4(t *testing.T, qt QType, a *qActs, buf []byte, ld, nb int) {
	t.Helper()
	rb := nb * qt.BlockBytes()
	var want [4]float32
	for r := range want {
		want[r] = kdotGeneric(qt)(a, buf[r*ld:r*ld+rb], nb)
	}
	for name, f := range kdot4Kernels(qt) {
		got := make([]float32, 7) // rows at c[0], c[2], c[4], c[6]
		f(a, buf, ld, nb, got, 2)
		got = []float32{got[0], got[2], got[4], got[6]}
		for r := range got {
			if math.Float32bits(got[r]) != math.Float32bits(want[r]) && !(got[r] != got[r] && want[r] != want[r]) {
				t.Fatalf("%s %s nb=%d ld=%d row %d: %g, twin %g", name, qt, nb, ld, r, got[r], want[r])
			}
		}
	}
}

// TestKDot4 checks the four-row int8 kernels against the single-row twin
// on awkward block counts, rows packed and with a gap of NaN-scaled blocks
// between them (read by no kernel).
func TestKDot4(t *testing.T) {
	r := testutil.RNG(45)
	for _, qt := range allQTypes {
		bb := qt.BlockBytes()
		for _, nb := range []int{0, 1, 3, 4, 5, 7, 8, 15, 17, 33, 129} {
			for _, gap := range []int{0, 1, 3} {
				x, _ := kCase(r, qt, nb)
				var a qActs
				quantizeActs(qt, &a, x)
				ld := (nb + gap) * bb
				buf := make([]byte, 3*ld+(nb+1)*bb)
				for row := range 4 {
					_, blocks := kCase(r, qt, nb) // nb blocks and a NaN-scaled one
					copy(buf[row*ld:], blocks[:min(len(blocks), len(buf)-row*ld)])
					for g := nb + 1; g < nb+gap && row*ld+g*bb < len(buf); g++ {
						copy(buf[row*ld+g*bb:], blocks[nb*bb:])
					}
				}
				checkKDot4(t, qt, &a, buf, ld, nb)
			}
		}
	}
}

// FuzzKDot differentially fuzzes the int8 kernels on raw block bytes (any
// scales: NaN, Inf, subnormal halves) and activations of any magnitude
// against their twins, bit for bit (NaN matching NaN).
func FuzzKDot(f *testing.F) {
	f.Add(uint8(0), make([]byte, 300), int64(1), 0.0)
	f.Add(uint8(1), make([]byte, 430), int64(2), 3.0)
	f.Add(uint8(0), []byte("\xff\x7b\x00\x7c\x3f\xff\x80\x11"), int64(3), -30.0)
	f.Add(uint8(2), make([]byte, 180), int64(4), 1.0)
	f.Add(uint8(3), []byte("\x00\x7c\x11\x22\x33\x00\xfc"), int64(5), 0.0)
	f.Fuzz(func(t *testing.T, typ uint8, data []byte, seed int64, e float64) {
		qt := allQTypes[typ%4]
		bb := qt.BlockBytes()
		nb := min(len(data)/bb, 20)
		if e != e || math.Abs(e) > 40 {
			e = 0
		}
		x := testutil.Normal(testutil.RNG(uint64(seed)), nb*qt.BlockWeights(), math.Pow(10, e))
		var a qActs
		quantizeActs(qt, &a, x)
		want := kdotGeneric(qt)(&a, data, nb)
		for name, k := range kKernels(qt) {
			got := k(&a, data, nb)
			if math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
				t.Fatalf("%s %s nb=%d: %g, twin %g", name, qt, nb, got, want)
			}
		}
		// Four rows: the data and three rotations of its blocks.
		rb := nb * bb
		buf := make([]byte, 4*rb)
		for r := range 4 {
			if rb > 0 {
				off := r * bb % rb
				copy(buf[r*rb:], data[off:rb])
				copy(buf[r*rb+rb-off:], data[:off])
			}
		}
		checkKDot4(t, qt, &a, buf, rb, nb)
	})
}

// BenchmarkKDot is the decoding matvec on quantised weights (m = 1,
// 2048×8192 from DRAM through gemvCopies copies, 1 and 2 threads) on the
// active level: with its four-row int8 kernels (int8x4: four streams),
// with the one-row int8 kernels (int8), and with the int8 kernels switched
// off (float: the float block kernels; for the K types each row
// dequantised, then dotted); on one
// thread also per second of the thread's CPU time, which other processes on
// the cores do not inflate.
func BenchmarkKDot(b *testing.B) {
	const n, k = 2048, 8192
	r := testutil.RNG(1)
	x := testutil.Uniform(r, k)
	w := testutil.Normal(r, n*k, 0.05)
	c := make([]float32, n)
	for _, qt := range allQTypes {
		ws := make([]*QMatrix, gemvCopies)
		for i := range ws {
			bs := make([]byte, n*k/qt.BlockWeights()*qt.BlockBytes())
			Quantize(qt, bs, w)
			ws[i], _ = NewQMatrix(qt, n, k, bs)
		}
		for _, mode := range []string{"int8x4", "int8", "float"} {
			if mode == "int8x4" && cur.kdot4[qt] == nil {
				continue
			}
			for _, th := range []int{1, 2} {
				b.Run(fmt.Sprintf("%s/%s/t%d", qt, mode, th), func(b *testing.B) {
					defer SetThreads(th)()
					saved, saved4 := cur.kdot[qt], cur.kdot4[qt]
					defer func() { cur.kdot[qt], cur.kdot4[qt] = saved, saved4 }()
					if mode != "int8x4" {
						cur.kdot4[qt] = nil
					}
					if mode == "float" {
						cur.kdot[qt] = nil
					}
					benchGemvQ(b, x, ws, c, k, n, th)
				})
			}
		}
	}
}

// actRows returns the actRow kernels to check against the twin.
func actRows() map[string]actRowKernel {
	ks := map[string]actRowKernel{}
	for _, l := range Available() {
		ks[l.String()] = tables[l].actRow
	}
	return ks
}

// checkActRow runs every level's actRow kernel on x against the twin, bit
// for bit (q, d with NaN matching NaN, csum), for every layout.
func checkActRow(t *testing.T, x []float32, bw int) {
	t.Helper()
	n := len(x) / bw * bw
	for name, perm := range map[string]*[16]int32{"natural": &actChunks.natural, "q4k": &actChunks.q4k, "q40": &actChunks.q40} {
		if name != "natural" && n%(8*16) != 0 {
			continue // the permuted layouts fill whole 128-value groups
		}
		wq, wd, wc := make([]int8, n), make([]float32, n/bw), make([]int32, n/16)
		actRowGeneric(x[:n], bw, perm, wq, wd, wc)
		for lname, row := range actRows() {
			q, d, c := make([]int8, n), make([]float32, n/bw), make([]int32, n/16)
			row(x[:n], bw, perm, q, d, c)
			for i := range wq {
				if q[i] != wq[i] {
					t.Fatalf("%s %s bw=%d n=%d: q[%d] = %d, twin %d", lname, name, bw, n, i, q[i], wq[i])
				}
			}
			for i := range wd {
				if math.Float32bits(d[i]) != math.Float32bits(wd[i]) && !(d[i] != d[i] && wd[i] != wd[i]) {
					t.Fatalf("%s %s bw=%d n=%d: d[%d] = %g, twin %g", lname, name, bw, n, i, d[i], wd[i])
				}
			}
			for i := range wc {
				if c[i] != wc[i] {
					t.Fatalf("%s %s bw=%d n=%d: csum[%d] = %d, twin %d", lname, name, bw, n, i, c[i], wc[i])
				}
			}
		}
	}
}

// TestActRow checks the activation quantisation kernels against their twin
// on awkward block counts, magnitudes from subnormal up, exact halves
// (ties to even), zero blocks and NaN/Inf blocks.
func TestActRow(t *testing.T) {
	r := testutil.RNG(45)
	for _, bw := range []int{32, 256} {
		for _, nb := range []int{1, 3, 4, 7, 8, 15, 17, 33} {
			x := testutil.Normal(r, nb*bw, math.Pow(10, float64(r.IntN(80)-40)))
			for i := range x {
				switch r.IntN(40) {
				case 0:
					x[i] = float32(r.IntN(255)-127) + 0.5 // a tie once scaled by 1
				case 1:
					x[i] = float32(math.Float32frombits(uint32(r.IntN(1 << 23)))) // subnormal
				}
			}
			if nb > 2 {
				clear(x[bw : 2*bw])
				x[2*bw+r.IntN(bw)] = []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}[r.IntN(3)]
				x[2*bw] = 127 // scale 1: the ties stay ties
			}
			checkActRow(t, x, bw)
		}
	}
}

// FuzzActRow fuzzes the activation quantisation kernels against their twin
// on raw float32 bits.
func FuzzActRow(f *testing.F) {
	f.Add(make([]byte, 128), false)
	f.Add([]byte("\x00\x00\x80\x7f\x00\x00\xc0\x7f\x01\x00\x00\x00\x00\x00\xfe\x42"), true)
	f.Fuzz(func(t *testing.T, data []byte, big bool) {
		bw := 32
		if big {
			bw = 256
		}
		x := make([]float32, len(data)/4)
		for i := range x {
			x[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
		if len(x) < bw {
			x = append(x, make([]float32, bw-len(x))...)
		}
		checkActRow(t, x, bw)
	})
}

// BenchmarkKDotL2 is BenchmarkKDot's one-thread int8 kernels on a matrix
// that stays in L2 (64×8192): the kernels' instruction throughput, apart
// from DRAM, in GB of weights per thread CPU-second.
func BenchmarkKDotL2(b *testing.B) {
	const n, k = 64, 8192
	r := testutil.RNG(2)
	x := testutil.Uniform(r, k)
	c := make([]float32, n)
	for _, qt := range allQTypes {
		w := randomQMatrix(b, r, qt, n, k)
		b.Run(qt.String(), func(b *testing.B) {
			defer SetThreads(1)()
			b.SetBytes(w.Bytes())
			clk := startCPU()
			for i := 0; i < b.N; i++ {
				SgemmQ(1, x, k, w, c, n)
			}
			if t, ok := threadCPU(); ok && t > clk.t0 {
				b.ReportMetric(float64(w.Bytes())*float64(b.N)/(t-clk.t0).Seconds()/1e9, "GB/cpu-s")
			}
			runtime.UnlockOSThread()
		})
	}
}

// benchGemvQ times decoding matvecs x·Wᵀ over the copies ws in turn (so
// the weights stream from memory) and reports GB/s, and GB per CPU-second
// at one thread; it unlocks the OS thread startCPU locked.
func benchGemvQ(b *testing.B, x []float32, ws []*QMatrix, c []float32, k, n, th int) {
	b.SetBytes(ws[0].Bytes())
	clk := startCPU()
	for i := 0; i < b.N; i++ {
		SgemmQ(1, x, k, ws[i%gemvCopies], c, n)
	}
	bytes := float64(ws[0].Bytes()) * float64(b.N)
	b.ReportMetric(bytes/b.Elapsed().Seconds()/1e9, "GB/s")
	if t, ok := threadCPU(); ok && th == 1 && t > clk.t0 {
		b.ReportMetric(bytes/(t-clk.t0).Seconds()/1e9, "GB/cpu-s")
	}
	runtime.UnlockOSThread()
}
