package llama

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/models/gguf"
	"github.com/llink-go/llink/tensor"
)

// The fixtures in ../testdata are written by ../testdata/gen_fixtures.py
// (PyTorch, float64 activations on the saved float32/bf16 weights), so the
// only error measured here is llink's float32 arithmetic: tolerance 1e-4
// relative to the largest reference magnitude (observed ~1e-6).
const relTol = 1e-4

type flat struct {
	Shape []int     `json:"shape"`
	Data  []float32 `json:"data"`
}

type expected struct {
	Seqs   map[string][]int `json:"seqs"`
	Logits map[string]flat  `json:"logits"`
	Hidden map[string]struct {
		Positions []int `json:"positions"`
		Values    flat  `json:"values"`
	} `json:"hidden"`
	Greedy struct {
		MaxNew int   `json:"max_new"`
		A      []int `json:"a"`
		B      []int `json:"b"`
	} `json:"greedy"`
	Inject *struct {
		Positions  []int   `json:"positions"`
		Vectors    flat    `json:"vectors"`
		Logits     flat    `json:"logits"`
		HiddenLast flat    `json:"hidden_last"`
		Loss       float64 `json:"loss"`
		Grad       flat    `json:"grad"`
	} `json:"inject"`
}

func readExpected(t *testing.T, dir string) *expected {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e expected
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return &e
}

// relErr returns max|got−want| / max|want|.
func relErr(got, want []float32) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	var diff, scale float64
	for i := range want {
		diff = max(diff, math.Abs(float64(got[i])-float64(want[i])))
		scale = max(scale, math.Abs(float64(want[i])))
	}
	return diff / max(scale, 1e-30)
}

func checkClose(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if e := relErr(got, want); e > relTol || math.IsNaN(e) {
		t.Errorf("%s: relative error %.3g > %g", what, e, relTol)
	} else {
		t.Logf("%s: relative error %.3g", what, e)
	}
}

// fixtures: checkpoint folder, whether to load it as bf16, whether to round
// it to bf16 after loading (ToBF16), and the folder of the expectations.
var fixtures = []struct {
	name        string
	dir         string
	bf16, round bool
	exp         string
}{
	{"tied-llama3-f32", "llama_tied", false, false, "llama_tied"},
	// llama_bf16 holds llama_tied's weights rounded to bf16.
	{"tied-llama3-ToBF16", "llama_tied", false, true, "llama_bf16"},
	{"untied-sharded", "llama_untied", false, false, "llama_untied"},
	{"bf16-checkpoint-f32", "llama_bf16", false, false, "llama_bf16"},
	{"bf16-checkpoint-bf16", "llama_bf16", true, false, "llama_bf16"},
}

func loadFixture(t *testing.T, i int) (*Model, *expected) {
	f := fixtures[i]
	m := load(t, f.dir, f.bf16)
	if f.round {
		m.ToBF16()
		// The reference rounds the norm gains too; ToBF16 keeps them f32.
		r := func(x *tensor.Tensor) { x.CopyFrom(tensor.ToBF16(x).Float32()) }
		r(m.Norm)
		for _, l := range m.Layers {
			r(l.AttnNorm)
			r(l.MLPNorm)
		}
	}
	return m, readExpected(t, filepath.Join("..", "testdata", f.exp))
}

func load(t *testing.T, dir string, bf16 bool) *Model {
	t.Helper()
	m, err := Load(filepath.Join("..", "testdata", dir), LoadOptions{BF16: bf16})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// rowsOf returns rows [lo, hi) of a [T, n] tensor's data.
func rowsOf(x *tensor.Tensor, lo, hi int) []float32 {
	n := x.Dim(-1)
	return x.Data()[lo*n : hi*n]
}

func TestFixtureForward(t *testing.T) {
	for i, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			f32Activations(t)
			m, e := loadFixture(t, i)
			for _, key := range []string{"a", "b"} {
				seq := e.Seqs[key]
				h := m.Forward(Batch{B: 1, T: len(seq), IDs: seq}, nil)
				checkClose(t, key+" logits", m.Logits(h).Data(), e.Logits[key].Data)
				hx := e.Hidden[key]
				var got []float32
				for _, p := range hx.Positions {
					got = append(got, rowsOf(h.Reshape(len(seq), -1), p, p+1)...)
				}
				checkClose(t, key+" hidden", got, hx.Values.Data)
			}
		})
	}
}

