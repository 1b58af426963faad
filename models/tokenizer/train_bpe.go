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
	counts := map[string]int{}
	for _, t := range texts {
		emit := func(w string) { counts[w]++ }
		switch c.Pre {
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
	uniq := make([]string, 0, len(counts))
	for w := range counts {
		uniq = append(uniq, w)
	}
	sort.Strings(uniq)

	tokens := make([]string, 256)
	vocab := map[string]int{}
	for b := 0; b < 256; b++ {
		tokens[b] = byteStr[b]
		vocab[byteStr[b]] = b
	}
	words := make([][]int32, len(uniq))
	freq := make([]int, len(uniq))
	pairs := map[pairKey]int{}
	where := map[pairKey]map[int32]struct{}{}
	addPairs := func(wi int, sign int) {
		w := words[wi]
		for i := 0; i+1 < len(w); i++ {
			k := pairKey{w[i], w[i+1]}
			pairs[k] += sign * freq[wi]
			if sign > 0 {
				m := where[k]
				if m == nil {
					m = map[int32]struct{}{}
					where[k] = m
				}
				m[int32(wi)] = struct{}{}
			}
		}
	}
	for i, w := range uniq {
		ids := make([]int32, len(w))
		for j := 0; j < len(w); j++ {
			ids[j] = int32(w[j])
		}
		words[i], freq[i] = ids, counts[w]
		addPairs(i, 1)
	}
	h := &trainHeap{tokens: &tokens}
	for k, n := range pairs {
		h.items = append(h.items, trainItem{k, n})
	}
	heap.Init(h)
	var merges []string
	target := c.VocabSize - len(c.Specials)
	for len(tokens) < target && h.Len() > 0 {
		it := heap.Pop(h).(trainItem)
		if n := pairs[it.k]; n != it.n {
			if n > 0 {
				heap.Push(h, trainItem{it.k, n})
			}
			continue
		}
		if it.n < c.MinFrequency {
			break
		}
		l, r := tokens[it.k.a], tokens[it.k.b]
		nt := l + r
		id := int32(len(tokens))
		if old, dup := vocab[nt]; dup {
			id = int32(old) // a spelling also reached by another merge order
		} else {
			tokens = append(tokens, nt)
			vocab[nt] = int(id)
		}
		merges = append(merges, l+" "+r)
		ws := make([]int, 0, len(where[it.k]))
		for wi := range where[it.k] {
			ws = append(ws, int(wi))
		}
		sort.Ints(ws)
		delete(where, it.k)
		touched := map[pairKey]bool{}
		for _, wi := range ws {
			w := words[wi]
			for i := 0; i+1 < len(w); i++ {
				touched[pairKey{w[i], w[i+1]}] = true
			}
			addPairs(wi, -1)
			out := w[:0]
			for i := 0; i < len(w); i++ {
				if i+1 < len(w) && w[i] == it.k.a && w[i+1] == it.k.b {
					out = append(out, id)
					i++
				} else {
					out = append(out, w[i])
				}
			}
			words[wi] = out
			addPairs(wi, 1)
			for i := 0; i+1 < len(out); i++ {
				touched[pairKey{out[i], out[i+1]}] = true
			}
		}
		delete(pairs, it.k)
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
			if n := pairs[k]; n > 0 && k != it.k {
				heap.Push(h, trainItem{k, n})
			} else if n <= 0 {
				delete(pairs, k)
			}
		}
	}
	cfg := BPEConfig{Vocab: vocab, Merges: merges, Pre: c.Pre}
	for i, s := range c.Specials {
		cfg.Added = append(cfg.Added, AddedToken{ID: len(tokens) + i, Content: s, Special: true})
		if s == c.BOS {
			cfg.Prefix = []int{len(tokens) + i}
		}
	}
	return NewBPE(cfg)
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
