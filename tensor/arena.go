package tensor

// Arena hands out tensors whose buffers are recycled by [Arena.Reset]: a
// training step allocates its activations and gradients from an arena, and
// the next step gets the same memory back, so a steady-state training loop
// neither churns the garbage collector nor touches fresh pages.
//
// Tensors are cut from a few large chunks one after another (64-byte
// aligned); Reset makes every chunk's space available again. Steps of
// different shapes — batches padded to different lengths — thus share the
// same memory, which a buffer per tensor size could not: the arena holds
// about its largest step's working set.
//
// Tensors from an arena are valid until the next Reset; keep nothing from a
// step past it (copy out what you need). A nil *Arena is valid and allocates
// fresh tensors, which makes "no arena" the goroutine-safe default for
// inference. An Arena is not safe for concurrent use.
type Arena struct {
	chunks []arenaChunk    // the memory tensors are cut from, in the order it was made
	cur    int             // the chunk small tensors are cut from next
	step   int             // floats handed out since the last Reset (alignment included)
	peak   int             // the most floats handed out between two Resets
	hdrs   []*Tensor       // tensor headers, reused in order
	nh     int             // headers handed out since the last Reset
	ints   map[int][][]int // recycled index buffers
	iuse   [][]int
}

// arenaChunk is one block of an arena's memory.
type arenaChunk struct {
	buf  []float32
	off  int  // floats handed out from buf since the last Reset (or Release)
	used bool // something was handed out from buf since the last Reset
	idle int  // Resets in a row at which nothing had been handed out from buf
}

const (
	// arenaChunkLen is the length of the chunks small tensors are cut
	// from (4 MiB); a larger tensor gets a chunk of its own length.
	arenaChunkLen = 1 << 20
	// arenaSmall is the largest tensor that moves the cursor on to a later
	// chunk when it does not fit the current one (wasting less than its
	// length at the end of that chunk); larger ones are placed further on
	// without moving it, so the current chunk's rest still serves small ones.
	arenaSmall = arenaChunkLen / 16
	// arenaAlign is the alignment of every tensor's start, in floats (64
	// bytes: one cache line, a full AVX-512 vector).
	arenaAlign = 16
	// arenaKeep is how many Resets in a row a chunk may go unused before it
	// is returned to the garbage collector — and then only while the
	// others still hold the largest step seen.
	arenaKeep = 2
)

// NewArena returns an empty arena.
func NewArena() *Arena {
	return &Arena{ints: map[int][][]int{}}
}

// New returns a zeroed tensor of the given shape from the arena.
func (a *Arena) New(shape ...int) *Tensor {
	t := a.Empty(shape...)
	if a != nil {
		clear(t.data)
	}
	return t
}

// Empty is [Arena.New] without zeroing: the contents are whatever the memory
// last held. Use it for outputs every element of which is written.
func (a *Arena) Empty(shape ...int) *Tensor {
	if a == nil {
		return New(shape...)
	}
	return a.header(a.cut(numel(shape)), shape)
}

// cut returns n floats of the arena's memory (capacity n, so an append
// cannot reach the next tensor): from the first chunk at or after the
// cursor with room, else from a new chunk.
func (a *Arena) cut(n int) []float32 {
	m := (n + arenaAlign - 1) &^ (arenaAlign - 1)
	a.step += m
	for i := a.cur; i < len(a.chunks); i++ {
		c := &a.chunks[i]
		if len(c.buf)-c.off < n {
			continue
		}
		if i != a.cur && m <= arenaSmall {
			a.cur = i
		}
		b := c.buf[c.off : c.off+n : c.off+n]
		c.off, c.used = min(c.off+m, len(c.buf)), true
		return b
	}
	c := arenaChunk{buf: make([]float32, max(m, arenaChunkLen)), used: true}
	b := c.buf[:n:n]
	c.off = min(m, len(c.buf))
	a.chunks = append(a.chunks, c)
	if m <= arenaSmall {
		a.cur = len(a.chunks) - 1
	}
	return b
}

// header returns a recycled tensor header viewing buf with the given shape.
func (a *Arena) header(buf []float32, shape []int) *Tensor {
	if a.nh == len(a.hdrs) {
		a.hdrs = append(a.hdrs, &Tensor{})
	}
	t := a.hdrs[a.nh]
	a.nh++
	t.shape = append(t.shape[:0], shape...)
	t.data = buf
	return t
}

