package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/llink-go/llink/asm"
)

// TestLanesMatchSerial checks that the pipeline's two lanes (LLINK's and
// the controls' on a fork of the decoder, run at once) give the results
// of running every step in turn, to the bit: rows in table order, scores,
// answers, retrieval and the layer analysis.
func TestLanesMatchSerial(t *testing.T) {
	defer asm.SetThreads(2)()
	m, d, c := toyStages(t, 2)
	c.StageB.Steps = 6
	c.LRFactor = TunedLRFactors()
	run := func(lanes bool) string {
		s, err := NewStages(m, d, c, nil)
		if err != nil {
			t.Fatal(err)
		}
		var res *Results
		if lanes {
			res, err = s.runLanes()
		} else {
			res, err = s.runSerial()
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Dec.Model.Adapters()) != 0 {
			t.Fatal("the run left adapters on the decoder")
		}
		res.Timing, res.StageA.Elapsed = nil, 0
		b, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	serial, lanes := run(false), run(true)
	if serial != lanes {
		i := 0
		for i < min(len(serial), len(lanes)) && serial[i] == lanes[i] {
			i++
		}
		lo := max(0, i-300)
		t.Fatalf("lanes and serial runs differ at byte %d:\nserial …%.600s\nlanes  …%.600s", i, serial[lo:], lanes[lo:])
	}
	var res Results
	if err := json.Unmarshal([]byte(lanes), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Methods) != len(DefaultRows) || len(res.Layers) == 0 {
		t.Fatalf("lanes gave %d rows (want %d) and %d layer stats", len(res.Methods), len(DefaultRows), len(res.Layers))
	}
	for i, r := range res.Methods {
		if r.Method != DefaultRows[i] {
			t.Fatalf("row %d is %s, want %s", i, r.Method, DefaultRows[i])
		}
	}
}

// TestFirstRealErr checks which lane's error a two-lane run reports: a
// failure over the other lane's interruption, the interruption when both
// were interrupted.
func TestFirstRealErr(t *testing.T) {
	stopped := fmt.Errorf("train: stage B stopped: %w", ErrInterrupted)
	bad := errors.New("train: direct FT step 3: NaN loss")
	for _, c := range []struct {
		errs []error
		want error
	}{
		{[]error{nil, nil}, nil},
		{[]error{stopped, bad}, bad},
		{[]error{bad, stopped}, bad},
		{[]error{nil, stopped}, stopped},
		{[]error{stopped, fmt.Errorf("x: %w", ErrInterrupted)}, stopped},
	} {
		if got := firstRealErr(c.errs...); got != c.want {
			t.Errorf("firstRealErr(%v) = %v, want %v", c.errs, got, c.want)
		}
	}
}