func TestPaddedBatchMatchesRows(t *testing.T) {
	m := load(t, "llama_tied", false)
	e := readExpected(t, filepath.Join("..", "testdata", "llama_tied"))
	a, b := e.Seqs["a"], e.Seqs["b"]
	for _, left := range []bool{true, false} {
		batch := PadRight([][]int{b, a}, 0)
		if left {
			batch = PadLeft([][]int{b, a}, 0)
		}
		logits := m.Logits(m.Forward(batch, nil)).Reshape(2, batch.T, -1)
		off := 0
		if left {
			off = batch.T - len(b)
		}
		rowB := tensor.FromSlice(slices.Clone(logits.Data()[:batch.T*m.Config.VocabSize]), batch.T, m.Config.VocabSize)
		checkClose(t, "padded row b", rowsOf(rowB, off, off+len(b)), e.Logits["b"].Data)
		checkClose(t, "full row a", logits.Data()[batch.T*m.Config.VocabSize:], e.Logits["a"].Data)
	}
}

func TestKVCacheDecodeMatchesFullForward(t *testing.T) {
	m := load(t, "llama_untied", false)
	e := readExpected(t, filepath.Join("..", "testdata", "llama_untied"))
	a := e.Seqs["a"]
	for _, prefix := range []int{1, 5, len(a) - 1} {
		c := m.NewCache(1, 2) // small: exercises growth
		var got []float32
		h := m.Forward(Batch{B: 1, T: prefix, IDs: a[:prefix]}, c)
		got = append(got, m.Logits(h).Data()...)
		for i := prefix; i < len(a); i++ {
			h := m.Forward(Batch{B: 1, T: 1, IDs: a[i : i+1]}, c)
			got = append(got, m.Logits(h).Data()...)
		}
		checkClose(t, "cached decode", got, e.Logits["a"].Data)
	}
}

func TestGreedyGeneration(t *testing.T) {
	for i, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			m, e := loadFixture(t, i)
			opt := GenerateOptions{MaxNew: e.Greedy.MaxNew}
			a := m.Generate([][]int{e.Seqs["a"]}, opt)
			b := m.Generate([][]int{e.Seqs["b"]}, opt)
			both := m.Generate([][]int{e.Seqs["a"], e.Seqs["b"]}, opt)
			for _, c := range []struct {
				name      string
				got, want []int
			}{
				{"a", a[0], e.Greedy.A}, {"b", b[0], e.Greedy.B},
				{"batched a", both[0], e.Greedy.A}, {"batched b", both[1], e.Greedy.B},
			} {
				if !slices.Equal(c.got, c.want) {
					t.Errorf("%s: generated %v, want %v", c.name, c.got, c.want)
				}
			}
		})
	}
}

func TestInjectEmbeddings(t *testing.T) {
	m := load(t, "llama_tied", false)
	e := readExpected(t, filepath.Join("..", "testdata", "llama_tied"))
	in := e.Inject
	a := e.Seqs["a"]
	x := m.Embed(a)
	tensor.ScatterRows(x, tensor.FromSlice(in.Vectors.Data, in.Vectors.Shape...), in.Positions)
	h := m.ForwardEmbeds(x.Reshape(1, len(a), -1), nil, nil)
	checkClose(t, "inject logits", m.Logits(h).Data(), in.Logits.Data)
	checkClose(t, "inject hidden", rowsOf(h.Reshape(len(a), -1), len(a)-1, len(a)), in.HiddenLast.Data)
}

// TestForwardThreads: a prompt's forward gives the same hidden states, bit
// for bit, on 1, 2 and 3 threads — its GEMMs and the elementwise work
// between them (eachRows) split only over rows or columns of the output —
// for float32, bf16 and quantised (Q4_0) weights, and in a batch whose row
// ranges cross from one sequence into the next.
func TestForwardThreads(t *testing.T) {
	defer func(v int) { parallelElems = v }(parallelElems)
	parallelElems = 1 << 10 // so that the test's small prompts split
	c := kConfig()
	f32 := New(c, rand.New(rand.NewPCG(5, 6)))
	bf := NewBF16(c, rand.New(rand.NewPCG(5, 6)))
	path := filepath.Join(t.TempDir(), "q4.gguf")
	if err := f32.WriteGGUF(path, gguf.Q4_0); err != nil {
		t.Fatal(err)
	}
	q4, err := Load(path, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer q4.Close()
	r := rand.New(rand.NewPCG(7, 8))
	for _, m := range []struct {
		name string
		m    *Model
	}{{"f32", f32}, {"bf16", bf}, {"q4_0", q4}} {
		for _, shape := range [][2]int{{1, 70}, {3, 23}} {
			b := Batch{B: shape[0], T: shape[1], IDs: make([]int, shape[0]*shape[1])}
			for i := range b.IDs {
				b.IDs[i] = r.IntN(c.VocabSize)
			}
			var want []float32
			for _, th := range []int{1, 2, 3} {
				restore := asm.SetThreads(th)
				got := m.m.Forward(b, nil).Data()
				restore()
				if th == 1 {
					want = got
					continue
				}
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%s %v, %d threads: h[%d] = %v, one thread %v", m.name, shape, th, i, got[i], want[i])
					}
				}
			}
		}
	}
}
