package train

import (
	"errors"
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/tensor"
)

// fakeEmbedder maps a sentence to a deterministic vector and counts calls.
type fakeEmbedder struct {
	dim   int
	fp    string
	calls int
}

func (f *fakeEmbedder) Dim() int            { return f.dim }
func (f *fakeEmbedder) Fingerprint() string { return f.fp }
func (f *fakeEmbedder) Embed(texts []string) (*tensor.Tensor, error) {
	f.calls++
	out := tensor.New(len(texts), f.dim)
	for i, s := range texts {
		h := fnv.New64a()
		h.Write([]byte(f.fp + s))
		x := h.Sum64()
		for j := range out.Row(i) {
			x = x*6364136223846793005 + 1442695040888963407
			out.Row(i)[j] = float32(int32(x>>33)) / (1 << 30)
		}
	}
	return out, nil
}

func spec(dir string) *CacheSpec {
	var fo, en []string
	for i := 0; i < 23; i++ {
		fo = append(fo, strings.Repeat("ក", i+1))
		en = append(en, strings.Repeat("e", i+1))
	}
	return &CacheSpec{Dir: dir, Student: &fakeEmbedder{dim: 3, fp: "enc"}, Teacher: &fakeEmbedder{dim: 5, fp: "dec"}, Foreign: fo, English: en, Batch: 4}
}

func TestCacheBuildReuseInvalidate(t *testing.T) {
	dir := t.TempDir()
	s := spec(dir)
	p1, err := LoadOrBuildCache(s)
	if err != nil {
		t.Fatal(err)
	}
	calls := s.Student.(*fakeEmbedder).calls
	if calls != 6 {
		t.Fatalf("%d student calls for 23 sentences in batches of 4", calls)
	}
	p2, err := LoadOrBuildCache(s)
	if err != nil || s.Student.(*fakeEmbedder).calls != calls {
		t.Fatalf("cache not reused (%d calls, %v)", s.Student.(*fakeEmbedder).calls, err)
	}
	if tensor.MaxAbsDiff(p1.Z, p2.Z) != 0 || tensor.MaxAbsDiff(p1.H, p2.H) != 0 {
		t.Fatal("reloaded vectors differ")
	}
	// A different teacher (or data) gets a different key: recomputed.
	s2 := spec(dir)
	s2.Teacher.(*fakeEmbedder).fp = "dec-v2"
	if s2.Key() == s.Key() {
		t.Fatal("teacher change did not change the key")
	}
	s3 := spec(dir)
	s3.English[5] = "changed"
	if s3.Key() == s.Key() {
		t.Fatal("data change did not change the key")
	}
}

func TestCacheShardsMerge(t *testing.T) {
	whole, err := LoadOrBuildCache(spec(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := spec(dir)
	if _, err := MergeShards(s, 3); err == nil || !strings.Contains(err.Error(), "shard 0/3 missing") {
		t.Fatalf("merge without shards: %v", err)
	}
	for i := 2; i >= 0; i-- { // any order, as independent jobs would
		if _, err := BuildShard(spec(dir), i, 3); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := MergeShards(s, 3); err != nil {
		t.Fatal(err)
	}
	merged, err := LoadOrBuildCache(s)
	if err != nil {
		t.Fatal(err)
	}
	if s.Student.(*fakeEmbedder).calls != 0 {
		t.Fatal("merged cache was recomputed")
	}
	if tensor.MaxAbsDiff(whole.Z, merged.Z) != 0 || tensor.MaxAbsDiff(whole.H, merged.H) != 0 {
		t.Fatal("sharded vectors differ from a single build")
	}
	if _, err := BuildShard(s, 3, 3); err == nil {
		t.Fatal("shard 3/3 accepted")
	}
}

// TestStudentPoolingKeysTheCache checks that the encoder pooling is part of
// the student's fingerprint (so the vector caches of the two poolings never
// mix) and that a pooling llink does not know is refused.
func TestStudentPoolingKeysTheCache(t *testing.T) {
	last := &llink.Reader{ID: "enc"}
	layers := &llink.Reader{ID: "enc", Pool: llink.PoolLayers}
	if last.Fingerprint() == layers.Fingerprint() {
		t.Fatalf("both poolings fingerprint as %q", last.Fingerprint())
	}
	c := llink.DefaultConfig(8, 8)
	c.EncoderPool = "cls"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), `"cls"`) {
		t.Fatalf("Validate with pooling \"cls\": %v", err)
	}
}

// TestCacheStopResume: a build stopped through Stop (as Ctrl-C does)
// returns ErrInterrupted, leaves no cache and no temporary file but a
// partial file of the finished batches, and the next build computes only
// the rest and ends with exactly the vectors of an uninterrupted build; a
// single-process build removes the temporaries a killed writer left.
func TestCacheStopResume(t *testing.T) {
	want, err := LoadOrBuildCache(spec(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	killed := filepath.Join(dir, ".0123.safetensors.tmp-42") // a killed writer's, unlocked
	if err := os.WriteFile(killed, []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := spec(dir)
	stop := make(chan struct{})
	s.Stop = stop
	s.Progress = func(done, _ int) {
		if done == 8 { // after the second batch of 4
			close(stop)
		}
	}
	_, err = LoadOrBuildCache(s)
	if !errors.Is(err, ErrInterrupted) || !strings.Contains(err.Error(), "stopped after 8 of 23 pairs") {
		t.Fatalf("stopped build: %v", err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 || filepath.Join(dir, ents[0].Name()) != s.partialPath(0, 1) {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Fatalf("after the stop the folder holds %v, want only the partial file", names)
	}
	// Another spec (other data) neither reads nor removes the partial file.
	s3 := spec(dir)
	s3.English[0] = "other"
	if _, err := LoadOrBuildCache(s3); err != nil || s3.Student.(*fakeEmbedder).calls != 6 {
		t.Fatalf("other data: %v, %d calls", err, s3.Student.(*fakeEmbedder).calls)
	}
	s2 := spec(dir)
	got, err := LoadOrBuildCache(s2)
	if err != nil {
		t.Fatal(err)
	}
	if calls := s2.Student.(*fakeEmbedder).calls; calls != 4 {
		t.Errorf("the resumed build made %d student calls for the last 15 pairs in batches of 4, want 4", calls)
	}
	if tensor.MaxAbsDiff(want.Z, got.Z) != 0 || tensor.MaxAbsDiff(want.H, got.H) != 0 {
		t.Fatal("resumed vectors differ from an uninterrupted build")
	}
	if _, err := os.Stat(s.partialPath(0, 1)); !os.IsNotExist(err) {
		t.Errorf("the partial file outlived the finished cache: %v", err)
	}
}

// TestCacheFolderCheckedFirst: a cache folder that cannot be made (here a
// file's path) fails the build before any vector is computed.
func TestCacheFolderCheckedFirst(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := spec(filepath.Join(file, "cache"))
	if _, err := BuildShard(s, 0, 1); err == nil || s.Student.(*fakeEmbedder).calls != 0 {
		t.Fatalf("%v after %d student calls, want an error before any", err, s.Student.(*fakeEmbedder).calls)
	}
}
