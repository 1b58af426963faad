package llama

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/llink-go/llink/tensor"
)

// GenerateOptions controls [Model.Generate]. The zero value (beyond MaxNew)
// is greedy decoding without a stop token. [GenerateOptions.Validate] gives
// each field's allowed range.
type GenerateOptions struct {
	// MaxNew (≥ 0) is the maximum number of tokens generated per row.
	MaxNew int
	// Temperature 0 selects greedy decoding (argmax); a positive one divides
	// the logits before a token is sampled.
	Temperature float64
	// TopK > 0 keeps only the K most likely tokens when sampling (0: off).
	TopK int
	// TopP in (0, 1) keeps the smallest set of most likely tokens whose
	// probability reaches TopP (nucleus sampling); 0 or 1: off.
	TopP float64
	// RepetitionPenalty > 1 penalises every token already in the row
	// (prompt and generated), as Hugging Face does: positive logits are
	// divided by it, negative ones multiplied. 0 or 1 disables it.
	RepetitionPenalty float64
	// Stop tokens end a row; the stop token is included in its output.
	Stop []int
	// Seed seeds the sampler (generation is deterministic for a seed).
	Seed uint64
	// Pad is the id placed in padding slots (any valid id; it is masked).
	Pad int
}

// Validate reports the first option outside its range, naming it and the
// range: MaxNew ≥ 0, Temperature finite and ≥ 0, TopK ≥ 0, TopP 0 or in
// (0, 1], RepetitionPenalty 0 or finite and > 0. A NaN temperature would
// otherwise emit one token forever and a negative one invert the sampler.
func (o GenerateOptions) Validate() error {
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("llama: %s %v: want %s", field, v, want)
	}
	switch {
	case o.MaxNew < 0:
		return bad("MaxNew", o.MaxNew, "0 or more")
	case math.IsNaN(o.Temperature) || math.IsInf(o.Temperature, 0) || o.Temperature < 0:
		return bad("Temperature", o.Temperature, "0 (greedy) or a finite positive number")
	case o.TopK < 0:
		return bad("TopK", o.TopK, "0 (off) or more")
	case math.IsNaN(o.TopP) || o.TopP < 0 || o.TopP > 1:
		return bad("TopP", o.TopP, "0 (off) or a value in (0, 1]")
	case math.IsNaN(o.RepetitionPenalty) || math.IsInf(o.RepetitionPenalty, 0) || o.RepetitionPenalty < 0:
		return bad("RepetitionPenalty", o.RepetitionPenalty, "0 or 1 (off) or a finite positive number")
	}
	return nil
}

// CheckGenerate reports why m cannot continue prompts of promptLen tokens
// with opt: an option outside its range ([GenerateOptions.Validate]), a stop
// or pad id outside the vocabulary, or promptLen + opt.MaxNew beyond the
// context (MaxPositions, when the config gives one), computed without
// overflow. [Model.Generate] and [Model.GenerateEmbeds] panic on what it
// reports, so callers passing user input check it first.
func (m *Model) CheckGenerate(promptLen int, opt GenerateOptions) error {
	if err := opt.Validate(); err != nil {
		return err
	}
	v := m.Config.VocabSize
	for _, id := range opt.Stop {
		if id < 0 || id >= v {
			return fmt.Errorf("llama: stop token %d outside the vocabulary [0, %d)", id, v)
		}
	}
	if opt.Pad < 0 || opt.Pad >= v {
		return fmt.Errorf("llama: pad token %d outside the vocabulary [0, %d)", opt.Pad, v)
	}
	ctx := m.Config.MaxPositions
	if ctx <= 0 {
		ctx = math.MaxInt32 // no context given: still bound the cache's size
	}
	// promptLen + MaxNew > ctx, written so that neither side can overflow.
	if promptLen < 0 || promptLen > ctx || opt.MaxNew > ctx-promptLen {
		return fmt.Errorf("llama: %d prompt tokens + %d new exceed the decoder's context of %d positions", promptLen, opt.MaxNew, ctx)
	}
	return nil
}

// Generate continues each prompt and returns the new tokens of each row.
// Prompts of different lengths are batched with left padding and a KV
// cache; each row computes what it would compute alone.
func (m *Model) Generate(prompts [][]int, opt GenerateOptions) [][]int {
	b := PadLeft(prompts, opt.Pad)
	x := m.Embed(b.IDs).Reshape(b.B, b.T, m.Config.Hidden)
	return m.GenerateEmbeds(x, b.Mask, prompts, opt)
}

