package main

import "github.com/llink-go/llink/models/llink"

func init() {
	register(command{name: "baseline", synopsis: "-out FOLDER [flags]",
		short: "train the direct fine-tuning baseline (LoRA on raw-Khmer prompts); writes FOLDER/" + baselineName,
		run:   stageCommand("baseline", false, baseline)})
}

// baseline trains direct fine-tuning on raw-Khmer prompts and saves its
// LoRA.
func baseline(st *stage) (string, error) {
	_, lora, err := st.s.DirectFT(llink.Form{Content: llink.Raw})
	if err != nil {
		return "", err
	}
	wrote := st.dir.File(baselineName)
	return wrote, llink.SaveLoRA(wrote, lora, st.c.LoRA, st.m.DecoderID)
}
