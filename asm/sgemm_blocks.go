package asm

// balanced returns the blocking with MC, NC and KC evened out over the
// problem: the same number of blocks, of near-equal size (MC and NC rounded
// up to whole tiles, KC to a multiple of 4, never above the cache-derived
// size). A small last block costs a full pass over the other operand for
// little work: with NC = 512, n = 1040 would run its last 16 columns as a
// third B block that streams every A micro-panel from L3 again for one
// half-empty micro-kernel call each, and k = 1030 would add a pass over C
// for six steps of k.
func (bl blocking) balanced(m, n, k, mr, nr int) blocking {
	even := func(size, total, unit int) int {
		if total <= size {
			return size
		}
		e := ceilDiv(ceilDiv(total, ceilDiv(total, size)), unit) * unit
		return min(e, size)
	}
	return blocking{mc: even(bl.mc, m, mr), nc: even(bl.nc, n, nr), kc: even(bl.kc, k, 4)}
}
