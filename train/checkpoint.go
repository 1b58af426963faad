package train

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/models/safetensors"
	"github.com/llink-go/llink/nn"
	"github.com/llink-go/llink/tensor"
)

// Checkpointing makes a [Loop] crash-safe: every Every steps, after the
// last step and when Stop fires, the full training state — parameters,
// AdamW moments, step, RNG state, data order and any stage-specific state
// — is written atomically to Path (temp file, fsync, rename; the previous
// checkpoint survives a failed write). With Resume, a run starting where
// Path exists continues from it and ends bit-identical to an
// uninterrupted run.
type Checkpointing struct {
	Path   string `json:"path,omitempty"`
	Every  int    `json:"every,omitempty"`
	Resume bool   `json:"resume,omitempty"`
	// Stop, when it is closed or receives, makes the loop finish its current
	// step, write a checkpoint and return an [ErrInterrupted] error.
	Stop <-chan struct{} `json:"-"`
}

// ErrInterrupted is returned (wrapped) when a run stopped on request after
// writing its checkpoint.
var ErrInterrupted = errors.New("training interrupted")

func (c *Checkpointing) enabled() bool { return c != nil && c.Path != "" }

func (c *Checkpointing) stopRequested() bool {
	if c == nil || c.Stop == nil {
		return false
	}
	select {
	case <-c.Stop:
		return true
	default:
		return false
	}
}

// LoopState is the non-tensor part of a training loop's state: the step,
// the data order and position, the RNG, and a loop's own entries (Extra).
// Every training loop of llink — Stage A, Stage B, direct fine-tuning and
// pretraining (train/pretrain) — checkpoints in this one format.
type LoopState struct {
	Step  int               `json:"step"`
	Pos   int               `json:"pos"`
	Order []int             `json:"order"`
	RNG   []byte            `json:"rng"`
	Extra map[string]string `json:"extra,omitempty"`
	// Data fingerprints the training data ([Fingerprint]) and Settings
	// holds the loop's settings, so a resume with other data or settings is
	// refused ([LoopState.Resumes]) instead of silently mixing two runs.
	Data     string            `json:"data,omitempty"`
	Settings map[string]string `json:"settings,omitempty"`
}

// Check reports why st cannot continue a loop of steps steps over n
// examples in batches of batch: a step outside [0, steps], an order of
// more than n entries or with one outside [0, n), or a position past the
// order. A damaged
// checkpoint then fails with a message instead of indexing out of range.
func (st LoopState) Check(n, batch, steps int) error {
	switch {
	case st.Step < 0 || st.Step > steps:
		return fmt.Errorf("step %d outside 0..%d", st.Step, steps)
	case len(st.Order) > n:
		return fmt.Errorf("its data order has %d entries for %d examples", len(st.Order), n)
	case st.Pos < 0 || st.Pos > len(st.Order):
		return fmt.Errorf("data position %d outside 0..%d", st.Pos, len(st.Order))
	case batch < 1:
		return fmt.Errorf("batch %d", batch)
	}
	for i, j := range st.Order {
		if j < 0 || j >= n {
			return fmt.Errorf("data order entry %d is %d, outside 0..%d", i, j, n-1)
		}
	}
	return nil
}

