package tokenizer

import (
	"container/heap"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// PreTokenizer names how a BPE tokenizer cuts text into words before merging.
type PreTokenizer int

const (
	// PreLlama3 is the Llama-3 regex split followed by the byte-level map.
	PreLlama3 PreTokenizer = iota
	// PreGPT2 is GPT-2's regex split ('s|'t|…| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)
	// followed by the byte-level map.
	PreGPT2
	// PreByteLevelOnly maps bytes without splitting (each added-token-free
	// span is one word).
	PreByteLevelOnly
)

// BPEConfig is the plain-data description of a byte-level BPE tokenizer.
type BPEConfig struct {
	// Vocab maps each token (byte-level spelling) to its id.
	Vocab map[string]int
	// Merges in rank order, each "left right" (byte-level spelling).
	Merges []string
	// Added tokens (specials such as <|begin_of_text|>) matched whole in text.
	Added []AddedToken
	// Pre selects the pre-tokenizer.
	Pre PreTokenizer
	// IgnoreMerges emits a word whole when it is in the vocabulary (Llama-3).
	IgnoreMerges bool
	// Prefix and Suffix are the ids added by Encode(text, true).
	Prefix, Suffix []int
}

type pairKey struct{ a, b int32 }
type mergeVal struct{ rank, id int32 }

// BPE is a byte-level BPE tokenizer (GPT-2, Llama-3).
type BPE struct {
	vocab        map[string]int
	tokens       []string // id -> token ("" if unused)
	merges       map[pairKey]mergeVal
	mergeList    []string
	added        added
	pre          PreTokenizer
	ignoreMerges bool
	post         postProcessor
	byteID       [256]int32

	cache wordCache
}

const cacheMax = 1 << 16

// wordCache remembers the ids of recent words (cleared when full); safe
// for concurrent use.
type wordCache struct {
	mu sync.RWMutex
	m  map[string][]int32
}

// get returns the ids of w, computing and storing them on a miss.
func (c *wordCache) get(w string, compute func(string) []int32) []int32 {
	c.mu.RLock()
	ids, ok := c.m[w]
	c.mu.RUnlock()
	if ok {
		return ids
	}
	ids = compute(w)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= cacheMax {
		c.m = map[string][]int32{}
	}
	c.m[w] = ids
	c.mu.Unlock()
	return ids
}

func (c *wordCache) reset() {
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}

// NewBPE builds a byte-level BPE tokenizer from plain data. Every one of
// the 256 byte characters must be in the vocabulary; a merge whose parts or
// result are missing is an error.
func NewBPE(c BPEConfig) (*BPE, error) {
	t := &BPE{
		vocab:        make(map[string]int, len(c.Vocab)),
		merges:       make(map[pairKey]mergeVal, len(c.Merges)),
		mergeList:    append([]string(nil), c.Merges...),
		pre:          c.Pre,
		ignoreMerges: c.IgnoreMerges,
		post:         postProcessor{prefix: append([]int(nil), c.Prefix...), suffix: append([]int(nil), c.Suffix...)},
	}
	maxID := -1
	for s, id := range c.Vocab {
		if id < 0 || id >= idLimit(len(c.Vocab)+len(c.Added)) {
			return nil, fmt.Errorf("token %q has id %d out of range", s, id)
		}
		t.vocab[s] = id
		maxID = max(maxID, id)
	}
	for _, a := range c.Added {
		if a.ID < 0 || a.ID >= idLimit(len(c.Vocab)+len(c.Added)) {
			return nil, fmt.Errorf("added token %q has id %d out of range", a.Content, a.ID)
		}
		maxID = max(maxID, a.ID)
	}
	t.tokens = make([]string, maxID+1)
	for s, id := range t.vocab {
		t.tokens[id] = s
	}
	for b := 0; b < 256; b++ {
		id, ok := t.vocab[byteStr[b]]
		if !ok {
			return nil, fmt.Errorf("byte 0x%02x (%q) is not in the vocabulary", b, byteStr[b])
		}
		t.byteID[b] = int32(id)
	}
	for r, m := range c.Merges {
		l, rt, ok := strings.Cut(m, " ")
		if !ok {
			return nil, fmt.Errorf("merge %d %q has no space", r, m)
		}
		li, ok1 := t.vocab[l]
		ri, ok2 := t.vocab[rt]
		ni, ok3 := t.vocab[l+rt]
		if !ok1 || !ok2 || !ok3 {
			return nil, fmt.Errorf("merge %d %q uses tokens not in the vocabulary", r, m)
		}
		k := pairKey{int32(li), int32(ri)}
		if _, dup := t.merges[k]; !dup {
			t.merges[k] = mergeVal{int32(r), int32(ni)}
		}
	}
	for _, a := range c.Added {
		t.addAdded(a)
	}
	if err := checkPost(t.post, len(t.tokens)); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *BPE) addAdded(a AddedToken) {
	t.added.add(a)
	if a.ID >= len(t.tokens) {
		t.tokens = append(t.tokens, make([]string, a.ID+1-len(t.tokens))...)
	}
	if t.tokens[a.ID] == "" {
		t.tokens[a.ID] = a.Content
	}
}

// Encode implements [Tokenizer].
func (t *BPE) Encode(text string, addSpecial bool) []int {
	var ids []int
	for _, seg := range t.added.split(text) {
		if seg.id >= 0 {
			ids = append(ids, seg.id)
			continue
		}
		ids = t.encodeText(ids, seg.text)
	}
	if addSpecial {
		return t.post.apply(ids)
	}
	if ids == nil {
		ids = []int{}
	}
	return ids
}

func (t *BPE) encodeText(ids []int, text string) []int {
	emit := func(w string) {
		for _, id := range t.word(w) {
			ids = append(ids, int(id))
		}
	}
	switch t.pre {
	case PreLlama3:
		splitLlama3(text, emit)
	case PreGPT2:
		splitGPT2(text, emit)
	default:
		if text != "" {
			emit(text)
		}
	}
	return ids
}

// word returns the ids of one pre-token (raw bytes).
func (t *BPE) word(w string) []int32 {
	if len(w) == 1 {
		return []int32{t.byteID[w[0]]}
	}
	return t.cache.get(w, t.merge)
}

// symbol is one node of the doubly linked list merged in place.
type symbol struct {
	id         int32
	prev, next int32 // -1 at the ends
	dead       bool
}

type cand struct {
	rank, pos int32 // pair (pos, next(pos))
	l, r      int32 // ids when pushed, to detect stale entries
}

type candHeap []cand

func (h candHeap) Len() int { return len(h) }
func (h candHeap) Less(i, j int) bool {
	if h[i].rank != h[j].rank {
		return h[i].rank < h[j].rank
	}
	return h[i].pos < h[j].pos
}
func (h candHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *candHeap) Push(x any)   { *h = append(*h, x.(cand)) }
func (h *candHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// merge splits a word into bytes and applies the merges by rank.
func (t *BPE) merge(w string) []int32 {
	if t.ignoreMerges {
		if id, ok := t.vocab[ByteLevelEncode(w)]; ok {
			return []int32{int32(id)}
		}
	}
	ids := make([]int32, len(w))
	for i := 0; i < len(w); i++ {
		ids[i] = t.byteID[w[i]]
	}
	return mergeSymbols(ids, t.merges)
}

// mergeSymbols applies merges to a word given as symbol ids: the pair of
// lowest rank first, the leftmost among equal ranks, using a heap over a
// linked list of symbols. It returns the merged ids (reusing ids).
func mergeSymbols(ids []int32, merges map[pairKey]mergeVal) []int32 {
	if len(ids) < 2 {
		return ids
	}
	syms := make([]symbol, len(ids))
	for i, id := range ids {
		syms[i] = symbol{id: id, prev: int32(i - 1), next: int32(i + 1)}
	}
	syms[len(ids)-1].next = -1
	h := make(candHeap, 0, len(ids))
	push := func(i int32) {
		j := syms[i].next
		if j < 0 {
			return
		}
		if m, ok := merges[pairKey{syms[i].id, syms[j].id}]; ok {
			heap.Push(&h, cand{m.rank, i, syms[i].id, syms[j].id})
		}
	}
	for i := 0; i < len(ids)-1; i++ {
		if m, ok := merges[pairKey{syms[i].id, syms[i+1].id}]; ok {
			h = append(h, cand{m.rank, int32(i), syms[i].id, syms[i+1].id})
		}
	}
	heap.Init(&h)
	for h.Len() > 0 {
		c := heap.Pop(&h).(cand)
		a := &syms[c.pos]
		if a.dead || a.id != c.l || a.next < 0 {
			continue
		}
		b := &syms[a.next]
		if b.id != c.r {
			continue
		}
		m := merges[pairKey{a.id, b.id}]
		a.id = m.id
		b.dead = true
		a.next = b.next
		if b.next >= 0 {
			syms[b.next].prev = c.pos
		}
		if a.prev >= 0 {
			push(a.prev)
		}
		push(c.pos)
	}
	out := ids[:0]
	for i := int32(0); i >= 0; i = syms[i].next {
		out = append(out, syms[i].id)
	}
	return out
}

// Decode implements [Tokenizer]: byte-level tokens become their raw bytes
// (kept as is, even when a sequence cuts a UTF-8 character), added tokens
// their content. Unknown ids are skipped.
func (t *BPE) Decode(ids []int) string {
	var sb strings.Builder
	for _, id := range ids {
		if id < 0 || id >= len(t.tokens) {
			continue
		}
		if i, ok := t.added.byID[id]; ok {
			sb.WriteString(t.added.toks[i].Content)
			continue
		}
		s := t.tokens[id]
		for _, r := range s {
			if b, ok := runeToByte[r]; ok {
				sb.WriteByte(b)
			} else if r != utf8.RuneError {
				sb.WriteRune(r)
			}
		}
	}
	return sb.String()
}

// VocabSize implements [Tokenizer].
func (t *BPE) VocabSize() int { return len(t.tokens) }

// TokenID implements [Tokenizer].
func (t *BPE) TokenID(s string) (int, bool) {
	if i, ok := t.added.byText[s]; ok {
		return t.added.toks[i].ID, true
	}
	id, ok := t.vocab[s]
	return id, ok
}

// Token implements [Tokenizer].
func (t *BPE) Token(id int) (string, bool) {
	if id < 0 || id >= len(t.tokens) || t.tokens[id] == "" {
		return "", false
	}
	return t.tokens[id], true
}

// AddSpecialTokens implements [Tokenizer].
func (t *BPE) AddSpecialTokens(tokens ...string) []int {
	out := make([]int, len(tokens))
	for i, s := range tokens {
		if id, ok := t.TokenID(s); ok {
			if _, isAdded := t.added.byText[s]; !isAdded {
				t.added.add(AddedToken{ID: id, Content: s, Special: true})
			}
			out[i] = id
			continue
		}
		id := len(t.tokens)
		t.addAdded(AddedToken{ID: id, Content: s, Special: true})
		out[i] = id
	}
	t.cache.reset()
	return out
}

// Added returns the added tokens in the order they were added.
func (t *BPE) Added() []AddedToken { return append([]AddedToken(nil), t.added.toks...) }
