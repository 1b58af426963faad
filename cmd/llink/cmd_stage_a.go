package main

import (
	"fmt"

	"github.com/llink-go/llink/models/llink"
)

func init() {
	register(command{name: "stage-a", synopsis: "-out FOLDER [model, data and step flags of run]",
		short: "train the Stage A projector on the vector caches; writes FOLDER/" + projectorName,
		run:   stageCommand("stage-a", true, stageA)})
}

// stageA trains the projector and saves it.
func stageA(st *stage) (string, error) {
	proj, err := st.s.StageA()
	if err != nil {
		return "", err
	}
	wrote := st.dir.File(projectorName)
	if err := llink.SaveProjector(wrote, proj, st.c.Slots, st.m.DecoderID, st.m.EncoderID); err != nil {
		return "", err
	}
	a := st.s.Results().StageA
	fmt.Fprintf(st.log, "stage A: best dev R@1 %.3f, MRR %.3f (step %d)\n", a.Best.R1, a.Best.MRR, a.BestStep)
	return wrote, nil
}

// poolingName says what Stage A's student vector is for attention-pooling
// heads h (llink.Config.AttnHeads), in a mismatch's error.
func poolingName(h int) string {
	if h == 0 {
		return "the mean of the token states"
	}
	return fmt.Sprintf("attention pooling of the token states with %d heads", h)
}
