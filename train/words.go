package train

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/nn"
	"github.com/llink-go/llink/tensor"
)

// WordAlignConfig sets the word alignment that word slots
// ([llink.SlotsWords]) get before Stage B: their lexical map trained alone
// on the parallel pairs with [llink.WordLoss].
type WordAlignConfig struct {
	Steps int     `json:"steps"`
	Batch int     `json:"batch"`
	LR    float32 `json:"lr"`
	Seed  uint64  `json:"seed"`
}

// DefaultWordAlign returns the word alignment's settings.
func DefaultWordAlign() WordAlignConfig {
	return WordAlignConfig{Steps: 1500, Batch: 64, LR: 3e-3, Seed: 1}
}

// WordAlignResult reports a word alignment.
type WordAlignResult struct {
	Final   float64 // last training loss
	Recall  float64 // dev word recall@5 at the end ([WordRecall])
	Elapsed time.Duration
}

// AlignWords trains slots.Lexical (word slots) on the token states of
// foreign texts tok and the decoder ids words[i] of their English sides,
// with [llink.WordLoss] against the decoder's unit embedding rows unit, and
// reports the dev word recall (devTok, devWords; may be empty) as it goes.
func AlignWords(slots *llink.Slots, tok *llink.Tokens, words [][]int, unit *tensor.Tensor, devTok *llink.Tokens, devWords [][]int, c WordAlignConfig, log func(StepLog)) (WordAlignResult, error) {
	var res WordAlignResult
	if slots.Lexical == nil {
		return res, fmt.Errorf("train: word alignment needs word slots")
	}
	if tok.Len() != len(words) || tok.Len() < c.Batch || c.Batch < 1 || c.Steps < 1 {
		return res, fmt.Errorf("train: word alignment: %d texts, %d English sides, batch %d, %d steps", tok.Len(), len(words), c.Batch, c.Steps)
	}
	start := time.Now()
	params := slots.LexicalParams()
	opt := nn.NewAdamW([]nn.ParamGroup{{Params: params, LR: c.LR, WeightDecay: 0.01}}, 0.9, 0.98, 1e-8)
	opt.Schedule = nn.WarmupCosine(c.Steps/20, c.Steps, 0.01)
	src := rand.NewPCG(c.Seed, 0x30D5)
	rng := rand.New(src)
	tp := autograd.NewTape()
	loop := &Loop{Name: "train: word alignment", Params: params, Opt: opt, Clip: 1, Steps: c.Steps,
		Order: func() []int { return rng.Perm(tok.Len()) }, Examples: tok.Len(), Batch: c.Batch, RNG: src}
	loop.Step = func(step int, idx []int) (float32, error) {
		bt, err := pickTokens(tok, idx)
		if err != nil {
			return 0, err
		}
		bw := make([][]int, len(idx))
		for i, r := range idx {
			bw[i] = words[r]
		}
		tp.Reset()
		loss := llink.WordNCE(tp, slots.WordDirections(tp, bt), slots.SlotCounts(llink.Source{Tok: bt}), unit, bw)
		tp.Backward(loss)
		return loss.Item(), nil
	}
	loop.Log = func(entry StepLog) error {
		res.Final = entry.Loss
		if devTok != nil && devTok.Len() > 0 && (entry.Step == c.Steps || entry.Step%max(c.Steps/10, 1) == 0) {
			res.Recall = WordRecall(slots, devTok, devWords, unit, 5)
			r := res.Recall
			entry.Dev, entry.DevMetric = &r, "word recall@5"
		}
		if log != nil {
			log(entry)
		}
		return nil
	}
	err := loop.Run()
	res.Elapsed = time.Since(start)
	return res, err
}

// topIndices returns the indices of the cap(top) largest values of row,
// largest first (ties: the lower index), in top's storage.
func topIndices(row []float32, top []int) []int {
	top = top[:0]
	for j, x := range row {
		if len(top) == cap(top) && x <= row[top[len(top)-1]] {
			continue
		}
		if len(top) < cap(top) {
			top = append(top, j)
		} else {
			top[len(top)-1] = j
		}
		for p := len(top) - 1; p > 0 && row[top[p-1]] < x; p-- {
			top[p], top[p-1] = top[p-1], top[p]
		}
	}
	return top
}

