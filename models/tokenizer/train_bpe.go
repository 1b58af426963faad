package tokenizer

import (
	"container/heap"
	"fmt"
	"sort"
)

// BPETrainConfig configures [TrainBPE].
type BPETrainConfig struct {
	// VocabSize is the total size, specials included (at least 256 + len(Specials)).
	VocabSize int
	// Specials are added after the learned tokens, in order (e.g.
	// "<|begin_of_text|>", "<|end_of_text|>").
	Specials []string
	// MinFrequency: pairs seen fewer times are never merged (default 2).
	MinFrequency int
	// Pre is the pre-tokenizer (default PreLlama3).
	Pre PreTokenizer
	// BOS, when one of Specials, is added by Encode(text, true).
	BOS string
}

// TrainBPE learns a byte-level BPE vocabulary from texts. It is
// deterministic: the most frequent pair is merged first, ties broken by the
// byte-level spellings (left, then right) in lexicographic order. Ids are
// the 256 byte tokens (in byte order), then the merges, then the specials.
func TrainBPE(texts []string, c BPETrainConfig) (*BPE, error) {
	if c.MinFrequency <= 0 {
		c.MinFrequency = 2
	}
	if c.VocabSize < 256+len(c.Specials) {
		return nil, fmt.Errorf("tokenizer: vocab size %d < 256 bytes + %d specials", c.VocabSize, len(c.Specials))
	}
	t := newBPETrainer(pieceCounts(texts, c.Pre))
	var merges []string
	for target := c.VocabSize - len(c.Specials); len(t.tokens) < target; {
		k, ok := t.best(c.MinFrequency)
		if !ok {
			break
		}
		merges = append(merges, t.merge(k))
	}
	cfg := BPEConfig{Vocab: t.vocab, Merges: merges, Pre: c.Pre}
	for i, s := range c.Specials {
		cfg.Added = append(cfg.Added, AddedToken{ID: len(t.tokens) + i, Content: s, Special: true})
		if s == c.BOS {
			cfg.Prefix = []int{len(t.tokens) + i}
		}
	}
	return NewBPE(cfg)
}

// pieceCounts cuts texts with the pre-tokenizer pre (PreNone: whole
// texts) and counts each piece.
func pieceCounts(texts []string, pre PreTokenizer) map[string]int {
	counts := map[string]int{}
	emit := func(w string) { counts[w]++ }
	for _, t := range texts {
		switch pre {
		case PreLlama3:
			splitLlama3(t, emit)
		case PreGPT2:
			splitGPT2(t, emit)
		default:
			if t != "" {
				emit(t)
			}
		}
	}
	return counts
}

// bpeTrainer is BPE training's state: the tokens so far, every distinct
// piece as token ids, and the count of every adjacent pair of tokens,
// with a heap to find the most frequent pair.
type bpeTrainer struct {
	tokens []string
	vocab  map[string]int
	words  [][]int32 // the distinct pieces, in lexicographic order, as token ids
	freq   []int     // how often each piece occurs
	pairs  map[pairKey]int
	where  map[pairKey]map[int32]struct{} // the pieces a pair has occurred in
	heap   *trainHeap                     // may hold stale counts; pairs is the truth
}

// newBPETrainer starts from the 256 byte tokens over the pieces counted.
func newBPETrainer(counts map[string]int) *bpeTrainer {
	uniq := make([]string, 0, len(counts))
	for w := range counts {
		uniq = append(uniq, w)
	}
	sort.Strings(uniq)
	t := &bpeTrainer{tokens: make([]string, 256), vocab: map[string]int{}, words: make([][]int32, len(uniq)),
		freq: make([]int, len(uniq)), pairs: map[pairKey]int{}, where: map[pairKey]map[int32]struct{}{}}
	for b := 0; b < 256; b++ {
		t.tokens[b] = byteStr[b]
		t.vocab[byteStr[b]] = b
	}
	for i, w := range uniq {
		ids := make([]int32, len(w))
		for j := 0; j < len(w); j++ {
			ids[j] = int32(w[j])
		}
		t.words[i], t.freq[i] = ids, counts[w]
		t.addPairs(i, 1)
	}
	t.heap = &trainHeap{tokens: &t.tokens}
	for k, n := range t.pairs {
		t.heap.items = append(t.heap.items, trainItem{k, n})
	}
	heap.Init(t.heap)
	return t
}

