//go:build !purego

package asm

import (
	"bytes"
	"fmt"
	"testing"
	"time"
	"unsafe"

	"github.com/llink-go/llink/internal/testutil"
)

// decodePhases are a Llama-3.2-1B block's decoding products in the order a
// token runs them: q, k, v on one activation vector, o, gate and up on
// one, down (rows × columns of each weight).
var decodePhases = []struct {
	name  string
	shape [][2]int
}{
	{"qkv", [][2]int{{2048, 2048}, {512, 2048}, {512, 2048}}},
	{"o", [][2]int{{2048, 2048}}},
	{"gateup", [][2]int{{8192, 2048}, {8192, 2048}}},
	{"down", [][2]int{{2048, 8192}}},
}

// BenchmarkDecodeLayers runs the 1B block's decoding products (m = 1) over
// enough copies of the block's weights that none comes from cache, as a
// token's layers run them, through [Products], on 1 and 2 threads: Q8_0
// packed ("q8_0") and as stored ("q8_0s", the one-row int8 kernel), Q4_K
// and Q6_K packed, bf16.
// Beside each product set ("mv") the same bytes are read by the read
// probe's four-stream reader (1 KiB prefetch) through the same split
// ("probe"), so that each phase's GB/s can be read against what the
// fastest reader gets from the same matrices with the same hand-offs. The
// variants alternate per pass over the layers; each reports wall GB/s per
// phase and for the whole pass.
func BenchmarkDecodeLayers(b *testing.B) {
	for _, typ := range []string{"q8_0", "q8_0s", "q4_k", "q6_k", "bf16"} {
		b.Run(typ, func(b *testing.B) { decodeLayers(b, decodeLayersFor(b, typ)) })
	}
}

// decodeLayers is BenchmarkDecodeLayers on one type's layers.
func decodeLayers(b *testing.B, layers [][][]Product) {
	for _, th := range []int{1, 2} {
		b.Run(fmt.Sprintf("t%d", th), func(b *testing.B) {
			defer SetThreads(th)()
			vs := []string{"mv", "probe"}
			spent := make([][]time.Duration, len(vs))
			for i := range spent {
				spent[i] = make([]time.Duration, len(decodePhases))
			}
			x := testutil.Uniform(testutil.RNG(5), 8192)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for vi, v := range vs {
					for _, l := range layers {
						for pi, ps := range l {
							t0 := time.Now()
							if v == "probe" {
								probeProducts(th, ps)
							} else {
								k := decodePhases[pi].shape[0][1]
								Products(1, x[:k], k, k, ps)
							}
							spent[vi][pi] += time.Since(t0)
						}
					}
				}
			}
			for vi, v := range vs {
				var all time.Duration
				var allBytes float64
				for pi, p := range decodePhases {
					by := float64(len(layers)) * float64(b.N) * phaseBytes(layers[0][pi])
					b.ReportMetric(by/spent[vi][pi].Seconds()/1e9, v+"-"+p.name+"-GB/s")
					all += spent[vi][pi]
					allBytes += by
				}
				b.ReportMetric(allBytes/all.Seconds()/1e9, v+"-all-GB/s")
			}
		})
	}
}

// decodeLayersFor builds ~360 MB of the 1B block's weights of type typ
// ("q8_0", packed; "q8_0s", as stored; "q4_k" or "q6_k", packed; or "bf16"): per
// layer, per phase, the products with their outputs.
func decodeLayersFor(b *testing.B, typ string) [][][]Product {
	r := testutil.RNG(4)
	// One layer's matrices quantised (or rounded) once; the other layers
	// are byte copies: the same values from different memory.
	var proto [][]Product
	layerBytes := 0.0
	for _, p := range decodePhases {
		var ps []Product
		for _, s := range p.shape {
			n, k := s[0], s[1]
			pr := Product{Rows: n, C: make([]float32, n), LDC: n}
			if typ == "bf16" {
				pr.BF16 = make([]uint16, n*k)
				F32ToBF16Slice(pr.BF16, testutil.Normal(r, n*k, 0.05))
			} else {
				qt := Q8_0
				switch typ {
				case "q4_k":
					qt = Q4_K
				case "q6_k":
					qt = Q6_K
				}
				w := randomQMatrix(b, r, qt, n, k)
				if typ != "q8_0s" && !w.Repack() {
					b.Skip("no packed kernel on " + cur.level.String())
				}
				pr.Q = w
			}
			ps = append(ps, pr)
		}
		proto = append(proto, ps)
		layerBytes += phaseBytes(ps)
	}
	n := max(1, int(360e6/layerBytes))
	layers := [][][]Product{proto}
	for range n - 1 {
		var l [][]Product
		for _, ps := range proto {
			var cs []Product
			for _, p := range ps {
				c := p
				c.C = make([]float32, len(p.C))
				if p.BF16 != nil {
					c.BF16 = append([]uint16(nil), p.BF16...)
				} else {
					q := *p.Q
					q.Blocks = bytes.Clone(p.Q.Blocks)
					c.Q = &q
				}
				cs = append(cs, c)
			}
			l = append(l, cs)
		}
		layers = append(layers, l)
	}
	return layers
}

// phaseBytes is the weight bytes of a product set.
func phaseBytes(ps []Product) float64 {
	s := 0.0
	for _, p := range ps {
		s += float64(len(productBytes(p)))
	}
	return s
}

// productBytes returns p's weights as bytes.
func productBytes(p Product) []byte {
	switch {
	case p.Q != nil:
		return p.Q.Blocks
	case p.BF16 != nil:
		return unsafe.Slice((*byte)(unsafe.Pointer(&p.BF16[0])), 2*len(p.BF16))
	default:
		return unsafe.Slice((*byte)(unsafe.Pointer(&p.F32[0])), 4*len(p.F32))
	}
}

// probeProducts reads ps's weights with the four-stream reader, split over
// th threads as Products splits them (one job per product, units of 4 KiB).
func probeProducts(th int, ps []Product) {
	var jobs []mvJob
	for _, p := range ps {
		w := productBytes(p)
		units := len(w) / 4096
		jobs = append(jobs, mvJob{units: units, maxChunks: units, bytes: len(w), run: func(u0, u1 int) {
			if u1 > u0 {
				read4AVX2(unsafe.Pointer(&w[u0*4096]), (u1-u0)*4096, 1024)
			}
		}})
	}
	runMatvecs(th, jobs)
}
