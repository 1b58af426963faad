package pretrain

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/internal/safeio"
	"github.com/llink-go/llink/models/safetensors"
	"github.com/llink-go/llink/models/tokenizer"
	"github.com/llink-go/llink/tensor"
	"github.com/llink-go/llink/train"
)

// CheckpointName is the training checkpoint's file name inside the output
// folder; it is removed once the final model is written.
const CheckpointName = "pretrain-state.safetensors"

// loopState is pretraining's own part of its checkpoint, kept in
// train.LoopState's Extra["pretrain"] (the step and the sampler's RNG are
// train.LoopState's own): pretraining checkpoints in the training floor's
// one format (train.SaveState). Checkpoints of earlier versions also hold
// the step, RNG and running loss here, which are ignored.
type loopState struct {
	// Config is the run's config as JSON in checkpoints written before the
	// data fingerprint and settings (runID) were recorded; resuming one
	// needs the same config.
	Config string    `json:"config,omitempty"`
	Tail   []float64 `json:"tail"` // the last losses, whose mean is Result.Loss
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
// Khmer sentences and translation pairs (not the dev sentences, which only
// measure).
func (d EncoderData) fingerprint() string {
	vs := []any{"encoder"}
	for _, side := range [][]string{d.English, d.Khmer} {
		vs = append(vs, len(side))
		for _, s := range side {
			vs = append(vs, s)
		}
	}
	if len(d.Pairs) > 0 { // runs without pairs keep their fingerprint
		vs = append(vs, "pairs", len(d.Pairs))
		for _, p := range d.Pairs {
			vs = append(vs, p.English, p.Foreign)
		}
	}
	return train.Fingerprint(vs...)
}

// pretrainState returns pretraining's part of the loop state ls.
func pretrainState(ls train.LoopState) (loopState, error) {
	var st loopState
	js, ok := ls.Extra["pretrain"]
	if !ok {
		return st, errors.New("not a pretraining checkpoint")
	}
	if err := json.Unmarshal([]byte(js), &st); err != nil {
		return st, err
	}
	return st, nil
}

// checkState reports why the checkpoint at path cannot continue the run
// id before its tensors are read: it is no pretraining checkpoint, or one
// of a version that recorded no data fingerprint, with another config
// (the loop names other data and settings, train.LoopState.Resumes).
func checkState(path string, id runID) error {
	ls, err := train.ReadLoopState(path)
	if err != nil {
		return fmt.Errorf("pretrain: %w", err)
	}
	if _, ok := ls.Extra["pretrain"]; !ok {
		return fmt.Errorf("pretrain: resume: %s is not a pretraining checkpoint", path)
	}
	st, err := pretrainState(ls)
	if err != nil {
		return fmt.Errorf("pretrain: resume: %s: %w", path, err)
	}
	if ls.Data == "" && st.Config != id.config {
		return fmt.Errorf("pretrain: resume: %s was written with config %s, this run has %s", path, st.Config, id.config)
	}
	return nil
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
