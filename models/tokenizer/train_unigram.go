package tokenizer

import (
	"fmt"
	"math"
	"sort"
	"unicode/utf8"
)

// UnigramTrainConfig configures [TrainUnigram].
type UnigramTrainConfig struct {
	// VocabSize is the total size, the 4 XLM-R specials included.
	VocabSize int
	// MaxPieceLen bounds a piece's length in characters (default 16).
	MaxPieceLen int
	// SeedFactor: the seed vocabulary holds SeedFactor×VocabSize of the most
	// frequent substrings (default 8).
	SeedFactor int
	// EMIters per pruning round (default 2).
	EMIters int
}

// TrainUnigram learns a SentencePiece-style Unigram vocabulary with the
// XLM-R id layout (<s>=0, <pad>=1, </s>=2, <unk>=3, then pieces, <mask>
// last; Encode(text, true) adds <s> … </s>). Text is normalised with the
// NFKC-like fallback and split into ▁-prefixed words. Training is a
// simplified SentencePiece: a seed of frequent substrings, then rounds of
// hard EM (Viterbi counts → log probabilities) each pruning the pieces whose
// removal costs least (approximated by their Viterbi count), until
// VocabSize; every character seen is kept so nothing becomes unknown. It is
// deterministic.
func TrainUnigram(texts []string, c UnigramTrainConfig) (*Unigram, error) {
	if c.MaxPieceLen <= 0 {
		c.MaxPieceLen = 16
	}
	if c.SeedFactor <= 0 {
		c.SeedFactor = 8
	}
	if c.EMIters <= 0 {
		c.EMIters = 2
	}
	const nSpecial = 5 // <s> <pad> </s> <unk> <mask>
	if c.VocabSize < nSpecial+1 {
		return nil, fmt.Errorf("tokenizer: vocab size %d too small", c.VocabSize)
	}
	words, wlist := metaspaceWords(texts)
	pieces, chars := seedPieces(words, wlist, c)
	target := c.VocabSize - nSpecial
	for {
		for it := 0; it < c.EMIters; it++ {
			viterbiCounts(pieces, words, wlist)
		}
		if len(pieces) <= target || !prune(pieces, chars, target) {
			break
		}
	}
	return buildUnigram(pieces), nil
}

// metaspaceWords normalises texts as the Unigram model does and counts
// their ▁-prefixed words; wlist lists them in lexicographic order.
func metaspaceWords(texts []string) (words map[string]int, wlist []string) {
	norm := &Unigram{dummy: true}
	words = map[string]int{}
	for _, t := range texts {
		s := norm.Normalize(t)
		for len(s) > 0 {
			end := wordEnd(s)
			words[s[:end]]++
			s = s[end:]
		}
	}
	wlist = make([]string, 0, len(words))
	for w := range words {
		wlist = append(wlist, w)
	}
	sort.Strings(wlist)
	return words, wlist
}

// scored is a candidate piece with its score (seed: frequency × length;
// pruning: Viterbi count).
type scored struct {
	s     string
	score float64
}

// sortScored orders pieces by descending score, ties by spelling.
func sortScored(ps []scored) {
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].score != ps[j].score {
			return ps[i].score > ps[j].score
		}
		return ps[i].s < ps[j].s
	})
}

// seedPieces returns the seed vocabulary — every character seen (the set
// chars, which pruning keeps) and the SeedFactor×VocabSize substrings of
// up to MaxPieceLen characters seen at least twice that score highest by
// frequency × length — with their scores.
func seedPieces(words map[string]int, wlist []string, c UnigramTrainConfig) (pieces map[string]float64, chars map[string]bool) {
	chars = map[string]bool{}
	sub := map[string]int{}
	for _, w := range wlist {
		n := words[w]
		var bounds []int
		for i := range w {
			bounds = append(bounds, i)
		}
		bounds = append(bounds, len(w))
		for a := 0; a+1 < len(bounds); a++ {
			chars[w[bounds[a]:bounds[a+1]]] = true
			for b := a + 2; b < len(bounds) && b-a <= c.MaxPieceLen; b++ {
				sub[w[bounds[a]:bounds[b]]] += n
			}
		}
	}
	var cands []scored
	for s, n := range sub {
		if n >= 2 && s != Metaspace {
			cands = append(cands, scored{s, float64(n) * float64(utf8.RuneCountInString(s))})
		}
	}
	sortScored(cands)
	if max := c.SeedFactor * c.VocabSize; len(cands) > max {
		cands = cands[:max]
	}
	pieces = map[string]float64{}
	for ch := range chars {
		pieces[ch] = 1
	}
	for _, cd := range cands {
		pieces[cd.s] = cd.score
	}
	return pieces, chars
}

// viterbiCounts is one hard EM step: each piece's new score is how often
// the best segmentations of the words (under the current scores) use it.
func viterbiCounts(pieces map[string]float64, words map[string]int, wlist []string) {
	u := buildUnigram(pieces)
	cnt := map[string]float64{}
	for _, w := range wlist {
		for _, id := range u.viterbi(nil, w) {
			cnt[u.pieces[id]] += float64(words[w])
		}
	}
	for p := range pieces {
		pieces[p] = cnt[p]
	}
}

// prune drops the least used multi-character pieces, a quarter of the
// vocabulary per round but never below target; false when there is
// nothing left to drop.
func prune(pieces map[string]float64, chars map[string]bool, target int) bool {
	keep := max(target, len(pieces)*3/4)
	var multi []scored
	for p, n := range pieces {
		if !chars[p] {
			multi = append(multi, scored{p, n})
		}
	}
	sortScored(multi)
	room := max(keep-(len(pieces)-len(multi)), 0)
	if room >= len(multi) {
		return false
	}
	for _, m := range multi[room:] {
		delete(pieces, m.s)
	}
	return true
}

// buildUnigram makes the model of the pieces and their scores (log of the
// score's share, scores below 0.5 counted as 0.5) in the XLM-R layout.
func buildUnigram(pieces map[string]float64) *Unigram {
	keys := make([]string, 0, len(pieces))
	for p := range pieces {
		keys = append(keys, p)
	}
	sort.Strings(keys)
	total := 0.0
	for _, k := range keys {
		total += pieces[k]
	}
	ps := []string{"<s>", "<pad>", "</s>", "<unk>"}
	sc := []float64{0, 0, 0, 0}
	ty := []int{TypeControl, TypeControl, TypeControl, TypeUnknown}
	for _, k := range keys {
		ps = append(ps, k)
		sc = append(sc, math.Log(max(pieces[k], 0.5)/total))
		ty = append(ty, TypeNormal)
	}
	ps = append(ps, "<mask>")
	sc = append(sc, 0)
	ty = append(ty, TypeUserDefined)
	u, err := NewUnigram(UnigramConfig{Pieces: ps, Scores: sc, Types: ty, UnkID: 3, AddDummyPrefix: true,
		Prefix: []int{0}, Suffix: []int{2}})
	if err != nil {
		panic(err) // unreachable: the inputs are well formed
	}
	return u
}
