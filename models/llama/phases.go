package llama

import "time"

// Phase is a part of a forward pass that [PhaseTimes] times on its own.
type Phase int

// The phases of a forward pass, in the order a decoder block runs them.
const (
	PhaseEmbed     Phase = iota // token embedding lookup (Forward only)
	PhaseSetup                  // positions, the RoPE table, activation buffers
	PhaseNorm                   // the blocks' two RMSNorms
	PhaseQKV                    // the q, k and v projections
	PhaseRoPE                   // rotating q and k, storing k and v in the cache
	PhaseAttention              // scores, softmax and the weighted values
	PhaseOut                    // the output projection (o_proj)
	PhaseResidual               // adding the attention and MLP outputs to the residual stream
	PhaseGateUp                 // the gate and up projections
	PhaseSwiGLU                 // SiLU(gate)·up
	PhaseDown                   // the down projection
	PhaseFinalNorm              // the final RMSNorm
	PhaseHead                   // the LM head's logits ([Model.LogitsInto])
	numPhases
)

var phaseNames = [numPhases]string{"embed", "setup", "norm", "qkv", "rope+cache", "attention", "o", "residual",
	"gate+up", "swiglu", "down", "final norm", "head"}

// String returns the phase's short name.
func (p Phase) String() string { return phaseNames[p] }

// PhaseTimes accumulates the wall time a model's forward passes and logits
// spend in each [Phase] while it is attached ([Model.SetPhaseTimes]): a
// profile of a whole token by phase, as `llink bench -phases` prints it.
// The clock is read twice per phase (tens of nanoseconds); a detached
// model reads no clock.
type PhaseTimes struct {
	d [numPhases]time.Duration
}

// Of returns the time spent in phase p.
func (pt *PhaseTimes) Of(p Phase) time.Duration { return pt.d[p] }

// Total returns the time spent in all phases.
func (pt *PhaseTimes) Total() time.Duration {
	var s time.Duration
	for _, d := range pt.d {
		s += d
	}
	return s
}

// Reset zeroes every phase's time.
func (pt *PhaseTimes) Reset() { pt.d = [numPhases]time.Duration{} }

// Phases returns every phase in order.
func Phases() []Phase {
	p := make([]Phase, numPhases)
	for i := range p {
		p[i] = Phase(i)
	}
	return p
}

// SetPhaseTimes attaches pt to m (nil detaches): m's forward passes then
// add their phases' times to it. The model must not run forward passes
// concurrently while one is attached.
func (m *Model) SetPhaseTimes(pt *PhaseTimes) { m.phases = pt }

// start returns the time a phase starts (the zero time when detached).
func (pt *PhaseTimes) start() time.Time {
	if pt == nil {
		return time.Time{}
	}
	return time.Now()
}

// end adds the time since t0 to phase p and returns now, the start of the
// next phase.
func (pt *PhaseTimes) end(p Phase, t0 time.Time) time.Time {
	if pt == nil {
		return t0
	}
	t := time.Now()
	pt.d[p] += t.Sub(t0)
	return t
}
