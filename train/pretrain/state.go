package pretrain

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/llink-go/llink/autograd"
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
	Step   int       `json:"step"`
	RNG    []byte    `json:"rng"`    // the sampler's PCG state
	Config string    `json:"config"` // the run's config, JSON: a resume must match it
	Loss   float64   `json:"loss"`   // running mean of the loss
	Tail   []float64 `json:"tail"`   // the last losses behind Loss
	// Seconds is the training time spent before this checkpoint, summed
	// over every process that worked on the run (resumes included).
	Seconds float64 `json:"seconds,omitempty"`
}

// saveState atomically writes params, their AdamW moments and st to path.
func saveState(path string, params []*autograd.Var, opt *nn.AdamW, st loopState) error {
	js, err := json.Marshal(st)
	if err != nil {
		return err
	}
	ls := train.LoopState{Step: st.Step, RNG: st.RNG, Extra: map[string]string{"pretrain": string(js)}}
	if err := train.SaveState(path, params, opt, ls, nil); err != nil {
		return fmt.Errorf("pretrain: %w", err)
	}
	return nil
}

// loadState restores what saveState wrote into params and opt and returns
// the loop state. The checkpoint must come from the same config.
func loadState(path string, params []*autograd.Var, opt *nn.AdamW, config string) (loopState, error) {
	var st loopState
	ls, _, err := train.LoadState(path, params, opt)
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
	if st.Config != config {
		return st, fmt.Errorf("pretrain: resume: %s was written with config %s, this run has %s", path, st.Config, config)
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

// writeFile writes b to path atomically (temporary file + rename).
func writeFile(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("pretrain: %w", err)
	}
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
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
