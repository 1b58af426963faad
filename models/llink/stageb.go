package llink

import (
	"fmt"
	"math/rand/v2"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/nn"
	"github.com/llink-go/llink/tensor"
)

// StageBWeights are the coefficients of the Stage B loss terms besides the
// answer cross-entropy.
type StageBWeights struct {
	Usage      float32 `json:"usage"`        // λ_use (paper: 0.05)
	Margin     float32 `json:"margin"`       // m ≥ 0 (paper default: 0)
	UsageEvery int     `json:"usage_every"`  // apply the usage term every n-th step (paper: 3)
	AlignMSE   float32 `json:"align_mse"`    // slot-mean direction MSE (paper: 0.05)
	AlignNCE   float32 `json:"align_nce"`    // slot-mean InfoNCE (paper: 0.001)
	AlignTau   float32 `json:"align_tau"`    // its temperature (paper: 0.07)
	BagOfWords float32 `json:"bag_of_words"` // optional BCE head (paper: 0.1; 0 = off)
	// Words weighs [WordLoss], which ties the slots to the decoder's own
	// embeddings of the English passage's tokens (not in the paper; 0 = off).
	Words float32 `json:"words,omitempty"`
}

// DefaultStageBWeights returns the paper's values with the bag-of-words head
// off (costly for big vocabularies; `llink ablate` turns it on).
func DefaultStageBWeights() StageBWeights {
	return StageBWeights{Usage: 0.05, Margin: 0, UsageEvery: 3, AlignMSE: 0.05, AlignNCE: 0.001, AlignTau: 0.07}
}

// UsageLoss is the usage-enforcement hinge max(0, m + CE_with − CE_zero):
// it is positive — and pushes the slots to help — whenever the answer loss
// with the slots is not at least m below the loss with the slot positions
// holding the plain <fi> embeddings. This is the sign of the authors'
// write-up; their released code has it reversed, which would reward
// ignoring the slots (see LLINK.md). CE_zero is a constant here: gradients
// flow through CE_with only.
func UsageLoss(tp *autograd.Tape, ceWith *autograd.Var, ceZero float32, margin float32) *autograd.Var {
	return tp.Clamp(tp.AddScalar(ceWith, margin-ceZero), 0, float32(1e30))
}

// SlotAlignLoss ties the mean of the K slots to the Stage A teacher vector:
// wMSE·mean_i‖ŝ̄ᵢ−ĥᵢ‖² + wNCE·InfoNCE_τ(ŝ̄, ĥ) for slots [N, K, d] and
// teachers h [N, d] (constants; x̂ = x/‖x‖). With counts (dynamic K) text
// i's mean is over its first counts[i] slots; nil means all K.
func SlotAlignLoss(tp *autograd.Tape, slots *autograd.Var, counts []int, h *tensor.Tensor, wMSE, wNCE, tau float32) *autograd.Var {
	s := slots.Shape()
	if len(s) != 3 || h.Dims() != 2 || h.Dim(0) != s[0] || h.Dim(1) != s[2] {
		panic(fmt.Sprintf("llink.SlotAlignLoss: slots %v and teachers %v must be [N, K, d] and [N, d]", s, h.Shape()))
	}
	mean := tp.L2Normalize(slotMean(tp, slots, counts), 1e-12)
	hn := autograd.Const(UnitRows(h))
	loss := tp.Scale(tp.MSE(mean, hn), wMSE*float32(s[2]))
	if wNCE != 0 && s[0] > 1 {
		loss = tp.Add(loss, tp.Scale(tp.InfoNCE(mean, hn, nil, tau, false), wNCE))
	}
	return loss
}

// checkCounts panics unless counts (nil, or one count in 1..k per text)
// fit slots of shape s [N, K, d]: a programmer error.
func checkCounts(op string, s []int, counts []int) {
	if counts == nil {
		return
	}
	if len(counts) != s[0] {
		panic(fmt.Sprintf("llink.%s: %d slot counts for slots %v", op, len(counts), s))
	}
	for i, k := range counts {
		if k < 1 || k > s[1] {
			panic(fmt.Sprintf("llink.%s: text %d has %d slots, want 1..%d", op, i, k, s[1]))
		}
	}
}