// addPairs adds (sign 1) or removes (sign -1) the pairs of piece wi to
// the counts; added pairs record that they occur in wi.
func (t *bpeTrainer) addPairs(wi int, sign int) {
	w := t.words[wi]
	for i := 0; i+1 < len(w); i++ {
		k := pairKey{w[i], w[i+1]}
		t.pairs[k] += sign * t.freq[wi]
		if sign > 0 {
			m := t.where[k]
			if m == nil {
				m = map[int32]struct{}{}
				t.where[k] = m
			}
			m[int32(wi)] = struct{}{}
		}
	}
}

// best returns the most frequent pair, skipping the heap's stale entries,
// or false when no pair is left or the best occurs fewer than minFreq
// times.
func (t *bpeTrainer) best(minFreq int) (pairKey, bool) {
	for t.heap.Len() > 0 {
		it := heap.Pop(t.heap).(trainItem)
		if n := t.pairs[it.k]; n != it.n {
			if n > 0 {
				heap.Push(t.heap, trainItem{it.k, n})
			}
			continue
		}
		return it.k, it.n >= minFreq
	}
	return pairKey{}, false
}

// merge adds the token of pair k (or reuses the id of its spelling when
// another merge order reached it), rewrites the pieces holding k, requeues
// the pairs whose counts changed and returns the merge rule "left right".
func (t *bpeTrainer) merge(k pairKey) string {
	l, r := t.tokens[k.a], t.tokens[k.b]
	id, dup := t.vocab[l+r]
	if !dup {
		id = len(t.tokens)
		t.tokens = append(t.tokens, l+r)
		t.vocab[l+r] = id
	}
	ws := make([]int, 0, len(t.where[k]))
	for wi := range t.where[k] {
		ws = append(ws, int(wi))
	}
	sort.Ints(ws)
	delete(t.where, k)
	touched := map[pairKey]bool{}
	for _, wi := range ws {
		t.rewrite(wi, k, int32(id), touched)
	}
	delete(t.pairs, k)
	t.requeue(touched, k)
	return l + " " + r
}

// rewrite replaces pair k by token id in piece wi, updating the pair
// counts and marking in touched every pair the piece held before or holds
// after.
func (t *bpeTrainer) rewrite(wi int, k pairKey, id int32, touched map[pairKey]bool) {
	w := t.words[wi]
	for i := 0; i+1 < len(w); i++ {
		touched[pairKey{w[i], w[i+1]}] = true
	}
	t.addPairs(wi, -1)
	out := w[:0]
	for i := 0; i < len(w); i++ {
		if i+1 < len(w) && w[i] == k.a && w[i+1] == k.b {
			out = append(out, id)
			i++
		} else {
			out = append(out, w[i])
		}
	}
	t.words[wi] = out
	t.addPairs(wi, 1)
	for i := 0; i+1 < len(out); i++ {
		touched[pairKey{out[i], out[i+1]}] = true
	}
}

// requeue pushes the touched pairs (but the merged one) with their new
// counts, in id order, and forgets the pairs that no longer occur.
func (t *bpeTrainer) requeue(touched map[pairKey]bool, merged pairKey) {
	keys := make([]pairKey, 0, len(touched))
	for k := range touched {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].a != keys[j].a {
			return keys[i].a < keys[j].a
		}
		return keys[i].b < keys[j].b
	})
	for _, k := range keys {
		if n := t.pairs[k]; n > 0 && k != merged {
			heap.Push(t.heap, trainItem{k, n})
		} else if n <= 0 {
			delete(t.pairs, k)
		}
	}
}

type trainItem struct {
	k pairKey
	n int
}

type trainHeap struct {
	items  []trainItem
	tokens *[]string
}

func (h *trainHeap) Len() int { return len(h.items) }
func (h *trainHeap) Less(i, j int) bool {
	a, b := h.items[i], h.items[j]
	if a.n != b.n {
		return a.n > b.n
	}
	t := *h.tokens
	if t[a.k.a] != t[b.k.a] {
		return t[a.k.a] < t[b.k.a]
	}
	return t[a.k.b] < t[b.k.b]
}
func (h *trainHeap) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *trainHeap) Push(x any)    { h.items = append(h.items, x.(trainItem)) }
func (h *trainHeap) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}
