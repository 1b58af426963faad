package tensor

import (
	"slices"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/internal/race"
	"github.com/llink-go/llink/internal/testutil"
)

func TestSliceConcat(t *testing.T) {
	r := testutil.RNG(20)
	a, b := RandN(r, 1, 2, 3, 4), RandN(r, 1, 2, 1, 4)
	c := Concat(1, a, b)
	if !slices.Equal(c.Shape(), []int{2, 4, 4}) {
		t.Fatalf("concat shape %v", c.Shape())
	}
	if d := MaxAbsDiff(Slice(c, 1, 0, 3), a); d != 0 {
		t.Fatal("slice of concat differs from first part")
	}
	if d := MaxAbsDiff(Slice(c, -2, 3, 4), b); d != 0 {
		t.Fatal("slice of concat differs from second part")
	}
	acc := New(2, 4, 4)
	AddSlice(acc, a, 1, 0)
	AddSlice(acc, b, 1, 3)
	if d := MaxAbsDiff(acc, c); d != 0 {
		t.Fatal("AddSlice does not invert Slice")
	}
}

func TestGatherScatterRows(t *testing.T) {
	w := FromSlice([]float32{0, 1, 10, 11, 20, 21}, 3, 2)
	g := GatherRows(w, []int{2, 0, 2})
	if !slices.Equal(g.Data(), []float32{20, 21, 0, 1, 20, 21}) {
		t.Fatalf("gather = %v", g.Data())
	}
	acc := New(3, 2)
	ScatterAddRows(acc, g, []int{2, 0, 2})
	if !slices.Equal(acc.Data(), []float32{0, 1, 0, 0, 40, 42}) {
		t.Fatalf("scatter-add = %v", acc.Data())
	}
	ScatterRows(w, FromSlice([]float32{7, 8}, 1, 2), []int{1})
	if !slices.Equal(w.Data(), []float32{0, 1, 7, 8, 20, 21}) {
		t.Fatalf("scatter = %v", w.Data())
	}
}

func TestSumToInto(t *testing.T) {
	r := testutil.RNG(21)
	src := RandN(r, 1, 2, 3, 4)
	// A column whose length equals the last axis must not take the row path.
	col := RandN(r, 1, 4, 1)
	sq := RandN(r, 1, 4, 4)
	prod := Mul(sq, col)
	for i := 0; i < 4; i++ {
		for j := 0; j < 4; j++ {
			if prod.At(i, j) != sq.At(i, j)*col.At(i, 0) {
				t.Fatalf("Mul([4 4], [4 1])[%d,%d] wrong", i, j)
			}
		}
	}
	src = RandN(r, 1, 4, 4, 4)
	for _, shape := range [][]int{{4, 4, 4}, {4}, {4, 1}, {4, 1, 4}, {1}, {4, 1, 1}} {
		dst := New(shape...)
		SumToInto(dst, src)
		// Reference: sum src elements into the broadcast position.
		want := New(shape...)
		st := bstrides(shape, 3)
		for i := 0; i < 4; i++ {
			for j := 0; j < 4; j++ {
				for k := 0; k < 4; k++ {
					want.Data()[i*st[0]+j*st[1]+k*st[2]] += src.At(i, j, k)
				}
			}
		}
		if d := MaxAbsDiff(dst, want); d > 1e-5 {
			t.Fatalf("SumToInto %v off by %g", shape, d)
		}
	}
}

func TestArenaReuse(t *testing.T) {
	a := NewArena()
	step := func() {
		x := a.New(64, 32)
		y := a.Empty(16)
		_ = a.View(x, 32, 64)
		_ = a.Ints(5)
		x.Data()[0], y.Data()[0] = 1, 2
		a.Reset()
	}
	step()
	before := a.Bytes()
	// The race detector adds allocations of its own; the arena check holds.
	if allocs := testing.AllocsPerRun(20, step); allocs != 0 && !race.Enabled {
		t.Errorf("steady-state arena step allocates %v times", allocs)
	}
	if a.Bytes() != before {
		t.Errorf("arena grew from %d to %d bytes", before, a.Bytes())
	}
	if x := a.New(64, 32); x.Data()[0] != 0 {
		t.Error("New did not zero a recycled buffer")
	}
	var nilArena *Arena
	if x := nilArena.New(3); x.Len() != 3 {
		t.Error("nil arena")
	}
}

