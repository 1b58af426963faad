package train

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/llink-go/llink/models/safetensors"
	"github.com/llink-go/llink/tensor"
)

// Embedder turns a batch of sentences into one vector per sentence with a
// frozen model: the encoder's pooled vector of the foreign text (student
// input) or the decoder's hidden state at the reserved position after the
// English text (teacher).
type Embedder interface {
	// Embed returns [len(texts), Dim()].
	Embed(texts []string) (*tensor.Tensor, error)
	// Dim is the vector width.
	Dim() int
	// Fingerprint identifies the model and every setting that changes its
	// vectors (weights hash, prompt template, pooling, max length…).
	Fingerprint() string
}

// CacheSpec says which vectors a cache holds.
type CacheSpec struct {
	Dir      string   // cache folder
	Student  Embedder // reads Foreign
	Teacher  Embedder // reads English
	Foreign  []string // foreign side of each pair
	English  []string // English side of each pair
	Batch    int      // sentences per Embed call (default 32)
	Progress func(done, total int)
}

// Key returns the cache key: a hash of both models' fingerprints and the
// exact data, so any change to either invalidates the cache.
func (s *CacheSpec) Key() string {
	h := sha256.New()
	write := func(v string) {
		h.Write([]byte(strconv.Itoa(len(v))))
		h.Write([]byte{':'})
		h.Write([]byte(v))
	}
	write("llink-cache-v1")
	write(s.Student.Fingerprint())
	write(s.Teacher.Fingerprint())
	write(strconv.Itoa(len(s.Foreign)))
	for i := range s.Foreign {
		write(s.Foreign[i])
		write(s.English[i])
	}
	return hex.EncodeToString(h.Sum(nil))[:24]
}

func (s *CacheSpec) path(shard, shards int) string {
	if shards <= 1 {
		return filepath.Join(s.Dir, s.Key()+".safetensors")
	}
	return filepath.Join(s.Dir, fmt.Sprintf("%s.shard-%d-of-%d.safetensors", s.Key(), shard, shards))
}

// shardRange returns the pair rows [lo, hi) of shard i of n (contiguous,
// sizes differing by at most one).
func shardRange(total, i, n int) (lo, hi int) { return total * i / n, total * (i + 1) / n }

func (s *CacheSpec) validate() error {
	if len(s.Foreign) != len(s.English) {
		return fmt.Errorf("train: cache: %d foreign and %d English sentences", len(s.Foreign), len(s.English))
	}
	if len(s.Foreign) == 0 {
		return errors.New("train: cache: no sentence pairs")
	}
	if s.Student == nil || s.Teacher == nil {
		return errors.New("train: cache: student and teacher embedders are required")
	}
	return nil
}

// BuildShard computes the vectors of shard i of n (0-based) and writes them
// to the cache folder; an existing complete shard file is reused. It
// returns the shard's path. Shards can be computed by independent processes
// (e.g. a Slurm array or a Kubernetes indexed Job running
// `llink embed-cache --shard I/N`) and combined with [MergeShards].
func BuildShard(s *CacheSpec, i, n int) (string, error) {
	if err := s.validate(); err != nil {
		return "", err
	}
	if n < 1 || i < 0 || i >= n {
		return "", fmt.Errorf("train: cache: shard %d/%d out of range", i, n)
	}
	path := s.path(i, n)
	if _, err := os.Stat(path); err == nil {
		if _, err := readShard(path, s); err == nil {
			return path, nil
		}
	}
	lo, hi := shardRange(len(s.Foreign), i, n)
	z, h, err := embedRange(s, lo, hi)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return "", fmt.Errorf("train: cache: %w", err)
	}
	md := map[string]string{
		"format": "llink-cache-v1", "key": s.Key(), "lo": strconv.Itoa(lo), "hi": strconv.Itoa(hi),
		"student": s.Student.Fingerprint(), "teacher": s.Teacher.Fingerprint(),
	}
	ts := []safetensors.Tensor{
		safetensors.FromFloat32("z", z.Shape(), z.Data(), safetensors.F32),
		safetensors.FromFloat32("h", h.Shape(), h.Data(), safetensors.F32),
	}
	if err := safetensors.Write(path, ts, md); err != nil {
		return "", fmt.Errorf("train: cache: %w", err)
	}
	return path, nil
}