// slotMean returns the mean of each text's slots [N, K, d] → [N, d]: of
// its first counts[i] (dynamic K), or of all K when counts is nil.
func slotMean(tp *autograd.Tape, slots *autograd.Var, counts []int) *autograd.Var {
	if counts == nil {
		return tp.MeanAxis(slots, 1, false)
	}
	s := slots.Shape()
	checkCounts("slotMean", s, counts)
	w := tensor.New(s[0], s[1], 1)
	for i, k := range counts {
		for j := range k {
			w.Data()[i*s[1]+j] = 1 / float32(k)
		}
	}
	return tp.SumAxis(tp.Mul(slots, autograd.Const(w)), 1, false)
}

// wordTau is [WordLoss]'s temperature on cosine similarities.
const wordTau = 0.1

// padScore is the word score a padding slot gets (dynamic K).
const padScore = -1e9

// WordLoss ties slots [N, K, d] to the decoder's own token embeddings unit
// [V, d] (a constant with unit rows, [UnitRows], normalised once by the
// caller rather than every step): for text i, every token of words[i] (its English
// passage, as decoder ids) should be close to at least one of its K slots
// and the rest of the vocabulary should not — the mean binary
// cross-entropy of LSE_k(cos(s_k, e_v)/τ) against the multi-hot of
// words[i]. The Stage A teacher, one sentence state, keeps little of a
// sentence's place or date (docs/EXPERIMENTS.md); this term asks the slots
// for them in the form the decoder reads and writes them. With counts
// (dynamic K) only text i's first counts[i] slots count; nil means all K.
// Ids outside the vocabulary are a programmer error and panic.
func WordLoss(tp *autograd.Tape, slots *autograd.Var, counts []int, unit *tensor.Tensor, words [][]int) *autograd.Var {
	s := slots.Shape()
	if len(s) != 3 || s[0] != len(words) || unit.Dims() != 2 || unit.Dim(1) != s[2] {
		panic(fmt.Sprintf("llink.WordLoss: slots %v for %d texts and embeddings %v", s, len(words), unit.Shape()))
	}
	n, v := s[0], unit.Dim(0)
	y := tensor.New(n, v)
	for i, ws := range words {
		for _, t := range ws {
			if t < 0 || t >= v {
				panic(fmt.Sprintf("llink.WordLoss: text %d has token %d outside vocabulary %d", i, t, v))
			}
			y.Row(i)[t] = 1
		}
	}
	return tp.BCEWithLogits(wordScores(tp, slots, counts, unit), y)
}

// wordScores returns LSE_k(cos(s_k, e_v)/τ) [N, V]: how close the best of
// each text's K slots (slots [N, K, d]; with counts, its first counts[i])
// is to every unit embedding row e_v — the score both word losses read.
func wordScores(tp *autograd.Tape, slots *autograd.Var, counts []int, unit *tensor.Tensor) *autograd.Var {
	cos := tp.MatMul(tp.L2Normalize(slots, 1e-12), autograd.Const(unit), false, true) // [N, K, V]
	x := tp.TransposeLast2(tp.Scale(cos, 1/wordTau))                                  // [N, V, K]
	if counts != nil {
		// Padding slots get a score far below any real one (|cos/τ| ≤ 10):
		// their share of the log-sum-exp underflows to zero, and so does
		// their gradient.
		s := slots.Shape()
		checkCounts("wordScores", s, counts)
		pad := tensor.New(s[0], 1, s[1])
		for i, k := range counts {
			for j := k; j < s[1]; j++ {
				pad.Data()[i*s[1]+j] = padScore
			}
		}
		x = tp.Add(x, autograd.Const(pad))
	}
	// log-sum-exp over the K slots: x_0 − logsoftmax(x)_0.
	lse := tp.Slice(tp.Sub(x, tp.LogSoftmax(x)), 2, 0, 1)
	return tp.Reshape(lse, slots.Shape()[0], unit.Dim(0))
}