// pickTokens gathers rows idx of tok.
func pickTokens(tok *llink.Tokens, idx []int) (*llink.Tokens, error) {
	rows := make([][]float32, len(idx))
	for i, r := range idx {
		rows[i] = tok.Row(r)
	}
	return llink.StackTokens(rows, tok.States.Dim(2))
}

// WordRecall is the share of each text's distinct English tokens (decoder
// ids words[i]) found among the top-m nearest decoder embeddings (cosine,
// unit rows) of any of its word slots, averaged over the texts: how much
// of the sentence the slots spell in the decoder's own vocabulary.
func WordRecall(slots *llink.Slots, tok *llink.Tokens, words [][]int, unit *tensor.Tensor, m int) float64 {
	dirs := slots.WordDirections(nil, tok).Value // [N, K, d]
	n, k, d := dirs.Dim(0), dirs.Dim(1), dirs.Dim(2)
	counts := slots.SlotCounts(llink.Source{Tok: tok})
	cos := tensor.MatMul(tensor.FromSlice(dirs.Data(), n*k, d), unit, false, true) // [N·K, V]
	v := unit.Dim(0)
	top := make([]int, 0, min(m, v))
	var sum float64
	for i := range n {
		near := map[int]bool{}
		for s := range slotsOf(counts, i, k) {
			for _, j := range topIndices(cos.Data()[(i*k+s)*v:][:v], top) {
				near[j] = true
			}
		}
		distinct := map[int]bool{}
		for _, t := range words[i] {
			distinct[t] = true
		}
		hit := 0
		for t := range distinct {
			if near[t] {
				hit++
			}
		}
		if len(distinct) > 0 {
			sum += float64(hit) / float64(len(distinct))
		}
	}
	return sum / float64(n)
}

// SpelledWords measures how well word slots spell chosen words of their
// texts: targets[i] lists words of text i (each its decoder token ids),
// and a word counts as spelled at rank m when each of its tokens is among
// the m nearest decoder embeddings (cosine, unit rows) of some word slot of
// that text. It returns the shares of all the words spelled at rank 1 and
// at rank m; a text without targets adds nothing, and no targets at all
// give 0, 0.
func SpelledWords(slots *llink.Slots, tok *llink.Tokens, targets [][][]int, unit *tensor.Tensor, m int) (top1, topM float64) {
	dirs := slots.WordDirections(nil, tok).Value // [N, K, d]
	n, k, d := dirs.Dim(0), dirs.Dim(1), dirs.Dim(2)
	if len(targets) != n {
		panic(fmt.Sprintf("train.SpelledWords: %d target lists for %d texts", len(targets), n))
	}
	counts := slots.SlotCounts(llink.Source{Tok: tok})
	cos := tensor.MatMul(tensor.FromSlice(dirs.Data(), n*k, d), unit, false, true) // [N·K, V]
	v := unit.Dim(0)
	top := make([]int, 0, min(m, v))
	var words, hit1, hitM int
	for i := range n {
		if len(targets[i]) == 0 {
			continue
		}
		near1, nearM := map[int]bool{}, map[int]bool{}
		for s := range slotsOf(counts, i, k) {
			for r, j := range topIndices(cos.Data()[(i*k+s)*v:][:v], top) {
				nearM[j] = true
				if r == 0 {
					near1[j] = true
				}
			}
		}
		for _, w := range targets[i] {
			all1, allM := len(w) > 0, len(w) > 0
			for _, t := range w {
				all1, allM = all1 && near1[t], allM && nearM[t]
			}
			words++
			if all1 {
				hit1++
			}
			if allM {
				hitM++
			}
		}
	}
	if words == 0 {
		return 0, 0
	}
	return float64(hit1) / float64(words), float64(hitM) / float64(words)
}
