package asm

import (
	"testing"

	"github.com/llink-go/llink/internal/testutil"
)

// TestBalancedBlocks checks the evened-out blocking keeps the number of
// blocks, stays within the cache-derived sizes and whole tiles, and leaves
// no block much smaller than the others.
func TestBalancedBlocks(t *testing.T) {
	r := testutil.RNG(13)
	for i := 0; i < 5000; i++ {
		mr, nr := 1+r.IntN(16), 1+r.IntN(32)
		bl := blocking{mc: mr * (1 + r.IntN(50)), nc: nr * (1 + r.IntN(100)), kc: 1 + r.IntN(400)}
		m, n, k := 1+r.IntN(5000), 1+r.IntN(5000), 1+r.IntN(5000)
		got := bl.balanced(m, n, k, mr, nr)
		for _, d := range []struct {
			name              string
			size, total, unit int
			even              int
		}{{"mc", bl.mc, m, mr, got.mc}, {"nc", bl.nc, n, nr, got.nc}, {"kc", bl.kc, k, 4, got.kc}} {
			switch {
			case d.even > d.size || d.even < 1:
				t.Fatalf("%s: %d outside 1..%d (total %d)", d.name, d.even, d.size, d.total)
			case ceilDiv(d.total, d.even) != ceilDiv(d.total, d.size):
				t.Fatalf("%s: %d blocks of %d, want %d blocks (size %d, total %d)", d.name,
					ceilDiv(d.total, d.even), d.even, ceilDiv(d.total, d.size), d.size, d.total)
			case d.even != d.size && d.even%d.unit != 0:
				t.Fatalf("%s: %d not a multiple of %d", d.name, d.even, d.unit)
			}
			if nb := ceilDiv(d.total, d.even); nb > 1 {
				if last := d.total - (nb-1)*d.even; last < d.even-nb*d.unit {
					t.Fatalf("%s: last block %d of %d-sized blocks (total %d, unit %d)", d.name, last, d.even, d.total, d.unit)
				}
			}
		}
	}
}
