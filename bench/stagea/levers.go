package main

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/models/safetensors"
	"github.com/llink-go/llink/nn"
	"github.com/llink-go/llink/tensor"
	"github.com/llink-go/llink/train"
	"github.com/llink-go/llink/train/eval"
)

// levers are Stage A options beyond train.TrainStageA's, measured here
// before anything else adopts them. With none set, run uses
// train.TrainStageA itself.
type levers struct {
	attnHeads int  // > 0: attention pooling over the token states (llink.AttnPool)
	learnTau  bool // a learnt temperature (llink.StageALossLearntTau)
}

func (l levers) any() bool { return l.attnHeads > 0 || l.learnTau }

// tokenSet holds the encoder's token states of N texts (the states the
// Reader pools: every layer's mean with -pool layers), text i's rows
// off[i]..off[i+1] of a [tokens, d] matrix kept in float16 (half the
// memory of float32: the embedded encoder spells real Khmer about one token
// per character).
type tokenSet struct {
	d   int
	off []int
	f16 []byte // little-endian float16, [tokens, d]
}

// batch returns the token states of texts idx, right-padded, as float32.
func (s *tokenSet) batch(idx []int) *llink.Tokens {
	T := 0
	for _, i := range idx {
		T = max(T, s.off[i+1]-s.off[i])
	}
	t := &llink.Tokens{States: tensor.New(len(idx), T, s.d), Mask: make([]bool, len(idx)*T)}
	dst := t.States.Data()
	for b, i := range idx {
		n := s.off[i+1] - s.off[i]
		src := s.f16[2*s.off[i]*s.d:]
		for k := range n * s.d {
			dst[b*T*s.d+k] = safetensors.F16ToF32(binary.LittleEndian.Uint16(src[2*k:]))
		}
		for j := range n {
			t.Mask[b*T+j] = true
		}
	}
	return t
}

