package train

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/models/safetensors"
	"github.com/llink-go/llink/tensor"
)

// TokenStore holds the encoder's token states of N texts for Stage A's
// attention pooling ([llink.AttnPool]): text i's real tokens are rows
// off[i]..off[i+1] of one [tokens, d] matrix kept in float16, half the
// memory of float32 and none of the padding of a [N, T, d] batch (24,228
// real sentences of up to 256 tokens would pad to 6 GB in float32; stored
// so they take 0.2 GB).
type TokenStore struct {
	d   int
	off []int
	f16 []byte // little-endian float16, [tokens, d]
}

// Len returns the number of texts.
func (s *TokenStore) Len() int { return len(s.off) - 1 }

// Tokens returns the total number of token states held.
func (s *TokenStore) Tokens() int { return s.off[len(s.off)-1] }

// Batch returns the token states of texts idx, right-padded, as float32.
func (s *TokenStore) Batch(idx []int) *llink.Tokens {
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

// Student returns proj's student vectors of every text of s
// ([llink.Projector.Student]), pooled 128 texts at a time: [N, enc].
func (s *TokenStore) Student(proj *llink.Projector) *tensor.Tensor {
	n := s.Len()
	out := tensor.New(n, s.d)
	idx := make([]int, 0, 128)
	for lo := 0; lo < n; lo += 128 {
		idx = idx[:0]
		for i := lo; i < min(lo+128, n); i++ {
			idx = append(idx, i)
		}
		copy(out.Data()[lo*s.d:], proj.Student(nil, s.Batch(idx)).Data())
	}
	return out
}

// LoadOrBuildTokens returns the token states of texts as r reads them
// ([llink.Reader.Tokens]), read from the cache folder dir when a file of
// the same reader and texts is there, else computed — in batches of 32
// texts of similar length, so a few long texts do not pad the rest — and
// written there (atomically) for the next run.
func LoadOrBuildTokens(r *llink.Reader, texts []string, dir string) (*TokenStore, error) {
	h := sha256.New()
	fmt.Fprintf(h, "llink-stagea-tokens-v1\n%s\n%d\n", r.Fingerprint(), len(texts))
	for _, t := range texts {
		fmt.Fprintf(h, "%d:%s", len(t), t)
	}
	path := filepath.Join(dir, fmt.Sprintf("tokens-%x.safetensors", h.Sum(nil)[:12]))
	if s, err := readTokenStore(path, r.Dim(), len(texts)); err == nil {
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
	s := &TokenStore{d: d, off: make([]int, len(texts)+1)}
	lens := make([]float32, len(texts))
	for i, b := range rows {
		n := len(b) / (2 * d)
		s.off[i+1], lens[i] = s.off[i]+n, float32(n)
	}
	s.f16 = make([]byte, 0, 2*s.Tokens()*d)
	for i := range rows {
		s.f16, rows[i] = append(s.f16, rows[i]...), nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("train: token states: %w", err)
	}
	err := safetensors.Write(path, []safetensors.Tensor{
		{Name: "states", DType: safetensors.F16, Shape: []int{s.Tokens(), d}, Data: s.f16},
		safetensors.FromFloat32("lengths", []int{len(texts)}, lens, safetensors.F32),
	}, map[string]string{"student": r.Fingerprint(), "texts": strconv.Itoa(len(texts))})
	if err != nil {
		return nil, fmt.Errorf("train: token states: %w", err)
	}
	return s, nil
}

// readTokenStore reads a file [LoadOrBuildTokens] wrote, for n texts of
// width d.
func readTokenStore(path string, d, n int) (*TokenStore, error) {
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
	s := &TokenStore{d: d, off: make([]int, n+1), f16: raw}
	for i, l := range lens {
		if l < 1 || l != float32(int(l)) {
			return nil, fmt.Errorf("%s: text %d has %g token states", path, i, l)
		}
		s.off[i+1] = s.off[i] + int(l)
	}
	if len(raw) != 2*s.Tokens()*d {
		return nil, fmt.Errorf("%s: %d bytes of states for %d tokens of width %d", path, len(raw), s.Tokens(), d)
	}
	return s, nil // the file stays mapped for the run
}
