package train

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"

	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/internal/safeio"
)

// ActivationHeadroom is how much memory a micro-batch is given per byte of
// its tape's arena (activations, saved values, intermediate gradients):
// the Go heap grows past its live bytes between collections.
const ActivationHeadroom = 1.5

// FitMicroBatch returns the largest micro-batch, at most batch examples,
// whose activations (perExample bytes each, headroom included) fit budget
// bytes beside fixed bytes (everything else the process holds). It is an
// error when not even one example fits.
func FitMicroBatch(budget, fixed, perExample int64, batch int) (int, error) {
	if perExample <= 0 || batch <= 0 {
		return 0, fmt.Errorf("train: micro-batch from %d bytes per example and batch %d", perExample, batch)
	}
	free := budget - fixed
	if free < perExample {
		return 0, fmt.Errorf("memory budget %s does not fit a micro-batch of one example: the process holds %s with the optimizer state and one example needs %s (a budget of at least %s)",
			safeio.Size(budget), safeio.Size(fixed), safeio.Size(perExample), safeio.Size(fixed+perExample))
	}
	return int(min(free/perExample, int64(batch))), nil
}

// fitMemory picks the micro-batch for a memory budget: what a micro-batch
// needs ([decoderStep.activations]) beside the process's resident memory
// and AdamW's two moments of the trainable parameters. The loop also sets
// the runtime's soft memory limit to the budget ([limitMemory]).
func (st decoderStep) fitMemory(budget int64, exs []Example, pad, bs int, params []*autograd.Var) (int, error) {
	perExample, slotTerms, err := st.activations(exs, pad, params)
	if err != nil {
		return 0, err
	}
	var moments int64
	for _, p := range params {
		moments += 2 * 4 * int64(p.Value.Len())
	}
	resident, _ := residentBytes()
	return FitMicroBatch(budget, resident+moments+slotTerms*int64(bs), perExample, bs)
}

// activations measures, headroom included, the tape's arena for one
// forward and backward pass of the longest example and for the slot terms
// of one example (they run over the whole batch). The pass uses no dropout,
// so the loop's random stream is untouched; the gradients are cleared.
func (st decoderStep) activations(exs []Example, pad int, params []*autograd.Var) (perExample, slotTerms int64, err error) {
	longest := exs[0]
	for _, e := range exs {
		if len(e.Prompt)+len(e.Answer) > len(longest.Prompt)+len(longest.Answer) {
			longest = e
		}
	}
	one := []Example{longest}
	in := batchInputs(one, pad)
	tp := autograd.NewTape()
	var s *autograd.Var
	var counts []int
	if st.slots != nil {
		if s, counts, err = st.slots(tp, 0, one, in); err != nil {
			return 0, 0, err
		}
	}
	ce, _ := st.answer(tp, in, s, counts, st.usage != 0 && st.usageEvery > 0, nil)
	tp.Backward(ce)
	perExample = int64(float64(tp.Arena().Bytes()) * ActivationHeadroom)
	if st.slotTerms != nil {
		tp = autograd.NewTape()
		if s, counts, err = st.slots(tp, 0, one, in); err != nil {
			return 0, 0, err
		}
		tp.Backward(st.slotTerms(tp, nil, s, counts, one))
		slotTerms = int64(float64(tp.Arena().Bytes()) * ActivationHeadroom)
	}
	autograd.ZeroGrad(params)
	return perExample, slotTerms, nil
}

// residentBytes returns the process's resident memory after a collection
// that returns freed pages to the system (from /proc/self/statm on Linux)
// and the part of it the Go runtime manages; elsewhere both are what the
// runtime holds from the system.
func residentBytes() (resident, goRuntime int64) {
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	goRuntime = int64(ms.Sys - ms.HeapReleased)
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := bytes.Fields(b); len(f) > 1 {
			if pages, err := strconv.ParseInt(string(f[1]), 10, 64); err == nil {
				return pages * int64(os.Getpagesize()), goRuntime
			}
		}
	}
	return goRuntime, goRuntime
}

// limitMemory sets the Go runtime's soft memory limit for a budget of
// budget bytes (less what the process holds outside the runtime: mapped
// weight files), so that collections keep garbage from pushing the heap
// past it, unless a lower limit is already set; restore puts back the
// previous limit.
func limitMemory(budget int64) (restore func()) {
	resident, goRuntime := residentBytes()
	prev := debug.SetMemoryLimit(-1)
	debug.SetMemoryLimit(min(prev, budget-max(0, resident-goRuntime)))
	return func() { debug.SetMemoryLimit(prev) }
}

// logMicroBatch says how a trained row's batches ran when they were split
// (a memory budget's choice is otherwise invisible).
func (p *pipeline) logMicroBatch(row string, mb int, c StageBConfig) {
	if mb > 0 && mb < c.Batch {
		how := "the micro-batch setting"
		if c.MicroBatch == 0 {
			how = "memory budget " + safeio.Size(c.Memory)
		}
		p.logf("%s: batches of %d ran as micro-batches of %d (%s)", row, c.Batch, mb, how)
	}
}
