package main

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/models/safetensors"
	"github.com/llink-go/llink/tensor"
	"github.com/llink-go/llink/train"
)

// levers are the Stage A options (train.StageALevers) the bench's flags
// set. With none set, run uses train.TrainStageA.
type levers struct {
	attnHeads  int     // > 0: attention pooling over the token states (llink.AttnPool)
	learnTau   bool    // a learnt temperature (llink.StageALossLearntTau)
	mixEnglish float64 // > 0: English rows with this probability (englishMix)
	mixShift   bool    // the English rows moved by the languages' mean difference (shiftMean)
}

func (l levers) any() bool { return l.attnHeads > 0 || l.learnTau || l.mixEnglish > 0 }

// check reports a combination of levers the bench cannot run.
func (l levers) check() error {
	switch {
	case l.attnHeads < 0:
		return fmt.Errorf("-attn-heads %d: want ≥ 0", l.attnHeads)
	case l.mixEnglish < 0 || l.mixEnglish > 1 || math.IsNaN(l.mixEnglish):
		return fmt.Errorf("-mix-english %g: want a probability in [0, 1]", l.mixEnglish)
	case l.mixShift && l.mixEnglish == 0:
		return errors.New("-mix-shift moves the English rows of -mix-english: give -mix-english too")
	case l.mixEnglish > 0 && l.attnHeads > 0:
		return errors.New("-mix-english mixes pooled vectors: not with -attn-heads (no English token states)")
	}
	return nil
}

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

// leverSet returns the training levers of an attention pooling ap (nil:
// none) over the training and selection token states.
func leverSet(ap *llink.AttnPool, trainTok *tokenSet, sel train.Pairs, selTok *tokenSet) train.StageALevers {
	if ap == nil {
		return train.StageALevers{}
	}
	return train.StageALevers{
		Student:    func(tp *autograd.Tape, idx []int) *autograd.Var { return ap.Forward(tp, trainTok.batch(idx)) },
		DevStudent: func() *tensor.Tensor { return studentVectors(sel.Z, ap, selTok) },
		Params:     ap.Params(),
	}
}

// englishMix is Stage A's student with English rows: training row i's
// student vector is row i of en (the encoder's pooled vector of the pair's
// English side) with probability p, of km (its Khmer side) otherwise. The
// draws come from r, afresh at every call, so Stage A's own random streams
// (data order, dropout, hard negatives) are those of a run without it.
// The teacher target is the English vector either way: the projector learns
// one map for both languages, and the Khmer rows inherit what the English
// rows teach it as far as the frozen encoder aligns the two.
type englishMix struct {
	km, en *tensor.Tensor // [N, enc] each
	p      float64
	r      *rand.Rand
}

// rows returns the student vectors of training rows idx, [len(idx), enc].
func (m *englishMix) rows(idx []int) *tensor.Tensor {
	out := tensor.New(len(idx), m.km.Dim(1))
	for i, r := range idx {
		src := m.km
		if m.r.Float64() < m.p {
			src = m.en
		}
		copy(out.Row(i), src.Row(r))
	}
	return out
}

// shiftMean returns en moved by the difference of the row means of km and
// en (each row plus mean(km) − mean(en), the means taken in float64): the
// English vectors carried into the Khmer vectors' region, so that a
// language's constant offset cannot tell the projector which one it reads.
func shiftMean(en, km *tensor.Tensor) *tensor.Tensor {
	d := en.Dim(1)
	shift := make([]float64, d)
	for _, side := range []struct {
		x    *tensor.Tensor
		sign float64
	}{{km, 1}, {en, -1}} {
		for i := range side.x.Dim(0) {
			for k, v := range side.x.Row(i) {
				shift[k] += side.sign * float64(v) / float64(side.x.Dim(0))
			}
		}
	}
	out := tensor.New(en.Dim(0), d)
	for i := range en.Dim(0) {
		dst := out.Row(i)
		for k, v := range en.Row(i) {
			dst[k] = float32(float64(v) + shift[k])
		}
	}
	return out
}
