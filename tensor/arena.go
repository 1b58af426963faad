package tensor

// Arena hands out tensors whose buffers are recycled by [Arena.Reset]: a
// training step allocates its activations and gradients from an arena, and
// the next step with the same shapes gets the same buffers back, so a
// steady-state training loop does not churn the garbage collector.
//
// Tensors from an arena are valid until the next Reset; keep nothing from a
// step past it (copy out what you need). A nil *Arena is valid and allocates
// fresh tensors, which makes "no arena" the goroutine-safe default for
// inference. An Arena is not safe for concurrent use.
type Arena struct {
	free map[int][][]float32 // recycled buffers by capacity (size class)
	used [][]float32         // buffers handed out since the last Reset
	hdrs []*Tensor           // tensor headers, reused in order
	nh   int                 // headers handed out since the last Reset
	ints map[int][][]int     // recycled index buffers
	iuse [][]int
	gen  int         // Resets so far
	seen map[int]int // the last Reset generation each size class was used in
}

// arenaKeep is how many Resets a size class's free buffers survive unused
// (a buffer counts as used in the class of its capacity):
// steps whose shapes vary (batches of different lengths) reuse each other's
// buffers, but sizes no recent step needed go back to the garbage
// collector instead of accumulating one set per length.
const arenaKeep = 2

// arenaReach is how many size classes, the requested one included, Empty
// searches for a free buffer (four classes per doubling above 256).
const arenaReach = 5

// NewArena returns an empty arena.
func NewArena() *Arena {
	return &Arena{free: map[int][][]float32{}, ints: map[int][][]int{}, seen: map[int]int{}}
}

// New returns a zeroed tensor of the given shape from the arena.
func (a *Arena) New(shape ...int) *Tensor {
	t := a.Empty(shape...)
	if a != nil {
		clear(t.data)
	}
	return t
}

// Empty is [Arena.New] without zeroing: the contents are whatever the buffer
// last held. Use it for outputs every element of which is written.
func (a *Arena) Empty(shape ...int) *Tensor {
	if a == nil {
		return New(shape...)
	}
	n := numel(shape)
	c := sizeClass(n)
	var buf []float32
	// The exact class, else a free buffer of one of the next few (up to
	// ~2× larger): steps with varying shapes then share buffers instead of
	// each length growing its own set.
	for i, cc := 0, c; i < arenaReach && buf == nil; i, cc = i+1, sizeClass(cc+1) {
		if l := a.free[cc]; len(l) > 0 {
			buf = l[len(l)-1][:n]
			a.free[cc] = l[:len(l)-1]
		}
	}
	if buf == nil {
		buf = make([]float32, n, c)
	}
	a.used = append(a.used, buf)
	return a.header(buf, shape)
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

// Reset returns every buffer handed out since the last Reset to the arena.
// Tensors obtained before must not be used afterwards.
func (a *Arena) Reset() {
	if a == nil {
		return
	}
	a.gen++
	for _, b := range a.used {
		a.free[cap(b)] = append(a.free[cap(b)], b)
		a.seen[cap(b)] = a.gen
	}
	for c, g := range a.seen {
		if a.gen-g > arenaKeep {
			delete(a.free, c)
			delete(a.seen, c)
		}
	}
	clear(a.used)
	a.used = a.used[:0]
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

// Bytes returns the float32 bytes the arena holds (in use and free).
func (a *Arena) Bytes() int {
	if a == nil {
		return 0
	}
	n := 0
	for _, b := range a.used {
		n += cap(b)
	}
	for _, l := range a.free {
		for _, b := range l {
			n += cap(b)
		}
	}
	return 4 * n
}

// sizeClass rounds a buffer length up to one of four classes per power of
// two (at most 25% waste), so steps whose shapes vary a little — batches
// padded to different lengths — still reuse each other's buffers.
func sizeClass(n int) int {
	if n <= 256 {
		return n
	}
	p := 1
	for p < n {
		p <<= 1
	}
	q := p / 8 // classes p/2 + k·p/8, k = 1..4
	return (n + q - 1) / q * q
}