// Resumes reports why a run with training data fingerprint data and
// settings cannot continue from st, naming what differs. Checkpoints
// written before these were recorded (no Data) are accepted.
func (st LoopState) Resumes(data string, settings map[string]string) error {
	if st.Data == "" {
		return nil
	}
	// Settings first: a setting that differs (a seed, say) often changes
	// the data too, and its name says more than a fingerprint.
	var diffs []string
	for _, k := range sortedKeys(st.Settings, settings) {
		if a, b := st.Settings[k], settings[k]; a != b {
			diffs = append(diffs, fmt.Sprintf("%s %s, now %s", k, orNone(a), orNone(b)))
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("the checkpoint was made with other settings (%s): resume with the same flags, or start a new run", strings.Join(diffs, "; "))
	}
	if st.Data != data {
		return fmt.Errorf("the checkpoint was made from other training data (fingerprint %s, this run's %s): resume with the same data flags, or start a new run", st.Data, data)
	}
	return nil
}

// Fingerprint hashes what a loop trains on — ints, strings, and slices of
// ints or float32 (by their bits), each slice with its length — as SHA-256
// shortened to 16 hex digits.
func Fingerprint(values ...any) string {
	h := sha256.New()
	var b [8]byte
	put := func(x uint64) {
		binary.LittleEndian.PutUint64(b[:], x)
		h.Write(b[:])
	}
	for _, v := range values {
		switch v := v.(type) {
		case int:
			put(uint64(v))
		case string:
			put(uint64(len(v)))
			h.Write([]byte(v))
		case []int:
			put(uint64(len(v)))
			for _, x := range v {
				put(uint64(x))
			}
		case []float32:
			put(uint64(len(v)))
			for _, x := range v {
				put(uint64(math.Float32bits(x)))
			}
		default:
			panic(fmt.Sprintf("train.Fingerprint: unsupported %T", v))
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// SettingsOf returns the JSON fields of a loop's config c (without its
// checkpointing, which a resume changes) as text, for [LoopState.Settings].
func SettingsOf(c any) map[string]string {
	b, err := json.Marshal(c)
	if err != nil {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	out := map[string]string{}
	for k, v := range m {
		if k != "checkpoint" {
			out[k] = string(v)
		}
	}
	return out
}

func sortedKeys(a, b map[string]string) []string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// SaveState writes params, AdamW state, loop state and extra tensors
// atomically to path: the one checkpoint format of every [Loop].
func SaveState(path string, params []*autograd.Var, opt *nn.AdamW, st LoopState, extra map[string]*tensor.Tensor) error {
	var ts []safetensors.Tensor
	for _, p := range params {
		ts = append(ts, safetensors.FromFloat32("param/"+p.Name, p.Shape(), p.Data(), safetensors.F32))
		if m, v := opt.Moments(p); m != nil {
			ts = append(ts,
				safetensors.FromFloat32("adam_m/"+p.Name, p.Shape(), m, safetensors.F32),
				safetensors.FromFloat32("adam_v/"+p.Name, p.Shape(), v, safetensors.F32))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(extra)) { // in name order: the same run writes the same bytes
		t := extra[name]
		ts = append(ts, safetensors.FromFloat32("extra/"+name, t.Shape(), t.Data(), safetensors.F32))
	}
	js, err := json.Marshal(st)
	if err != nil {
		return err
	}
	md := map[string]string{"format": "llink-train-state-v1", "state": string(js), "adam_step": strconv.Itoa(opt.Steps())}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	if err := safetensors.Write(path, ts, md); err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	return nil
}

// LoadState restores what SaveState wrote into params and opt, and returns
// the loop state and the extra tensors.
func LoadState(path string, params []*autograd.Var, opt *nn.AdamW) (LoopState, map[string][]float32, error) {
	f, err := safetensors.Open(path)
	if err != nil {
		return LoopState{}, nil, fmt.Errorf("train: resume: %w", err)
	}
	defer f.Close()
	md := f.Metadata()
	st, err := loopStateOf(path, md)
	if err != nil {
		return st, nil, err
	}
	adamStep, err := strconv.Atoi(md["adam_step"])
	if err != nil {
		return st, nil, fmt.Errorf("train: resume: %s: bad adam_step %q", path, md["adam_step"])
	}
	read := func(name string, want []int) ([]float32, error) {
		info, ok := f.Info(name)
		if !ok {
			return nil, nil
		}
		if want != nil && !equalInts(info.Shape, want) {
			return nil, fmt.Errorf("train: resume: %s: %q has shape %v, the model needs %v (different model or config)", path, name, info.Shape, want)
		}
		return f.Float32(name)
	}
	for _, p := range params {
		v, err := read("param/"+p.Name, p.Shape())
		if err != nil {
			return st, nil, err
		}
		if v == nil {
			return st, nil, fmt.Errorf("train: resume: %s lacks parameter %q (different model or config)", path, p.Name)
		}
		copy(p.Data(), v)
		m, err := read("adam_m/"+p.Name, p.Shape())
		if err != nil {
			return st, nil, err
		}
		vv, err := read("adam_v/"+p.Name, p.Shape())
		if err != nil {
			return st, nil, err
		}
		opt.SetState(adamStep, p, m, vv)
	}
	opt.SetState(adamStep, nil, nil, nil)
	extra := map[string][]float32{}
	for _, name := range f.Names() {
		if len(name) > 6 && name[:6] == "extra/" {
			v, err := f.Float32(name)
			if err != nil {
				return st, nil, err
			}
			extra[name[6:]] = v
		}
	}
	return st, extra, nil
}

// ReadLoopState returns the loop state of the checkpoint at path without
// reading its tensors, so that [LoopState.Resumes] can name what differs
// before a model is built to load them into.
func ReadLoopState(path string) (LoopState, error) {
	f, err := safetensors.Open(path)
	if err != nil {
		return LoopState{}, fmt.Errorf("train: resume: %w", err)
	}
	defer f.Close()
	return loopStateOf(path, f.Metadata())
}

// loopStateOf parses the loop state in a checkpoint's metadata md.
func loopStateOf(path string, md map[string]string) (LoopState, error) {
	var st LoopState
	if md["format"] != "llink-train-state-v1" {
		return st, fmt.Errorf("train: resume: %s is not a training checkpoint (format %q)", path, md["format"])
	}
	if err := json.Unmarshal([]byte(md["state"]), &st); err != nil {
		return st, fmt.Errorf("train: resume: %s: bad state: %w", path, err)
	}
	return st, nil
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// pcgState marshals a PCG source.
func pcgState(src *rand.PCG) []byte {
	b, err := src.MarshalBinary()
	if err != nil {
		panic(err) // PCG's MarshalBinary cannot fail
	}
	return b
}

// firstErr returns the first non-nil error of errs.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
