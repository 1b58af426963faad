// Package eval computes LLINK's evaluation metrics exactly: cross-lingual
// retrieval (R@k, MRR, mean and median rank), task quality (normalised exact
// match, chrF, numeric fidelity) and decoder token usage.
//
// Every metric is a pure function of its inputs, deterministic and
// independent of the model code, so it can be tested on hand-made cases.
package eval

import (
	"fmt"
	"math"
	"slices"
)

// Retrieval holds ranking metrics of queries against a candidate pool where
// query i's correct candidate is candidate i.
type Retrieval struct {
	N          int     `json:"n"`               // queries (= candidates)
	R1         float64 `json:"r_at_1"`          // share with rank 1
	R5         float64 `json:"r_at_5"`          // share with rank ≤ 5
	R10        float64 `json:"r_at_10"`         // share with rank ≤ 10
	MRR        float64 `json:"mrr"`             // mean of 1/rank
	MeanRank   float64 `json:"mean_rank"`       // mean rank (1 = best)
	MedianRank float64 `json:"median_rank"`     // median rank
	Ranks      []int   `json:"ranks,omitempty"` // rank of each query's positive
}

// RanksFromSimilarity returns, for each row i of the n×n similarity matrix
// sim (row-major), the rank of the positive sim[i][i] among the row:
// 1 + the number of other candidates scoring strictly higher + the number
// scoring exactly the same (ties count against the query: a model that
// scores everything equal gets rank n, not 1). NaN scores are an error.
func RanksFromSimilarity(sim []float32, n int) ([]int, error) {
	if len(sim) != n*n {
		return nil, fmt.Errorf("eval: similarity matrix has %d values, want %d×%d", len(sim), n, n)
	}
	ranks := make([]int, n)
	for i := 0; i < n; i++ {
		row := sim[i*n : (i+1)*n]
		pos := row[i]
		if pos != pos {
			return nil, fmt.Errorf("eval: similarity[%d][%d] is NaN", i, i)
		}
		r := 1
		for j, s := range row {
			if s != s {
				return nil, fmt.Errorf("eval: similarity[%d][%d] is NaN", i, j)
			}
			if j != i && s >= pos {
				r++
			}
		}
		ranks[i] = r
	}
	return ranks, nil
}

// FromRanks computes the metrics from per-query ranks.
func FromRanks(ranks []int) Retrieval {
	n := len(ranks)
	m := Retrieval{N: n, Ranks: ranks}
	if n == 0 {
		return m
	}
	var rr, sum float64
	for _, r := range ranks {
		if r <= 1 {
			m.R1++
		}
		if r <= 5 {
			m.R5++
		}
		if r <= 10 {
			m.R10++
		}
		rr += 1 / float64(r)
		sum += float64(r)
	}
	fn := float64(n)
	m.R1, m.R5, m.R10 = m.R1/fn, m.R5/fn, m.R10/fn
	m.MRR, m.MeanRank = rr/fn, sum/fn
	s := slices.Clone(ranks)
	slices.Sort(s)
	if n%2 == 1 {
		m.MedianRank = float64(s[n/2])
	} else {
		m.MedianRank = float64(s[n/2-1]+s[n/2]) / 2
	}
	return m
}

// CosineRetrieval ranks each query (row of q, n×d) against all candidates
// (rows of c, n×d) by cosine similarity; query i's positive is candidate i.
func CosineRetrieval(q, c []float32, n, d int) (Retrieval, error) {
	sim, err := CosineMatrix(q, c, n, d)
	if err != nil {
		return Retrieval{}, err
	}
	ranks, err := RanksFromSimilarity(sim, n)
	if err != nil {
		return Retrieval{}, err
	}
	return FromRanks(ranks), nil
}

// CosineMatrix returns the n×n matrix of cosine similarities between the
// rows of q and c (each n×d), computed in float64. A zero row is an error:
// its cosine is undefined.
func CosineMatrix(q, c []float32, n, d int) ([]float32, error) {
	if len(q) != n*d || len(c) != n*d {
		return nil, fmt.Errorf("eval: want two %d×%d matrices, got %d and %d values", n, d, len(q), len(c))
	}
	norm := func(x []float32, name string) ([]float64, error) {
		out := make([]float64, len(x))
		for i := 0; i < n; i++ {
			var s float64
			for _, v := range x[i*d : (i+1)*d] {
				s += float64(v) * float64(v)
			}
			if s == 0 || math.IsNaN(s) || math.IsInf(s, 0) {
				return nil, fmt.Errorf("eval: %s row %d has norm %g", name, i, math.Sqrt(s))
			}
			inv := 1 / math.Sqrt(s)
			for j, v := range x[i*d : (i+1)*d] {
				out[i*d+j] = float64(v) * inv
			}
		}
		return out, nil
	}
	qn, err := norm(q, "query")
	if err != nil {
		return nil, err
	}
	cn, err := norm(c, "candidate")
	if err != nil {
		return nil, err
	}
	sim := make([]float32, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			var s float64
			a, b := qn[i*d:(i+1)*d], cn[j*d:(j+1)*d]
			for k := range a {
				s += a[k] * b[k]
			}
			sim[i*n+j] = float32(s)
		}
	}
	return sim, nil
}

// Transpose returns the n×n matrix transposed: the similarity matrix of the
// reverse retrieval direction.
func Transpose(sim []float32, n int) []float32 {
	t := make([]float32, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			t[j*n+i] = sim[i*n+j]
		}
	}
	return t
}

// BothWays ranks n queries q [n, d] against their n candidates c [n, d]
// (row i's positive is row i) by cosine, both ways: queries → candidates
// (forward) and candidates → queries (backward). corner is the top-left
// block×block corner of the similarity matrix, row-major (the positives on
// its diagonal), for a heat map.
func BothWays(q, c []float32, n, d, block int) (forward, backward Retrieval, corner []float32, err error) {
	sim, err := CosineMatrix(q, c, n, d)
	if err != nil {
		return forward, backward, nil, err
	}
	b := min(n, block)
	corner = make([]float32, b*b)
	for i := range b {
		copy(corner[i*b:(i+1)*b], sim[i*n:i*n+b])
	}
	ranks, err := RanksFromSimilarity(sim, n)
	if err != nil {
		return forward, backward, nil, err
	}
	back, err := RanksFromSimilarity(Transpose(sim, n), n)
	if err != nil {
		return forward, backward, nil, err
	}
	return FromRanks(ranks), FromRanks(back), corner, nil
}
