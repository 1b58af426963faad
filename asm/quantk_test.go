package asm

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
)

// kTypes are the super-block formats with int8 kernels.
var kTypes = []QType{Q4_K, Q6_K}

// kKernels returns the int8 kernels of t to check: the Go twin and every
// level's that has one.
func kKernels(t QType) map[string]kdotKernel {
	ks := map[string]kdotKernel{"twin": kdotGeneric(t)}
	for _, l := range Available() {
		if f := tables[l].kdot[t]; f != nil {
			ks[l.String()] = f
		}
	}
	return ks
}

// TestQuantizeActs checks the activation quantisation: every value within
// 0.5001 of a step of its quantised value, |q| ≤ 127, the group sums, the
// Q4_K order, zero blocks, and NaN scales for non-finite blocks.
func TestQuantizeActs(t *testing.T) {
	r := testutil.RNG(7)
	for _, qt := range kTypes {
		for _, nb := range []int{1, 2, 3, 7} {
			x := testutil.Normal(r, 256*nb, math.Pow(10, float64(r.IntN(9)-4)))
			if nb > 1 {
				clear(x[256 : 256+256]) // an all-zero block
			}
			if nb > 2 {
				x[512+r.IntN(256)] = float32(math.Inf(-1))
			}
			var a kActs
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
				for p := 0; p < 256; p++ {
					g, at := p/16, p
					if qt == Q4_K {
						g, at = p/32, 32*kPos4(p/32)+p%32
					}
					q := a.q[256*b+at]
					sums[g] += int(q)
					if q < -127 || math.Abs(float64(x[256*b+p])-float64(d)*float64(q)) > 0.5001*float64(d) {
						t.Fatalf("%s nb=%d: x[%d] = %g quantised to %d × %g", qt, nb, 256*b+p, x[256*b+p], q, d)
					}
				}
				for g, s := range sums {
					if int(a.bsum[16*b+g]) != s {
						t.Fatalf("%s block %d: bsum[%d] = %d, want %d", qt, b, g, a.bsum[16*b+g], s)
					}
				}
			}
		}
	}
}

// kCase draws nb random super-blocks of qt (weights normal with a random
// scale, possibly subnormal halves) and an activation row of magnitude
// 10^e, followed by one poison super-block on both sides (NaN scales).
func kCase(r *rand.Rand, qt QType, nb int) (x []float32, blocks []byte) {
	bb := qt.BlockBytes()
	w := testutil.Normal(r, (nb+1)*256, math.Pow(10, float64(r.IntN(7)-5)))
	blocks = make([]byte, (nb+1)*bb)
	Quantize(qt, blocks, w)
	binary.LittleEndian.PutUint16(blocks[nb*bb+scaleOffset(qt):], 0x7e00)
	x = append(testutil.Normal(r, nb*256, math.Pow(10, float64(r.IntN(7)-3))), make([]float32, 256)...)
	for i := nb * 256; i < len(x); i++ {
		x[i] = float32(math.NaN())
	}
	return x, blocks
}

// kRef is the float64 dot of x with the dequantised blocks, and the bound
// on an int8 kernel's distance from it: each x moved by up to half its
// block's step (0.5001 d), the weights' own dequantisation roundings and the
// kernel's float roundings relative to the magnitudes of its terms (Q4_K's
// scaled nibbles and offsets apart, which may cancel).
func kRef(qt QType, x []float32, blocks []byte, a *kActs, nb int) (ref, bound float64) {
	bb := qt.BlockBytes()
	deq, deq0 := make([]float32, 256), make([]float32, 256)
	var sc [16]float32
	var mag, act float64
	for b := 0; b < nb; b++ {
		blk := blocks[b*bb : (b+1)*bb]
		Dequantize(qt, deq, blk)
		z := append([]byte(nil), blk...)
		if qt == Q4_K {
			z[2], z[3] = 0, 0 // dmin 0: the scaled nibbles alone
		}
		Dequantize(qt, deq0, z)
		kScales(qt, sc[:], blk)
		for p := 0; p < 256; p++ {
			xv, wv := float64(x[256*b+p]), float64(deq[p])
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

// TestKDot checks the int8 K kernels and their twin against the float64
// dot with the dequantised weights on awkward super-block counts, and every
// kernel against the twin bit for bit, reading nothing past the row.
func TestKDot(t *testing.T) {
	r := testutil.RNG(44)
	for _, qt := range kTypes {
		for _, nb := range []int{0, 1, 2, 3, 7, 8, 15, 17, 31, 33} {
			for rep := 0; rep < 4; rep++ {
				x, blocks := kCase(r, qt, nb)
				var a kActs
				quantizeActs(qt, &a, x[:256*(nb+1)])
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

// FuzzKDot differentially fuzzes the int8 K kernels on raw super-block
// bytes (any scales: NaN, Inf, subnormal halves) and activations of any
// magnitude against their twin, bit for bit (NaN matching NaN).
func FuzzKDot(f *testing.F) {
	f.Add(uint8(0), make([]byte, 300), int64(1), 0.0)
	f.Add(uint8(1), make([]byte, 430), int64(2), 3.0)
	f.Add(uint8(0), []byte("\xff\x7b\x00\x7c\x3f\xff\x80\x11"), int64(3), -30.0)
	f.Fuzz(func(t *testing.T, typ uint8, data []byte, seed int64, e float64) {
		qt := kTypes[typ%2]
		bb := qt.BlockBytes()
		nb := min(len(data)/bb, 20)
		if e != e || math.Abs(e) > 40 {
			e = 0
		}
		x := testutil.Normal(testutil.RNG(uint64(seed)), nb*256, math.Pow(10, e))
		var a kActs
		quantizeActs(qt, &a, x)
		want := kdotGeneric(qt)(&a, data, nb)
		for name, k := range kKernels(qt) {
			got := k(&a, data, nb)
			if math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
				t.Fatalf("%s %s nb=%d: %g, twin %g", name, qt, nb, got, want)
			}
		}
	})
}

// BenchmarkKDot is the decoding matvec on Q4_K and Q6_K weights (m = 1,
// 2048×8192 from DRAM through gemvCopies copies, 1 and 2 threads) on the
// active level and with its int8 kernels switched off (the former path:
// each row dequantised, then dotted).
func BenchmarkKDot(b *testing.B) {
	const n, k = 2048, 8192
	r := testutil.RNG(1)
	x := testutil.Uniform(r, k)
	w := testutil.Normal(r, n*k, 0.05)
	c := make([]float32, n)
	for _, qt := range kTypes {
		ws := make([]*QMatrix, gemvCopies)
		for i := range ws {
			bs := make([]byte, n*k/256*qt.BlockBytes())
			Quantize(qt, bs, w)
			ws[i], _ = NewQMatrix(qt, n, k, bs)
		}
		for _, int8 := range []bool{true, false} {
			for _, th := range []int{1, 2} {
				b.Run(fmt.Sprintf("%s/int8=%v/t%d", qt, int8, th), func(b *testing.B) {
					defer SetThreads(th)()
					if !int8 {
						saved := cur.kdot[qt]
						cur.kdot[qt] = nil
						defer func() { cur.kdot[qt] = saved }()
					}
					b.SetBytes(ws[0].Bytes())
					for i := 0; i < b.N; i++ {
						SgemmQ(1, x, k, ws[i%gemvCopies], c, n)
					}
					b.ReportMetric(float64(ws[0].Bytes())*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
				})
			}
		}
	}
}
