package pretrain

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/internal/safeio"
	"github.com/llink-go/llink/models/safetensors"
	"github.com/llink-go/llink/models/tokenizer"
	"github.com/llink-go/llink/nn"
	"github.com/llink-go/llink/tensor"
	"github.com/llink-go/llink/train"
)

// CheckpointName is the training checkpoint's file name inside the output
// folder; it is removed once the final model is written.
const CheckpointName = "pretrain-state.safetensors"

// loopState is pretraining's own part of its loop state, kept in
// train.LoopState's Extra["pretrain"]: pretraining checkpoints in the
// training floor's one format (train.SaveState).
type loopState struct {
	Step int    `json:"step"`
	RNG  []byte `json:"rng"` // the sampler's PCG state
	// Config is the run's config as JSON in checkpoints written before the
	// data fingerprint and settings (runID) were recorded; resuming one
	// needs the same config.
	Config string    `json:"config,omitempty"`
	Loss   float64   `json:"loss"` // running mean of the loss
	Tail   []float64 `json:"tail"` // the last losses behind Loss
	// Seconds is the training time spent before this checkpoint, summed
	// over every process that worked on the run (resumes included).
	Seconds float64 `json:"seconds,omitempty"`
}

// runID is what a pretraining checkpoint records of its run so that a
// resume with other data or another config is refused, naming what
// differs (train.LoopState.Resumes): a fingerprint of the training data
// and the config's fields; and the config as JSON (metadata, and the check
// of checkpoints from before the fingerprint).
type runID struct {
	data     string
	settings map[string]string
	config   string
}

// newRunID identifies a run of config on training data fingerprinted data.
func newRunID(config any, data string) (runID, error) {
	cj, err := json.Marshal(config)
	if err != nil {
		return runID{}, err
	}
	return runID{data: data, settings: train.SettingsOf(config), config: string(cj)}, nil
}

// fingerprint identifies what the decoder trains on: the training tasks
// (kind, instruction, English passage, answer) and the English sentences.
// The dev tasks only measure the result, so they may change on a resume.
func (d DecoderData) fingerprint() string {
	vs := []any{"decoder", len(d.Train)}
	for _, t := range d.Train {
		vs = append(vs, t.Kind, t.Instruction, t.EnglishPassage, t.Answer)
	}
	vs = append(vs, len(d.English))
	for _, s := range d.English {
		vs = append(vs, s)
	}
	return train.Fingerprint(vs...)
}

// fingerprint identifies what the encoder trains on: its English and
// Khmer sentences (not the dev sentences, which only measure).
func (d EncoderData) fingerprint() string {
	vs := []any{"encoder"}
	for _, side := range [][]string{d.English, d.Khmer} {
		vs = append(vs, len(side))
		for _, s := range side {
			vs = append(vs, s)
		}
	}
	return train.Fingerprint(vs...)
}

// saveState atomically writes params, their AdamW moments and st, with the
// run's identity id, to path.
func saveState(path string, params []*autograd.Var, opt *nn.AdamW, st loopState, id runID) error {
	js, err := json.Marshal(st)
	if err != nil {
		return err
	}
	ls := train.LoopState{Step: st.Step, RNG: st.RNG, Extra: map[string]string{"pretrain": string(js)}, Data: id.data, Settings: id.settings}
	if err := train.SaveState(path, params, opt, ls, nil); err != nil {
		return fmt.Errorf("pretrain: %w", err)
	}
	return nil
}

// loadState restores what saveState wrote into params and opt and returns
// the loop state. The checkpoint must come from a run with identity id:
// the same training data and config; what differs is named before any
// tensor is read.
func loadState(path string, params []*autograd.Var, opt *nn.AdamW, id runID) (loopState, error) {
	var st loopState
	ls, err := train.ReadLoopState(path)
	if err != nil {
		return st, fmt.Errorf("pretrain: %w", err)
	}
	js, ok := ls.Extra["pretrain"]
	if !ok {
		return st, fmt.Errorf("pretrain: resume: %s is not a pretraining checkpoint", path)
	}
	if err := json.Unmarshal([]byte(js), &st); err != nil {
		return st, fmt.Errorf("pretrain: resume: %s: %w", path, err)
	}
	if err := ls.Resumes(id.data, id.settings); err != nil {
		return st, fmt.Errorf("pretrain: resume: %s: %w", path, err)
	}
	if ls.Data == "" && st.Config != id.config {
		return st, fmt.Errorf("pretrain: resume: %s was written with config %s, this run has %s", path, st.Config, id.config)
	}
	if _, _, err := train.LoadState(path, params, opt); err != nil {
		return st, fmt.Errorf("pretrain: %w", err)
	}
	return st, nil
}

// roundBF16 rounds every parameter's values to bfloat16 precision, as
// they will be saved.
func roundBF16(params []*autograd.Var) {
	for _, p := range params {
		for i, v := range p.Data() {
			p.Data()[i] = safetensors.BF16ToF32(safetensors.F32ToBF16(v))
		}
	}
}

// pcgBytes marshals a PCG source (which cannot fail).
func pcgBytes(src *rand.PCG) []byte {
	b, err := src.MarshalBinary()
	if err != nil {
		panic(err)
	}
	return b
}

// writeFile writes b to path atomically ([safeio.WriteFile]).
func writeFile(path string, b []byte) error {
	if err := safeio.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("pretrain: %w", err)
	}
	return nil
}

// writeJSON writes v as indented JSON to path atomically.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(path, append(b, '\n'))
}

// writeTokenizer writes tok's tokenizer.json into dir atomically.
func writeTokenizer(dir string, tok tokenizer.Tokenizer) error {
	b, err := tokenizer.SaveJSONBytes(tok)
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, "tokenizer.json"), b)
}

// writeWeights writes params (rounded to bf16 when bf16) with metadata md.
func writeWeights(path string, params []*autograd.Var, md map[string]string, bf16 bool) error {
	var ts []safetensors.Tensor
	for _, p := range params {
		if bf16 {
			ts = append(ts, safetensors.FromBF16(p.Name, p.Shape(), tensor.ToBF16(p.Value).Data()))
		} else {
			ts = append(ts, safetensors.FromFloat32(p.Name, p.Shape(), p.Data(), safetensors.F32))
		}
	}
	return safetensors.Write(path, ts, md)
}
