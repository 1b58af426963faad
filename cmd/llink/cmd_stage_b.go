package main

import (
	"fmt"

	"github.com/llink-go/llink/models/llink"
)

func init() {
	register(command{name: "stage-b", synopsis: "-out FOLDER [flags]",
		short: "train Stage B (slots, adapter, LoRA) from FOLDER/" + projectorName + "; writes FOLDER/" + bundleName,
		run:   stageCommand("stage-b", false, stageB)})
}

// stageB trains the slots and LoRA on the saved projector and writes the
// bundle.
func stageB(st *stage) (string, error) {
	path := st.dir.File(projectorName)
	proj, pc, err := llink.LoadProjector(path, st.m.Identity())
	if err != nil {
		return "", err
	}
	if pc.ProjHidden != st.c.Slots.ProjHidden {
		return "", fmt.Errorf("stage-b: %s has projector width %d; these flags give %d", path, pc.ProjHidden, st.c.Slots.ProjHidden)
	}
	if pc.AttnHeads != st.c.Slots.AttnHeads {
		return "", fmt.Errorf("stage-b: %s was trained with %s; these flags give %s (-attn-heads %d)", path, poolingName(pc.AttnHeads), poolingName(st.c.Slots.AttnHeads), st.c.Slots.AttnHeads)
	}
	b, err := st.s.StageB(proj)
	if err != nil {
		return "", err
	}
	wrote := st.dir.File(bundleName)
	return wrote, llink.SaveBundle(wrote, b, nil)
}
