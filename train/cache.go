package train

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/llink-go/llink/internal/safeio"
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
	// Stop, when closed, makes a build stop after its current batch: the
	// vectors computed so far are kept in a partial file that the next
	// build of the same cache continues from, and the build returns an
	// [ErrInterrupted] error.
	Stop <-chan struct{}
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

// partialPath is where an interrupted build of shard i of n keeps the
// vectors it computed.
func (s *CacheSpec) partialPath(shard, shards int) string {
	return strings.TrimSuffix(s.path(shard, shards), ".safetensors") + ".partial.safetensors"
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
//
// Files are written atomically, so a killed build leaves no part of one; a
// build stopped through [CacheSpec.Stop] keeps what it computed in a
// partial file, which the next build of the shard continues from. A
// single-process build (n = 1) first removes the temporaries killed
// writers left in the folder.
func BuildShard(s *CacheSpec, i, n int) (string, error) {
	if err := s.validate(); err != nil {
		return "", err
	}
	if n < 1 || i < 0 || i >= n {
		return "", fmt.Errorf("train: cache: shard %d/%d out of range", i, n)
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil { // before computing anything
		return "", fmt.Errorf("train: cache: %w", err)
	}
	if n == 1 {
		safeio.RemoveStale(s.Dir) // shards may be writing on other machines, where locks may not reach
	}
	path := s.path(i, n)
	if _, err := os.Stat(path); err == nil {
		if _, err := readShard(path, s); err == nil {
			return path, nil
		}
	}
	lo, hi := shardRange(len(s.Foreign), i, n)
	z, h := tensor.New(hi-lo, s.Student.Dim()), tensor.New(hi-lo, s.Teacher.Dim())
	partial, from := s.partialPath(i, n), lo
	if d, err := readShard(partial, s); err == nil && d.lo == lo && d.hi <= hi {
		copy(z.Data(), d.z)
		copy(h.Data(), d.h)
		from = d.hi
	}
	done, err := embedRange(s, z, h, lo, from, hi)
	if errors.Is(err, ErrInterrupted) {
		if done > from {
			rows := done - lo
			zs := tensor.FromSlice(z.Data()[:rows*s.Student.Dim()], rows, s.Student.Dim())
			hs := tensor.FromSlice(h.Data()[:rows*s.Teacher.Dim()], rows, s.Teacher.Dim())
			if err := writeCache(partial, s, zs, hs, lo, done, nil); err != nil {
				return "", err
			}
		}
		return "", fmt.Errorf("train: cache: stopped after %d of %d pairs, kept for the next build in %s: %w", done-lo, hi-lo, partial, err)
	}
	if err != nil {
		return "", err
	}
	if err := writeCache(path, s, z, h, lo, hi, nil); err != nil {
		return "", err
	}
	os.Remove(partial)
	return path, nil
}

// writeCache writes the vectors z and h of the spec's pairs [lo, hi) to
// path with the metadata readShard checks, and any extra entries.
func writeCache(path string, s *CacheSpec, z, h *tensor.Tensor, lo, hi int, extra map[string]string) error {
	md := map[string]string{
		"format": "llink-cache-v1", "key": s.Key(), "lo": strconv.Itoa(lo), "hi": strconv.Itoa(hi),
		"student": s.Student.Fingerprint(), "teacher": s.Teacher.Fingerprint(),
	}
	maps.Copy(md, extra)
	ts := []safetensors.Tensor{
		safetensors.FromFloat32("z", z.Shape(), z.Data(), safetensors.F32),
		safetensors.FromFloat32("h", h.Shape(), h.Data(), safetensors.F32),
	}
	if err := safetensors.Write(path, ts, md); err != nil {
		return fmt.Errorf("train: cache: %w", err)
	}
	return nil
}

// embedRange computes the vectors of pairs [from, hi) into rows from−lo…
// of z and h, batch by batch, and returns how far it got: hi, or with an
// [ErrInterrupted] error the end of the last batch before Stop.
func embedRange(s *CacheSpec, z, h *tensor.Tensor, lo, from, hi int) (int, error) {
	bs := s.Batch
	if bs <= 0 {
		bs = 32
	}
	for a := from; a < hi; a += bs {
		select {
		case <-s.Stop:
			return a, ErrInterrupted
		default:
		}
		b := min(a+bs, hi)
		zs, err := s.Student.Embed(s.Foreign[a:b])
		if err != nil {
			return a, fmt.Errorf("train: cache: student on pairs %d–%d: %w", a, b-1, err)
		}
		hs, err := s.Teacher.Embed(s.English[a:b])
		if err != nil {
			return a, fmt.Errorf("train: cache: teacher on pairs %d–%d: %w", a, b-1, err)
		}
		if zs.Len() != (b-a)*s.Student.Dim() || hs.Len() != (b-a)*s.Teacher.Dim() {
			return a, fmt.Errorf("train: cache: embedders returned %v and %v for %d sentences", zs.Shape(), hs.Shape(), b-a)
		}
		copy(z.Data()[(a-lo)*s.Student.Dim():], zs.Data())
		copy(h.Data()[(a-lo)*s.Teacher.Dim():], hs.Data())
		if s.Progress != nil {
			s.Progress(b-lo, hi-lo)
		}
	}
	return hi, nil
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
	path := s.path(0, 1)
	safeio.RemoveStale(s.Dir) // every shard has finished
	if err := writeCache(path, s, z, h, 0, total, map[string]string{"merged_from": strconv.Itoa(n)}); err != nil {
		return "", err
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