// View returns an arena-owned header viewing t's data with a new shape (as
// [Tensor.Reshape], but without allocating in steady state). A nil arena
// falls back to Reshape.
func (a *Arena) View(t *Tensor, shape ...int) *Tensor {
	if a == nil {
		return t.Reshape(shape...)
	}
	if numel(shape) != len(t.data) {
		return t.Reshape(shape...) // panics with the shapes
	}
	return a.header(t.data, shape)
}

// Clone returns an arena copy of t.
func (a *Arena) Clone(t *Tensor) *Tensor {
	out := a.Empty(t.shape...)
	copy(out.data, t.data)
	return out
}

// Ints returns a zeroed []int of length n from the arena (masks, indices).
func (a *Arena) Ints(n int) []int {
	if a == nil {
		return make([]int, n)
	}
	var buf []int
	if l := a.ints[n]; len(l) > 0 {
		buf = l[len(l)-1]
		a.ints[n] = l[:len(l)-1]
		clear(buf)
	} else {
		buf = make([]int, n)
	}
	a.iuse = append(a.iuse, buf)
	return buf
}

// Reset makes all the memory handed out since the last Reset available
// again. Tensors obtained before must not be used afterwards. A chunk
// unused for more than arenaKeep Resets in a row is let go, as long as the
// chunks kept still hold the largest step seen.
func (a *Arena) Reset() {
	if a == nil {
		return
	}
	a.peak = max(a.peak, a.step)
	a.step, a.cur = 0, 0
	held := a.held() / 4
	kept := a.chunks[:0]
	for _, c := range a.chunks {
		if c.used {
			c.idle = 0
		} else {
			c.idle++
		}
		if c.idle > arenaKeep && held-len(c.buf) >= a.peak {
			held -= len(c.buf)
			continue
		}
		c.off, c.used = 0, false
		kept = append(kept, c)
	}
	clear(a.chunks[len(kept):])
	a.chunks = kept
	for _, b := range a.iuse {
		a.ints[len(b)] = append(a.ints[len(b)], b)
	}
	clear(a.iuse)
	a.iuse = a.iuse[:0]
	for _, h := range a.hdrs[:a.nh] {
		h.data = nil
	}
	a.nh = 0
}

// ArenaMark is a point in an arena's allocations ([Arena.Mark]).
type ArenaMark struct {
	cur, step, chunks int
	offs              []int // chunks[cur:chunks]' offsets at the mark
}

// Mark returns the arena's allocation point, for [Arena.Release].
func (a *Arena) Mark() ArenaMark {
	if a == nil {
		return ArenaMark{}
	}
	m := ArenaMark{cur: a.cur, step: a.step, chunks: len(a.chunks), offs: make([]int, len(a.chunks)-a.cur)}
	for i := range m.offs {
		m.offs[i] = a.chunks[a.cur+i].off
	}
	return m
}

// Release makes the memory handed out since m available again, as Reset
// does for a whole step: tensors obtained after the mark must not be used
// afterwards; those obtained before it stay valid. m must come from Mark
// since the last Reset, and no Release to an earlier mark may have
// happened in between. Bytes keeps counting the most ever held at once.
func (a *Arena) Release(m ArenaMark) {
	if a == nil {
		return
	}
	a.peak = max(a.peak, a.step)
	a.step, a.cur = m.step, m.cur
	for i := m.cur; i < len(a.chunks); i++ {
		if i < m.chunks {
			a.chunks[i].off = m.offs[i-m.cur]
		} else {
			a.chunks[i].off = 0
		}
	}
}

// Bytes returns the most float32 bytes handed out between two Resets, the
// step in progress included: the working set of the arena's largest step
// (alignment included), which is about what it holds.
func (a *Arena) Bytes() int {
	if a == nil {
		return 0
	}
	return 4 * max(a.peak, a.step)
}

// held returns the bytes of the arena's chunks (in use and free).
func (a *Arena) held() int {
	n := 0
	for _, c := range a.chunks {
		n += len(c.buf)
	}
	return 4 * n
}