// TestArenaSharesMemoryAcrossShapes runs steps whose tensor sizes vary as
// length-bucketed training batches do: once the longest step has run, no
// step makes a new chunk, the memory held stays within the largest step's
// working set plus one chunk, and no two tensors of a step overlap.
func TestArenaSharesMemoryAcrossShapes(t *testing.T) {
	a := NewArena()
	r := testutil.RNG(3)
	step := func(T int) {
		sizes := []int{T * 64, T * 256, 3, T * 64, 17, T * 4096, T * 256, 1, T * 64}
		ts := make([]*Tensor, len(sizes))
		for i, n := range sizes {
			ts[i] = a.Empty(n)
			d := ts[i].Data()
			if len(d) != n || cap(d) != n {
				t.Fatalf("T %d: tensor %d has len %d cap %d, want %d", T, i, len(d), cap(d), n)
			}
			if p := uintptr(unsafe.Pointer(unsafe.SliceData(d))); p%64 != 0 {
				t.Fatalf("T %d: tensor %d starts at %#x, not 64-byte aligned", T, i, p)
			}
			for j := range d {
				d[j] = float32(i)
			}
		}
		for i, x := range ts {
			for j, v := range x.Data() {
				if v != float32(i) {
					t.Fatalf("T %d: tensor %d element %d is %g: another tensor overlaps it", T, i, j, v)
				}
			}
		}
		a.Reset()
	}
	lengths := []int{40, 280, 120, 60, 200, 280, 90}
	for _, T := range lengths {
		step(T)
	}
	held := a.held()
	for range 30 {
		step(lengths[r.IntN(len(lengths))])
	}
	if a.held() != held {
		t.Errorf("the arena went from %d to %d bytes after the longest step had run", held, a.held())
	}
	if limit := a.Bytes() + 4*arenaChunkLen; held > limit {
		t.Errorf("the arena holds %d bytes for a largest step of %d (want ≤ %d)", held, a.Bytes(), limit)
	}
}

// TestArenaLetsGoOfUnusedChunks checks that steps of ever larger tensors —
// none fitting the chunk the previous step made — do not pile up chunks:
// those unused for more than arenaKeep Resets go once the rest hold the
// largest step, so the arena keeps the last arenaKeep+1 steps' chunks.
func TestArenaLetsGoOfUnusedChunks(t *testing.T) {
	a := NewArena()
	for i := range 12 {
		a.Empty(arenaChunkLen + 10000*i)
		a.Reset()
	}
	if got, limit := a.held(), (arenaKeep+1)*a.Bytes(); got > limit {
		t.Errorf("after 12 steps of ever larger tensors the arena holds %d bytes for a largest step of %d (want ≤ %d)", got, a.Bytes(), limit)
	}
	// Small steps do not make it let go of what its largest step needs.
	held := a.held()
	for range 3 * arenaKeep {
		a.New(777)
		a.Reset()
	}
	if got := a.held(); got < a.Bytes() || got > held {
		t.Errorf("after small steps the arena holds %d bytes, want between its largest step's %d and %d", got, a.Bytes(), held)
	}
}

// TestArenaRelease runs the pattern of a backward pass through segments:
// layers of mixed-size tensors, each released to a mark taken before it.
// Tensors from before a mark keep their values, the memory after it is
// handed out again, Bytes counts the
// most held at once, and no chunk — even one used only between a mark and
// its release — is let go at Reset or made anew.
func TestArenaRelease(t *testing.T) {
	a := NewArena()
	fill := func(x *Tensor, v float32) {
		for i := range x.Data() {
			x.Data()[i] = v
		}
	}
	check := func(x *Tensor, v float32, what string) {
		for i, got := range x.Data() {
			if got != v {
				t.Fatalf("%s: element %d is %g, want %g", what, i, got, v)
			}
		}
	}
	sizes := []int{3, arenaChunkLen / 4, 2 * arenaChunkLen, 17, arenaSmall + 1, 5000}
	var bufs []*float32
	for step := range 2 * (arenaKeep + 2) {
		keep := a.Empty(1000)
		fill(keep, 7)
		base := 4 * a.step
		for layer := range 4 {
			m := a.Mark()
			var ts []*Tensor
			for i, n := range sizes {
				x := a.Empty(n + layer)
				fill(x, float32(10*layer+i))
				ts = append(ts, x)
			}
			for i, x := range ts {
				check(x, float32(10*layer+i), "a tensor of the open region")
			}
			a.Release(m)
			check(keep, 7, "a tensor from before the mark")
		}
		if step == 0 {
			for _, c := range a.chunks {
				bufs = append(bufs, &c.buf[0])
			}
		} else {
			for i, c := range a.chunks {
				if i >= len(bufs) || &c.buf[0] != bufs[i] {
					t.Fatalf("step %d: chunk %d is not the one the first step made", step, i)
				}
			}
		}
		want := base
		for _, n := range sizes {
			want += 4 * ((n + 3 + arenaAlign - 1) &^ (arenaAlign - 1))
		}
		if got := a.Bytes(); got != want {
			t.Fatalf("step %d: Bytes %d, want the largest region on top of the rest, %d", step, got, want)
		}
		a.Reset()
	}
	var nilArena *Arena
	nilArena.Release(nilArena.Mark())
}

func TestParallel(t *testing.T) {
	// Every index runs exactly once and has finished when Parallel returns,
	// whatever the thread cap (items outnumbering threads or not).
	for _, threads := range []int{1, 2, 8} {
		restore := asm.SetThreads(threads)
		for _, n := range []int{0, 1, 3, 100} {
			hits := make([]atomic.Int32, n)
			Parallel(n, func(i int) {
				if i%7 == 0 {
					time.Sleep(time.Millisecond)
				}
				hits[i].Add(1)
			})
			for i := range hits {
				if h := hits[i].Load(); h != 1 {
					t.Fatalf("threads %d, n %d: item %d ran %d times", threads, n, i, h)
				}
			}
		}
		restore()
	}
}
