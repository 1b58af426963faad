package train

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/llink-go/llink/internal/testutil"
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/tensor"
)

func TestBundleRoundTrip(t *testing.T) {
	m := tinyDecoder(1)
	r := testutil.RNG(2)
	exs := synthTask(r, tensor.RandN(r, 1, 4, m.Config.Hidden), 32)
	cfg := llink.DefaultConfig(m.Config.Hidden, m.Config.Hidden)
	cfg.K, cfg.ExpHidden = tK, 32
	slots := llink.NewSlots(cfg, 1, testutil.RNG(3))
	lopt := llama.LoRAOptions{Rank: 2, Alpha: 4, Targets: []string{"q_proj", "v_proj", "down_proj"}}
	lora := m.AddLoRA(lopt, testutil.RNG(4))
	c := DefaultStageB()
	c.Steps, c.Batch, c.LRLoRA, c.LRSlots = 20, 8, 1e-2, 1e-2
	if _, err := TrainStageB(m, slots, lora, exs, 0, c, nil); err != nil {
		t.Fatal(err)
	}
	b := &llink.Bundle{Config: cfg, LoRA: lopt, Projector: llink.NewProjector(cfg, testutil.RNG(5)), Slots: slots, LoRAParams: lora,
		BaseVocab: m.Config.VocabSize, DecoderID: "tiny-dec", EncoderID: "tiny-enc"}
	path := filepath.Join(t.TempDir(), "llink.safetensors")
	if err := llink.SaveBundle(path, b, map[string]string{"command": "test"}); err != nil {
		t.Fatal(err)
	}
	want := generate(t, m, slots, exs[:8], 3, 8)

	fresh := tinyDecoder(1) // same base weights, no LoRA
	lb, err := llink.LoadBundle(path, fresh, cfg.EncDim, "tiny-dec", "")
	if err != nil {
		t.Fatal(err)
	}
	set, err := lb.Adapters(fresh)
	if err != nil {
		t.Fatal(err)
	}
	fresh.UseLoRA(set)
	got := generate(t, fresh, lb.Slots, exs[:8], 3, 8)
	for i := range want {
		if !slices.Equal(want[i], got[i]) {
			t.Fatalf("example %d: loaded bundle generates %v, trained model %v", i, got[i], want[i])
		}
	}
	if d := tensor.MaxAbsDiff(lb.Projector.FC1.Weight.Value, b.Projector.FC1.Weight.Value); d != 0 {
		t.Fatalf("projector differs by %g", d)
	}

	// Wrong models are refused with a message naming what differs.
	other := llama.Tiny(32)
	other.Hidden, other.Intermediate, other.Layers, other.Heads, other.KVHeads, other.HeadDim = 16, 32, 1, 2, 1, 8
	for _, c := range []struct {
		name string
		err  func() error
		want string
	}{
		{"width", func() error {
			_, err := llink.LoadBundle(path, llama.New(other, testutil.RNG(1)), cfg.EncDim, "", "")
			return err
		}, "width 32"},
		{"encoder", func() error { _, err := llink.LoadBundle(path, tinyDecoder(1), 99, "", ""); return err }, "encoder of width"},
		{"id", func() error {
			_, err := llink.LoadBundle(path, tinyDecoder(1), cfg.EncDim, "other-dec", "")
			return err
		}, "tiny-dec"},
		{"unknown setting", func() error {
			p := filepath.Join(t.TempDir(), "future.safetensors")
			if err := llink.SaveParams(p, append(b.Projector.Params(), b.Slots.Params()...), map[string]string{"format": "llink-bundle-v1",
				"llink_config": strings.Replace(mustJSON(t, cfg), "{", `{"copy_numbers":true,`, 1), "lora_config": mustJSON(t, lopt),
				"base_vocab": "0", "added_tokens": "0"}); err != nil {
				return err
			}
			_, err := llink.LoadBundle(p, tinyDecoder(1), cfg.EncDim, "", "")
			return err
		}, `unknown field "copy_numbers"`},
		{"not a bundle", func() error {
			p := filepath.Join(t.TempDir(), "x.safetensors")
			if err := llink.SaveParams(p, lora, nil); err != nil {
				return err
			}
			_, err := llink.LoadBundle(p, tinyDecoder(1), cfg.EncDim, "", "")
			return err
		}, "not an LLINK bundle"},
	} {
		if err := c.err(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want error containing %q", c.name, err, c.want)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