// GenerateEmbeds is [Model.Generate] from input embeddings x [B, T, d] whose
// rows are left-padded (mask [B·T] or nil): the LLINK entry point, where
// some prompt rows are projected vectors. history, when not nil, gives each
// row's prompt tokens for the repetition penalty. Both panic when
// [Model.CheckGenerate] reports an error for T and opt.
func (m *Model) GenerateEmbeds(x *tensor.Tensor, mask []bool, history [][]int, opt GenerateOptions) [][]int {
	B, T := x.Dim(0), x.Dim(1)
	if err := m.CheckGenerate(T, opt); err != nil {
		panic(err)
	}
	if mask != nil {
		for r := range B {
			if !mask[r*T+T-1] {
				panic(fmt.Sprintf("llama.GenerateEmbeds: row %d does not end with a real token (pad on the left)", r))
			}
		}
	}
	out := make([][]int, B)
	if opt.MaxNew == 0 {
		return out
	}
	seen := make([]map[int]bool, B)
	if opt.RepetitionPenalty > 0 && opt.RepetitionPenalty != 1 {
		for r := range B {
			seen[r] = map[int]bool{}
			if history != nil {
				for _, id := range history[r] {
					seen[r][id] = true
				}
			}
		}
	}
	rng := rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9e3779b97f4a7c15))
	cache := m.NewCache(B, T+opt.MaxNew)
	h := m.ForwardEmbeds(x, mask, cache)
	done := make([]bool, B)
	d := m.Config.Hidden
	last := tensor.New(B, d)
	for r := range B {
		copy(last.Row(r), h.Data()[(r*T+T-1)*d:(r*T+T)*d])
	}
	next := make([]int, B)
	step := make([]bool, B)
	// Reused every step: the logits and the new tokens' embeddings.
	logits := tensor.New(B, m.LMHead().Out())
	xs := tensor.New(B, 1, d)
	for n := 0; ; n++ {
		m.LMHead().applyInto(logits.Data(), last.Data(), B)
		for r := range B {
			if done[r] {
				next[r] = opt.Pad
				continue
			}
			row := logits.Row(r)
			if seen[r] != nil {
				for id := range seen[r] {
					if row[id] < 0 {
						row[id] *= float32(opt.RepetitionPenalty)
					} else {
						row[id] /= float32(opt.RepetitionPenalty)
					}
				}
			}
			id := pick(row, opt, rng)
			next[r] = id
			out[r] = append(out[r], id)
			if seen[r] != nil {
				seen[r][id] = true
			}
			if slices.Contains(opt.Stop, id) {
				done[r] = true
			}
		}
		if n+1 == opt.MaxNew || !slices.Contains(done, false) {
			return out
		}
		for r := range B {
			step[r] = !done[r]
		}
		m.embedInto(xs.Data(), next)
		last = m.ForwardEmbeds(xs, step, cache).Reshape(B, d)
	}
}

// pick chooses the next token from one row of logits (modified in place).
func pick(logits []float32, opt GenerateOptions, rng *rand.Rand) int {
	if opt.Temperature == 0 {
		best := 0
		for i, v := range logits {
			if v > logits[best] {
				best = i
			}
		}
		return best
	}
	type cand struct {
		id int
		p  float64
	}
	inv := 1 / opt.Temperature
	cs := make([]cand, len(logits))
	for i, v := range logits {
		cs[i] = cand{i, float64(v) * inv}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].p > cs[j].p })
	if opt.TopK > 0 && opt.TopK < len(cs) {
		kth := cs[opt.TopK-1].p
		n := opt.TopK
		for n < len(cs) && cs[n].p == kth { // ties with the k-th are kept, as Hugging Face does
			n++
		}
		cs = cs[:n]
	}
	mx, sum := cs[0].p, 0.0
	for i := range cs {
		cs[i].p = math.Exp(cs[i].p - mx)
		sum += cs[i].p
	}
	for i := range cs {
		cs[i].p /= sum
	}
	if opt.TopP > 0 && opt.TopP < 1 {
		cum := 0.0
		for i := range cs {
			if cum >= opt.TopP {
				cs = cs[:i]
				break
			}
			cum += cs[i].p
		}
		sum = 0
		for _, c := range cs {
			sum += c.p
		}
	}
	u := rng.Float64() * sum
	for _, c := range cs {
		u -= c.p
		if u < 0 {
			return c.id
		}
	}
	return cs[len(cs)-1].id
}