// tokenStates returns the token states of texts, read from the cache
// folder when a file of the same student and texts is there, else
// computed (in batches of similar length) and written there.
func tokenStates(r *llink.Reader, texts []string, dir string) (*tokenSet, error) {
	h := sha256.New()
	fmt.Fprintf(h, "llink-stagea-tokens-v1\n%s\n%d\n", r.Fingerprint(), len(texts))
	for _, t := range texts {
		fmt.Fprintf(h, "%d:%s", len(t), t)
	}
	path := filepath.Join(dir, fmt.Sprintf("tokens-%x.safetensors", h.Sum(nil)[:12]))
	if s, err := readTokens(path, r.Dim(), len(texts)); err == nil {
		return s, nil
	}
	order := make([]int, len(texts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int { return len(texts[x]) - len(texts[y]) })
	d := r.Dim()
	rows := make([][]byte, len(texts))
	for lo := 0; lo < len(order); lo += 32 {
		idx := order[lo:min(lo+32, len(order))]
		sub := make([]string, len(idx))
		for j, i := range idx {
			sub[j] = texts[i]
		}
		tok, err := r.Tokens(sub)
		if err != nil {
			return nil, err
		}
		for j, i := range idx {
			row := tok.Row(j)
			b := make([]byte, 2*len(row))
			for k, v := range row {
				binary.LittleEndian.PutUint16(b[2*k:], safetensors.F32ToF16(v))
			}
			rows[i] = b
		}
	}
	s := &tokenSet{d: d, off: make([]int, len(texts)+1)}
	lens := make([]float32, len(texts))
	for i, b := range rows {
		n := len(b) / (2 * d)
		s.off[i+1], lens[i] = s.off[i]+n, float32(n)
	}
	s.f16 = make([]byte, 0, 2*s.off[len(texts)]*d)
	for i := range rows {
		s.f16, rows[i] = append(s.f16, rows[i]...), nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	err := safetensors.Write(path, []safetensors.Tensor{
		{Name: "states", DType: safetensors.F16, Shape: []int{s.off[len(texts)], d}, Data: s.f16},
		safetensors.FromFloat32("lengths", []int{len(texts)}, lens, safetensors.F32),
	}, map[string]string{"student": r.Fingerprint(), "texts": strconv.Itoa(len(texts))})
	return s, err
}

// readTokens reads a token-state file tokenStates wrote.
func readTokens(path string, d, n int) (*tokenSet, error) {
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, err
	}
	lens, err := f.Float32("lengths")
	if err != nil {
		return nil, err
	}
	raw, err := f.Bytes("states")
	if err != nil {
		return nil, err
	}
	if len(lens) != n {
		return nil, fmt.Errorf("%s: %d texts, want %d", path, len(lens), n)
	}
	s := &tokenSet{d: d, off: make([]int, n+1), f16: raw}
	for i, l := range lens {
		s.off[i+1] = s.off[i] + int(l)
	}
	if len(raw) != 2*s.off[n]*d {
		return nil, fmt.Errorf("%s: %d bytes of states for %d tokens of width %d", path, len(raw), s.off[n], d)
	}
	return s, nil // the file stays mapped for the run
}

// studentVectors returns Stage A's student vectors of the pairs: the cached
// pooled vectors z, or with attention pooling ap its pooling of the token
// states tok (128 texts at a time).
func studentVectors(z *tensor.Tensor, ap *llink.AttnPool, tok *tokenSet) *tensor.Tensor {
	if ap == nil {
		return z
	}
	out := tensor.New(z.Dim(0), z.Dim(1))
	for lo := 0; lo < z.Dim(0); lo += 128 {
		idx := make([]int, 0, 128)
		for i := lo; i < min(lo+128, z.Dim(0)); i++ {
			idx = append(idx, i)
		}
		copy(out.Data()[lo*z.Dim(1):], ap.Pool(tok.batch(idx)).Data())
	}
	return out
}

// trainLevers is train.TrainStageA (the same data order, dropout draws,
// hard negatives, schedule, clipping and choice of the best selection MRR)
// with the levers' modules: ap (non-nil: attention pooling of the token
// states trainTok and selTok instead of the pooled vectors) and logScale
// (non-nil: a learnt temperature instead of the annealed one). Their
// parameters train with the projector's learning rate and no weight decay.
// With neither it gives train.TrainStageA's projector bit for bit (tested).
func trainLevers(proj *llink.Projector, ap *llink.AttnPool, logScale *autograd.Var, trainSet, sel train.Pairs,
	trainTok, selTok *tokenSet, c train.StageAConfig) (train.StageAResult, error) {
	if err := c.Validate(); err != nil {
		return train.StageAResult{}, err
	}
	if err := trainSet.Validate(); err != nil {
		return train.StageAResult{}, fmt.Errorf("train set: %w", err)
	}
	start := time.Now()
	params := proj.Params()
	groups := []nn.ParamGroup{{Params: params, LR: c.LR, WeightDecay: c.WeightDecay}}
	var extra []*autograd.Var
	if ap != nil {
		extra = append(extra, ap.Params()...)
	}
	if logScale != nil {
		extra = append(extra, logScale)
	}
	if len(extra) > 0 {
		groups = append(groups, nn.ParamGroup{Params: extra, LR: c.LR})
	}
	all := append(slices.Clone(params), extra...)
	opt := nn.NewAdamW(groups, c.Beta1, c.Beta2, 1e-8)
	opt.Schedule = nn.WarmupCosine(c.Warmup, c.Steps, c.LRMin/c.LR)
	src := rand.NewPCG(c.Seed, 0xA11CE)
	rng := rand.New(src)
	queue := llink.NewQueue(min(c.QueueSize, trainSet.Len()), trainSet.H.Dim(1))
	tp := autograd.NewTape()
	var res train.StageAResult
	res.Best.MRR = -1
	var best []*tensor.Tensor
	loop := &train.Loop{Name: "stagea: stage A with levers", Params: all, Opt: opt, Clip: c.Clip, Steps: c.Steps,
		Order: func() []int { return rng.Perm(trainSet.Len()) }, Examples: trainSet.Len(), Batch: c.Batch, RNG: src}
	loop.Step = func(step int, idx []int) (float32, error) {
		ids := make([]int, len(idx))
		for i, r := range idx {
			ids[i] = trainSet.IDs[r]
		}
		h := gather(trainSet.H, idx)
		tp.Reset()
		var z *autograd.Var
		if ap != nil {
			z = ap.Forward(tp, trainTok.batch(idx))
		} else {
			z = autograd.Const(gather(trainSet.Z, idx))
		}
		p := proj.Forward(tp, z, rng)
		neg := queue.Hardest(p.Value, c.HardM, ids)
		var loss *autograd.Var
		if logScale != nil {
			loss = llink.StageALossLearntTau(tp, p, h, neg, logScale, c.Weights)
		} else {
			loss = llink.StageALoss(tp, p, h, neg, llink.Tau(step, c.Steps, c.TauStart, c.TauEnd), c.Weights)
		}
		tp.Backward(loss)
		queue.Push(h, ids)
		return loss.Item(), nil
	}
	loop.Log = func(entry train.StepLog) error {
		res.Final = entry.Loss
		if sel.Len() > 0 && (entry.Step == c.Steps || c.EvalEvery > 0 && entry.Step%c.EvalEvery == 0) {
			q := proj.Project(studentVectors(sel.Z, ap, selTok))
			m, err := eval.CosineRetrieval(q.Data(), sel.H.Data(), sel.Len(), sel.H.Dim(1))
			if err != nil {
				return err
			}
			if m.MRR > res.Best.MRR {
				res.Best, res.BestStep, best = m, entry.Step, snapshotOf(all)
			}
		}
		return nil
	}
	if err := loop.Run(); err != nil {
		return res, err
	}
	if best != nil {
		for i, p := range all {
			p.Value.CopyFrom(best[i])
		}
	} else {
		res.BestStep = c.Steps
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// gather returns rows idx of x.
func gather(x *tensor.Tensor, idx []int) *tensor.Tensor {
	out := tensor.New(len(idx), x.Dim(1))
	for i, r := range idx {
		copy(out.Row(i), x.Row(r))
	}
	return out
}

// snapshotOf copies the parameters' values.
func snapshotOf(params []*autograd.Var) []*tensor.Tensor {
	out := make([]*tensor.Tensor, len(params))
	for i, p := range params {
		out[i] = p.Value.Clone()
	}
	return out
}
