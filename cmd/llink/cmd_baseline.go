package main

import (
	"strings"

	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/train"
)

func init() {
	register(command{name: "baseline", synopsis: "-out FOLDER [flags]",
		short: "train the fine-tuned controls (" + strings.Join(train.DefaultControls, ", ") + ": LoRA on their own prompts, Stage B's budget); writes FOLDER/lora-*.safetensors",
		run:   stageCommand("baseline", false, baseline)})
}

// baseline trains each fine-tuned control of the default table and saves
// its LoRA; it returns the last file written.
func baseline(st *stage) (wrote string, err error) {
	for _, row := range train.DefaultControls {
		ctl, err := st.s.TrainControl(row)
		if err != nil {
			return "", err
		}
		wrote = st.dir.File(train.ControlFile(row))
		if err := llink.SaveLoRA(wrote, ctl.Params, st.c.LoRA, st.m.DecoderID); err != nil {
			return "", err
		}
	}
	return wrote, nil
}
