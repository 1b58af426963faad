package llama

import (
	"fmt"
	"sync"
)

// Cache holds the rotated keys and the values of every layer for the tokens
// a batch has seen so far, for incremental decoding. It grows as needed.
type Cache struct {
	// B is the number of rows.
	B int

	m     *Model
	cap   int         // positions allocated per row
	len   int         // positions filled (padding included)
	k, v  [][]float32 // per layer: [B, kv heads, hd, cap] (each head transposed)
	valid []bool      // [B, cap]: the position holds a real token
	seen  []int       // per row: real tokens seen (the next position id)
	buf   []float32   // a decoding step's activation buffers (see scratch)
	temp  bool        // pooled by the model for forwards without a cache
}

// scratchTokens is the most tokens (rows·T) a forward pass reuses the
// cache's activation buffers for: decoding steps do, prompts allocate their
// own (so a long prompt's buffers are not kept alive for the whole
// generation).
const scratchTokens = 16

// scratch returns n floats of activation buffer for a forward pass over
// tokens positions: the cache's own, grown as needed, for decoding-sized
// passes; a fresh slice otherwise. Its contents are arbitrary.
func (c *Cache) scratch(tokens, n int) []float32 {
	if tokens > scratchTokens && !c.temp {
		return make([]float32, n)
	}
	if cap(c.buf) < n {
		c.buf = make([]float32, n)
	}
	return c.buf[:n]
}

// tempCache returns a cache for a forward pass given none: a pooled one,
// emptied, when one fits (a temporary cache also keeps its activation
// buffers at any size), so that repeated full forwards — a benchmark, an
// evaluation loop — do not allocate and fault in tens of MB of key, value
// and activation buffers each time. Return it to tempCaches.
func (m *Model) tempCache(batch, capacity int) *Cache {
	if c, ok := tempCaches.Get().(*Cache); ok && c.m == m && c.B == batch && c.cap >= capacity {
		c.Truncate(0)
		return c
	}
	c := &Cache{B: batch, m: m, seen: make([]int, batch), temp: true}
	c.grow(max(capacity, 1)) // without key and value buffers until a pass needs them (ensureKV)
	return c
}

// tempCaches pools the temporary caches of all models (see tempCache).
var tempCaches sync.Pool

// NewCache returns an empty cache for batch rows with room for capacity
// positions (it grows beyond that when needed).
func (m *Model) NewCache(batch, capacity int) *Cache {
	c := &Cache{B: batch, m: m, seen: make([]int, batch)}
	c.grow(max(capacity, 1))
	return c
}

// Len returns the number of positions (padding included) the cache holds.
func (c *Cache) Len() int { return c.len }

// Seen returns the number of real tokens row b has seen: the position id of
// its next token.
func (c *Cache) Seen(b int) int { return c.seen[b] }

func (c *Cache) grow(capacity int) {
	cfg := c.m.Config
	hd, kvh := cfg.HeadDim, cfg.KVHeads
	old := c.cap
	var nk, nv [][]float32
	if c.k != nil || !c.temp {
		nk, nv = make([][]float32, cfg.Layers), make([][]float32, cfg.Layers)
	}
	for l := range nk {
		nk[l] = make([]float32, c.B*kvh*capacity*hd)
		nv[l] = make([]float32, c.B*kvh*capacity*hd)
		if old > 0 {
			for r := range c.B * kvh * hd { // one row per (batch row, head, dimension)
				copy(nk[l][r*capacity:], c.k[l][r*old:r*old+c.len])
				copy(nv[l][r*capacity:], c.v[l][r*old:r*old+c.len])
			}
		}
	}
	valid := make([]bool, c.B*capacity)
	for b := range c.B {
		if old > 0 {
			copy(valid[b*capacity:], c.valid[b*old:b*old+c.len])
		}
	}
	c.k, c.v, c.valid, c.cap = nk, nv, valid, capacity
}

// ensureKV allocates the key and value buffers of a temporary cache, which
// grows without them: a prompt's pass reads its keys and values from the
// projections' rows unless it is only a few tokens long (forwardEmbeds).
func (c *Cache) ensureKV() {
	if c.k != nil {
		return
	}
	cfg := c.m.Config
	n := c.B * cfg.KVHeads * c.cap * cfg.HeadDim
	c.k, c.v = make([][]float32, cfg.Layers), make([][]float32, cfg.Layers)
	for l := range c.k {
		c.k[l], c.v[l] = make([]float32, n), make([]float32, n)
	}
}

// append reserves T new positions with the given mask ([B·T] or nil) and
// returns the position id of every new token, [B·T] (padding gets 0).
func (c *Cache) append(T int, mask []bool) []int {
	if c.len+T > c.cap {
		c.grow(max(c.len+T, 2*c.cap))
	}
	pos := make([]int, c.B*T)
	for b := range c.B {
		n := c.seen[b]
		for t := range T {
			real := mask == nil || mask[b*T+t]
			c.valid[b*c.cap+c.len+t] = real
			if real {
				pos[b*T+t] = n
				n++
			}
		}
	}
	return pos
}

// store writes rows r0..r1-1 of one layer's new keys and values [B·T, kv
// heads·hd] (row b·T+t: batch row b, new position t), each head's vectors
// into column len+t of its [hd, cap] block. Different rows write different
// columns, so row ranges may be stored concurrently.
func (c *Cache) store(layer int, k, v []float32, T, r0, r1 int) {
	cfg := c.m.Config
	hd, kvh := cfg.HeadDim, cfg.KVHeads
	ck, cv := c.k[layer], c.v[layer]
	for r := r0; r < r1; r++ {
		b, t := r/T, r%T
		src := r * kvh * hd
		for h := range kvh {
			dst := (b*kvh+h)*hd*c.cap + c.len + t
			ks, vs := k[src+h*hd:src+(h+1)*hd], v[src+h*hd:src+(h+1)*hd]
			for d := range hd {
				ck[dst+d*c.cap] = ks[d]
				cv[dst+d*c.cap] = vs[d]
			}
		}
	}
}

// kv returns the keys and values of one row and kv head, transposed: [hd,
// cap] each, row stride cap (only the first len+T columns are meaningful
// during a forward pass).
func (c *Cache) kv(layer, b, h int) (k, v []float32) {
	hd := c.m.Config.HeadDim
	off := (b*c.m.Config.KVHeads + h) * hd * c.cap
	return c.k[layer][off : off+hd*c.cap], c.v[layer][off : off+hd*c.cap]
}

// commit marks the T positions of the finished forward pass as filled.
func (c *Cache) commit(T int) {
	for b := range c.B {
		for t := range T {
			if c.valid[b*c.cap+c.len+t] {
				c.seen[b]++
			}
		}
	}
	c.len += T
}

// Truncate drops every position from n on (n ≤ Len), e.g. to reuse a shared
// prompt prefix.
func (c *Cache) Truncate(n int) {
	if n < 0 || n > c.len {
		panic(fmt.Sprintf("llama.Cache.Truncate(%d) with %d positions", n, c.len))
	}
	for b := range c.B {
		for j := n; j < c.len; j++ {
			if c.valid[b*c.cap+j] {
				c.seen[b]--
			}
			c.valid[b*c.cap+j] = false
		}
	}
	c.len = n
}