func embedRange(s *CacheSpec, lo, hi int) (z, h *tensor.Tensor, err error) {
	bs := s.Batch
	if bs <= 0 {
		bs = 32
	}
	z = tensor.New(hi-lo, s.Student.Dim())
	h = tensor.New(hi-lo, s.Teacher.Dim())
	for a := lo; a < hi; a += bs {
		b := min(a+bs, hi)
		zs, err := s.Student.Embed(s.Foreign[a:b])
		if err != nil {
			return nil, nil, fmt.Errorf("train: cache: student on pairs %d–%d: %w", a, b-1, err)
		}
		hs, err := s.Teacher.Embed(s.English[a:b])
		if err != nil {
			return nil, nil, fmt.Errorf("train: cache: teacher on pairs %d–%d: %w", a, b-1, err)
		}
		if zs.Len() != (b-a)*s.Student.Dim() || hs.Len() != (b-a)*s.Teacher.Dim() {
			return nil, nil, fmt.Errorf("train: cache: embedders returned %v and %v for %d sentences", zs.Shape(), hs.Shape(), b-a)
		}
		copy(z.Data()[(a-lo)*s.Student.Dim():], zs.Data())
		copy(h.Data()[(a-lo)*s.Teacher.Dim():], hs.Data())
		if s.Progress != nil {
			s.Progress(b-lo, hi-lo)
		}
	}
	return z, h, nil
}

type shardData struct {
	lo, hi int
	z, h   []float32
}

// readShard loads and checks one cache file against the spec.
func readShard(path string, s *CacheSpec) (*shardData, error) {
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	md := f.Metadata()
	if md["key"] != s.Key() {
		return nil, fmt.Errorf("train: cache %s has key %q, want %q (stale: models or data changed)", path, md["key"], s.Key())
	}
	lo, err1 := strconv.Atoi(md["lo"])
	hi, err2 := strconv.Atoi(md["hi"])
	if err1 != nil || err2 != nil || lo < 0 || hi > len(s.Foreign) || lo > hi {
		return nil, fmt.Errorf("train: cache %s: bad row range %q–%q", path, md["lo"], md["hi"])
	}
	z, err := f.Float32("z")
	if err != nil {
		return nil, err
	}
	h, err := f.Float32("h")
	if err != nil {
		return nil, err
	}
	if len(z) != (hi-lo)*s.Student.Dim() || len(h) != (hi-lo)*s.Teacher.Dim() {
		return nil, fmt.Errorf("train: cache %s: %d/%d values for %d rows of widths %d/%d", path, len(z), len(h), hi-lo, s.Student.Dim(), s.Teacher.Dim())
	}
	return &shardData{lo: lo, hi: hi, z: z, h: h}, nil
}

// MergeShards combines the n shard files of the spec into the single cache
// file and returns its path. Every shard must be present and valid.
func MergeShards(s *CacheSpec, n int) (string, error) {
	if err := s.validate(); err != nil {
		return "", err
	}
	total := len(s.Foreign)
	z := tensor.New(total, s.Student.Dim())
	h := tensor.New(total, s.Teacher.Dim())
	for i := 0; i < n; i++ {
		p := s.path(i, n)
		d, err := readShard(p, s)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("train: cache: shard %d/%d missing (%s): run embed-cache --shard %d/%d", i, n, p, i, n)
			}
			return "", err
		}
		if lo, hi := shardRange(total, i, n); d.lo != lo || d.hi != hi {
			return "", fmt.Errorf("train: cache: shard %s covers rows %d–%d, want %d–%d", p, d.lo, d.hi, lo, hi)
		}
		copy(z.Data()[d.lo*s.Student.Dim():], d.z)
		copy(h.Data()[d.lo*s.Teacher.Dim():], d.h)
	}
	md := map[string]string{"format": "llink-cache-v1", "key": s.Key(), "lo": "0", "hi": strconv.Itoa(total),
		"student": s.Student.Fingerprint(), "teacher": s.Teacher.Fingerprint(), "merged_from": strconv.Itoa(n)}
	path := s.path(0, 1)
	ts := []safetensors.Tensor{
		safetensors.FromFloat32("z", z.Shape(), z.Data(), safetensors.F32),
		safetensors.FromFloat32("h", h.Shape(), h.Data(), safetensors.F32),
	}
	if err := safetensors.Write(path, ts, md); err != nil {
		return "", fmt.Errorf("train: cache: %w", err)
	}
	return path, nil
}

// LoadOrBuildCache returns the cached vectors of every pair, computing and
// writing them first if no valid cache exists (in one process). ids[i] = i.
func LoadOrBuildCache(s *CacheSpec) (Pairs, error) {
	path, err := BuildShard(s, 0, 1)
	if err != nil {
		return Pairs{}, err
	}
	d, err := readShard(path, s)
	if err != nil {
		return Pairs{}, err
	}
	n := len(s.Foreign)
	ids := make([]int, n)
	for i := range ids {
		ids[i] = i
	}
	return Pairs{Z: tensor.FromSlice(d.z, n, s.Student.Dim()), H: tensor.FromSlice(d.h, n, s.Teacher.Dim()), IDs: ids}, nil
}