// WordNCE is the word alignment's loss for slots [N, K, d] against the
// decoder's unit embedding rows unit [V, d]: every distinct token t of
// text i's English words[i] should rank high among the vocabulary by
// LSE_k(cos(s_k, e_v)/τ) — the mean over those (i, t) of the cross-entropy
// of that score's softmax over the vocabulary at t. Unlike [WordLoss]'s
// per-token binary terms, which the vocabulary's many absent tokens
// dominate, it asks directly that a sentence's words be the slots' nearest
// neighbours. counts are as [WordLoss]'s. Ids outside the vocabulary are a
// programmer error and panic.
func WordNCE(tp *autograd.Tape, slots *autograd.Var, counts []int, unit *tensor.Tensor, words [][]int) *autograd.Var {
	s := slots.Shape()
	if len(s) != 3 || s[0] != len(words) || unit.Dims() != 2 || unit.Dim(1) != s[2] {
		panic(fmt.Sprintf("llink.WordNCE: slots %v for %d texts and embeddings %v", s, len(words), unit.Shape()))
	}
	v := unit.Dim(0)
	var rows, targets []int
	for i, ws := range words {
		seen := map[int]bool{}
		for _, t := range ws {
			if t < 0 || t >= v {
				panic(fmt.Sprintf("llink.WordNCE: text %d has token %d outside vocabulary %d", i, t, v))
			}
			if !seen[t] {
				seen[t] = true
				rows, targets = append(rows, i), append(targets, t)
			}
		}
	}
	return tp.CrossEntropy(tp.Gather(wordScores(tp, slots, counts, unit), rows), targets, -100)
}

// BagOfWords is the optional Stage B bag-of-words head (LLINK.md: "0.1·BCE
// (bag-of-words head on s̄ vs multi-hot answer tokens)"): a linear map from
// the mean of the K slots to one logit per decoder vocabulary entry, trained
// with binary cross-entropy against the set of tokens in the answer. It is a
// training-time auxiliary only — generation never reads it — so it is not
// part of [Slots] nor of a saved bundle.
type BagOfWords struct {
	Head *nn.Linear // [vocab, d], "bow.head.*"
}

// NewBagOfWords returns a head from slot width d to vocab logits.
func NewBagOfWords(d, vocab int, r *rand.Rand) *BagOfWords {
	return &BagOfWords{Head: nn.NewLinear("bow.head", d, vocab, true, nil, r)}
}

// Params lists the head's parameters.
func (b *BagOfWords) Params() []*autograd.Var { return b.Head.Params() }

// Loss returns the mean BCE of the head's logits on the slot mean of slots
// [N, K, d] (with counts, of text i's first counts[i]; nil: all K) against
// the multi-hot rows of answers (answers[i] are example i's answer token
// ids; repeats count once, ids outside the vocabulary are a programmer
// error and panic).
func (b *BagOfWords) Loss(tp *autograd.Tape, slots *autograd.Var, counts []int, answers [][]int) *autograd.Var {
	s := slots.Shape()
	if len(s) != 3 || s[0] != len(answers) || s[2] != b.Head.In {
		panic(fmt.Sprintf("llink.BagOfWords.Loss: slots %v for %d answers and head width %d", s, len(answers), b.Head.In))
	}
	v := b.Head.Out
	y := tensor.New(len(answers), v)
	for i, ans := range answers {
		row := y.Row(i)
		for _, t := range ans {
			if t < 0 || t >= v {
				panic(fmt.Sprintf("llink.BagOfWords.Loss: answer %d has token %d outside vocabulary %d", i, t, v))
			}
			row[t] = 1
		}
	}
	return tp.BCEWithLogits(b.Head.Forward(tp, slotMean(tp, slots, counts)), y)
}
