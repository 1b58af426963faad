// Command stageb times LLINK's Stage B training step at the paper's real
// shapes: a Llama-3.2-1B decoder with random bf16 weights (frozen), LoRA
// rank 16 (α 16, dropout 0.05) on q, k, v, o, up and down of every layer,
// LLINK's Stage B parts (scale, gated adapter, expander to K = 8 slots)
// spliced into prompts of the paper's length (~80 tokens, the last 16 the
// answer), cross-entropy on the answer tokens only, backward, gradient
// clipping and AdamW on the trainable parameters. A batch is split into
// micro-batches whose gradients accumulate before the one optimizer step,
// so any batch fits a memory budget. It prints tokens/s and seconds per
// step for each batch size, the step's GEMM throughput as a share of the
// FMA peak measured in the same run, peak RSS, and the projected wall time
// of the paper's Stage B budget (940 steps of 128) and of the default run's
// (150 steps of 16) at this shape; with -encoder, the cache step's cost too
// (an xlm-roberta-base-shaped encoder, random weights, layer-mean pooling,
// on Khmer-length inputs). The backward's dy·W runs on the bf16
// dot-product path as the forward's x·Wᵀ does, W read as stored. With -loop, it runs steps of the real Stage B
// loop instead. Its PyTorch twin is bench/stageb_torch.py.
//
//	go run ./bench/stageb -threads 1 -batch 8
//	go run ./bench/stageb -threads 2 -batch 8,32 -membudget 12
//	go run ./bench/stageb -loop 1 -batch 128 -micro 0 -membudget 20   # the real loop (train.TrainStageB)
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/bench/internal/proc"
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/models/llink"
	"github.com/llink-go/llink/models/xlmr"
	"github.com/llink-go/llink/nn"
	"github.com/llink-go/llink/tensor"
	"github.com/llink-go/llink/train"
)

func main() {
	threads := flag.Int("threads", 1, "threads")
	batches := flag.String("batch", "8", "comma-separated batch sizes (examples per optimizer step)")
	micro := flag.Int("micro", 8, "examples per forward/backward (gradients accumulate over batch/micro); 0: as many as -membudget allows")
	memBudget := flag.Float64("membudget", 0, "GiB the step may use (weights, optimizer state and activations); with -micro 0 it sets the micro-batch")
	steps := flag.Int("steps", 1, "timed steps per batch size")
	seq := flag.Int("seq", 80, "prompt length in tokens (slots and answer included)")
	answer := flag.Int("answer", 16, "answer tokens per prompt (the loss covers these)")
	layers := flag.Int("layers", 0, "decoder layers (0: the 16 of Llama-3.2-1B; fewer for a quick look)")
	encoder := flag.Bool("encoder", false, "also time the cache step (xlm-roberta-base-shaped encoder)")
	decoder := flag.Bool("decoder", true, "time the Stage B step (false: only the cache step, with -encoder)")
	khmer := flag.Int("khmer", 104, "encoder input tokens per Khmer sentence (LLINK.md: 104 Llama tokens; XLM-R's Unigram spends fewer)")
	compare := flag.Int("compare", 0, "instead of the timed steps, compare one micro-batch of this many examples' loss and gradients on the bf16 dot-product path against float32 arithmetic")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the timed steps to this file (samples labelled step=N: pprof -tagfocus=step:N; asm's pooled GEMM workers at two or more threads carry no label)")
	fastSiLU := flag.Bool("fastsilu", false, "the decoder's SiLU with a float32 sigmoid (llama.Model.FastSiLU; not the default's bits)")
	loop := flag.Int("loop", 0, "instead of the timed steps, run this many steps of the real Stage B loop (train.TrainStageB, the paper's settings) on random examples at the last -batch size, micro-batches from -micro or, with -micro 0, -membudget; print each step's time and the peak RSS")
	flag.Parse()
	sizes, err := parseInts(*batches)
	if err != nil || *seq < 16+*answer+1 || *answer < 1 { // 8 head tokens, 8 slots, the answer
		fmt.Fprintln(os.Stderr, "stageb: bad -batch, -seq or -answer:", *batches, *seq, *answer, err)
		os.Exit(2)
	}
	asm.SetThreads(*threads)
	debug.SetGCPercent(50)
	if !*decoder {
		if *encoder {
			encodeStep(*khmer, *threads)
		}
		return
	}

	c := llama.Llama32_1B()
	if *layers > 0 {
		c.Layers = *layers
	}
	r := rand.New(rand.NewPCG(1, 2))
	t0 := time.Now()
	m := llama.NewBF16(c, r)
	m.FastSiLU = *fastSiLU
	lora := m.AddLoRA(llama.LoRAOptions{Rank: 16, Alpha: 16, Dropout: 0.05,
		Targets: []string{"q_proj", "k_proj", "v_proj", "o_proj", "up_proj", "down_proj"}}, r)
	lc := llink.DefaultConfig(768, c.Hidden)
	slots := llink.NewSlots(lc, 1, r)
	for _, p := range lora { // B starts at zero (PEFT); give it values so every gradient path is non-trivial
		if strings.HasSuffix(p.Name, "lora_B") {
			copy(p.Data(), tensor.RandN(r, 0.01, p.Shape()...).Data())
		}
	}
	params := append(append([]*autograd.Var(nil), lora...), slots.Params()...)
	opt := nn.NewAdamW([]nn.ParamGroup{{Params: lora, LR: 1e-4, WeightDecay: 0.01},
		{Params: slots.Params(), LR: 3e-5, WeightDecay: 0.01}}, 0.9, 0.999, 1e-8)
	nParams := 0
	for _, p := range params {
		nParams += p.Value.Len()
	}
	fmt.Printf("stageb: Llama-3.2-1B shape (%d layers, bf16 frozen (%.2f GB), built in %.0f s), LoRA r16 on q,k,v,o,up,down + slots K=%d: %.1fM trainable; prompt %d tokens (answer %d), threads %d\n",
		c.Layers, float64(m.Bytes())/1e9, time.Since(t0).Seconds(), lc.K, float64(nParams)/1e6, *seq, *answer, *threads)
	if *loop > 0 {
		runLoop(m, slots, lora, *loop, sizes[len(sizes)-1], *micro, *memBudget, *seq, *answer, c.Layers)
		return
	}

	s := &stepper{m: m, slots: slots, params: params, opt: opt, seq: *seq, answer: *answer, k: lc.K,
		tp: autograd.NewTape(), rng: rand.New(rand.NewPCG(3, 4))}
	if *compare > 0 {
		s.compare(*compare)
		return
	}
	// Warm-up step of one example: allocates the optimizer state and sizes
	// the arena per token, so -micro 0 can pick the micro-batch from the
	// memory budget.
	s.step(1, 1)
	perToken := float64(s.tp.Arena().Bytes()) / float64(*seq)
	fmt.Printf("stageb: activations and saved values %.1f MB per token (arena), RSS after warm-up %.1f GB\n", perToken/1e6, float64(proc.RSS())/1e9)
	mb := *micro
	if mb <= 0 {
		if *memBudget <= 0 {
			fmt.Fprintln(os.Stderr, "stageb: -micro 0 needs -membudget")
			os.Exit(2)
		}
		perEx := int64(train.ActivationHeadroom * perToken * float64(*seq))
		if mb, err = train.FitMicroBatch(int64(*memBudget*(1<<30)), proc.RSS(), perEx, slices.Max(sizes)); err != nil {
			fmt.Fprintln(os.Stderr, "stageb:", err)
			os.Exit(2)
		}
		fmt.Printf("stageb: micro-batch %d fits %.0f GiB\n", mb, *memBudget)
	}
	// The FMA and bf16 dot-product peaks per wall-clock and per CPU-second
	// of this process (one goroutine), so the step's GEMM work can be read
	// against both.
	var pk peaks
	c0, w0 := proc.CPUTime(), time.Now()
	pk.fma, pk.ok = asm.FMAPeak(time.Second)
	pk.fmaCPU = pk.fma * time.Since(w0).Seconds() / (proc.CPUTime() - c0).Seconds()
	c0, w0 = proc.CPUTime(), time.Now()
	if d, ok := asm.BF16DotPeak(time.Second); ok {
		pk.dotCPU = d * time.Since(w0).Seconds() / (proc.CPUTime() - c0).Seconds()
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "stageb:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	s.measure(sizes, mb, *steps, *threads, pk)
	if *encoder {
		encodeStep(*khmer, *threads)
	}
}

// runLoop runs steps of train.TrainStageB (the paper's settings: AdamW
// with warm-up, clipping, the usage hinge every third step, the slot
// alignment terms) over bs random examples of seq tokens (the slots at
// 8…15, answer tokens last), micro-batches of mb or, with mb 0, the
// largest that fits budget GiB; it prints each step as the loop logs it,
// the whole run's time and the process's peak RSS.
func runLoop(m *llama.Model, slots *llink.Slots, lora []*autograd.Var, steps, bs, mb int, budget float64, seq, answer, layers int) {
	r := rand.New(rand.NewPCG(5, 6))
	d, k := m.Config.Hidden, slots.Expander.K
	exs := make([]train.Example, bs)
	for i := range exs {
		e := train.Example{Prompt: make([]int, seq-answer), Answer: make([]int, answer),
			V: tensor.RandN(r, 1, d).Data(), H: tensor.RandN(r, 1, d).Data()}
		for j := range e.Prompt {
			e.Prompt[j] = r.IntN(m.Config.VocabSize)
		}
		for j := range e.Answer {
			e.Answer[j] = r.IntN(m.Config.VocabSize)
		}
		for j := range k {
			e.SlotPos = append(e.SlotPos, 8+j)
		}
		exs[i] = e
	}
	c := train.DefaultStageB()
	c.Steps, c.Batch, c.MicroBatch = steps, bs, mb
	if mb <= 0 {
		c.Memory = int64(budget * (1 << 30))
	}
	t0, last := time.Now(), time.Now()
	res, err := train.TrainStageB(m, slots, lora, exs, 0, c, func(l train.StepLog) {
		fmt.Printf("stageb loop step %d: loss %.4f, gradient norm %.3g, %.1f s (RSS %.1f GB)\n",
			l.Step, l.Loss, l.Norm, time.Since(last).Seconds(), float64(proc.RSS())/1e9)
		last = time.Now()
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "stageb:", err)
		os.Exit(1)
	}
	fmt.Printf("stageb loop: %d layers, %d step(s) of batch %d in micro-batches of %d (budget %.1f GiB): %.1f s, peak RSS %s\n",
		layers, steps, bs, res.MicroBatch, budget, time.Since(t0).Seconds(), proc.PeakRSS())
}

// measure times steps of each batch size (the best of steps), prints
// their rates and GEMM work against the FMA peak, and projects the larger
// batches and the training budgets from the last size's micro-batch time.
// peaks are the throughput ceilings measured in the run: FMA per wall
// second and per CPU-second (ok when the level has an FMA loop), and the
// bf16 dot product's per CPU-second (0 without one).
type peaks struct {
	fma, fmaCPU, dotCPU float64
	ok                  bool
}

func (s *stepper) measure(sizes []int, mb, steps, threads int, pk peaks) {
	flopsPerEx := stepFlops(s.m.Config, s.seq, s.answer)
	var last timing
	for _, bs := range sizes {
		var best timing
		for i := range steps {
			// Each timed step's samples carry its number in a CPU profile
			// (pprof -tagfocus=step:2): the first step at a size grows the
			// arena, and its first touches of fresh pages — page faults,
			// each charged to whatever kernel writes the page first — are
			// not the steady state.
			var t timing
			pprof.Do(context.Background(), pprof.Labels("step", strconv.Itoa(i+1)), func(context.Context) {
				t = s.step(bs, min(mb, bs))
			})
			fmt.Printf("stageb batch %d step %d: %.1f s (%.1f CPU-s), %d page faults\n",
				bs, i+1, t.total().Seconds(), (t.microCPU + t.optCPU).Seconds(), t.faults)
			if i == 0 || t.total() < best.total() {
				best = t
			}
		}
		last = best
		sec, cpu := best.total().Seconds(), (best.microCPU + best.optCPU).Seconds()
		share := ""
		if pk.ok {
			g := flopsPerEx * float64(bs) / 1e9
			share = fmt.Sprintf(", GEMM work %.0f GFLOP/s = %.0f%% of %d× the FMA peak %.0f (per CPU-s: %.0f of %.0f = %.0f%%)",
				g/sec, 100*g/sec/(pk.fma*float64(threads)), threads, pk.fma, g/cpu, pk.fmaCPU, 100*g/cpu/pk.fmaCPU)
			if pk.dotCPU > 0 {
				share += fmt.Sprintf(" (bf16 dot peak %.0f per CPU-s)", pk.dotCPU)
			}
		}
		fmt.Printf("stageb batch %d (micro %d): %.1f s/step (optimizer %.2f s, %.2f CPU-s), %.1f tok/s (%.1f per CPU-s)%s, %d page faults in the step, peak RSS %s\n",
			bs, min(mb, bs), sec, best.opt.Seconds(), best.optCPU.Seconds(), float64(bs*s.seq)/sec, float64(bs*s.seq)/cpu, share, best.faults, proc.PeakRSS())
	}
	// Larger batches are more micro-batches of the same size and one
	// optimizer step: their time follows from the last measured step.
	bs := sizes[len(sizes)-1]
	perMicro := last.micro.Seconds() / float64(ceilDiv(bs, min(mb, bs)))
	project := func(n int) float64 { return float64(ceilDiv(n, min(mb, bs)))*perMicro + last.opt.Seconds() }
	for _, n := range []int{8, 32, 128} {
		if n > bs && n%min(mb, bs) == 0 {
			fmt.Printf("stageb batch %d projected (%d micro-batches of %d at the measured %.1f s + optimizer): %.1f s/step, %.1f tok/s\n",
				n, n/min(mb, bs), min(mb, bs), perMicro, project(n), float64(n*s.seq)/project(n))
		}
	}
	fmt.Printf("stageb projected wall time: paper budget 940 steps × 128 = %s; default run 150 steps × 16 = %s\n",
		hours(940*project(128)), hours(150*project(16)))
}

// stepper holds one Stage B training setup.
type stepper struct {
	m           *llama.Model
	slots       *llink.Slots
	params      []*autograd.Var
	opt         *nn.AdamW
	seq, answer int
	k           int
	tp          *autograd.Tape
	rng         *rand.Rand
}

// timing is one step's wall and CPU time, split into the micro-batches'
// forward and backward passes and the optimizer step.
type timing struct {
	micro, microCPU, opt, optCPU time.Duration
	faults                       int64 // minor page faults during the step
}

func (t timing) total() time.Duration { return t.micro + t.opt }

// step runs one optimizer step over bs examples in micro-batches of mb.
func (s *stepper) step(bs, mb int) timing {
	c0, w0, f0 := proc.CPUTime(), time.Now(), proc.MinorFaults()
	for done := 0; done < bs; done += mb {
		n := min(mb, bs-done)
		s.microStep(n, float32(n)/float32(bs))
	}
	c1, w1 := proc.CPUTime(), time.Now()
	nn.ClipGradNorm(s.params, 1)
	s.opt.Step()
	autograd.ZeroGrad(s.params)
	return timing{micro: w1.Sub(w0), microCPU: c1 - c0, opt: time.Since(w1), optCPU: proc.CPUTime() - c1,
		faults: proc.MinorFaults() - f0}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// microStep runs forward and backward for n random examples, the loss
// weighted by w (its share of the batch), accumulating into the gradients,
// and returns the (unweighted) loss.
// Each prompt holds the K slots at positions 8…8+K−1 (after a chat-template
// head) and ends with its answer; the loss is the answer tokens'
// cross-entropy, logits computed for those rows only.
func (s *stepper) microStep(n int, w float32) float32 {
	c := s.m.Config
	T, d := s.seq, c.Hidden
	ids := make([]int, n*T)
	for i := range ids {
		ids[i] = s.rng.IntN(c.VocabSize)
	}
	var slotRows, predPos, targets []int
	for b := range n {
		for j := range s.k {
			slotRows = append(slotRows, b*T+8+j)
		}
		for t := T - s.answer; t < T; t++ {
			predPos = append(predPos, b*T+t-1)
			targets = append(targets, ids[b*T+t])
		}
	}
	v := tensor.RandN(s.rng, 1, n, d) // the cached Stage A vectors of the batch
	tp := s.tp
	tp.Reset()
	x := s.m.EmbedTape(ids, n, T)
	sl := s.slots.Forward(tp, autograd.Const(v), nil)
	h := s.m.ForwardTape(tp, tp.ScatterRows(x, sl, slotRows), nil, s.rng)
	rows := tp.Gather(tp.Reshape(h, n*T, d), predPos)
	loss := tp.CrossEntropy(s.m.LogitsTape(tp, rows), targets, -100)
	tp.Backward(tp.Scale(loss, w))
	return loss.Item()
}

// compare runs one micro-batch of n examples on the bf16 dot-product path
// and again, on the same examples and dropout masks, with float32
// arithmetic (the widening avx512 level), and prints the loss and the
// relative difference of the LoRA and slot gradients.
func (s *stepper) compare(n int) {
	if asm.Active() != asm.AVX512BF16 {
		fmt.Println("stageb compare: no avx512bf16 level active; nothing to compare")
		return
	}
	run := func() (float32, []float32) {
		autograd.ZeroGrad(s.params)
		s.rng = rand.New(rand.NewPCG(3, 4))
		loss := s.microStep(n, 1)
		var g []float32
		for _, p := range s.params {
			g = append(g, p.Grad.Data()...)
		}
		return loss, g
	}
	lossDot, gDot := run()
	restore := asm.SetLevel(asm.AVX512)
	lossF32, gF32 := run()
	restore()
	autograd.ZeroGrad(s.params)
	var d, nrm float64
	for i, v := range gF32 {
		e := float64(gDot[i]) - float64(v)
		d, nrm = d+e*e, nrm+float64(v)*float64(v)
	}
	fmt.Printf("stageb compare (%d examples): loss %.6f on the bf16 path, %.6f in float32; gradients' relative difference %.2e (‖Δ‖/‖g‖ over %d floats)\n",
		n, lossDot, lossF32, math.Sqrt(d/nrm), len(gF32))
}

// stepFlops is the multiply-add work of one example's training pass in the
// decoder's GEMMs: the forward and the input-gradient backward of every
// projection (no weight gradient: the weights are frozen), the LM head on
// the answer rows, and the LoRA updates (forward, and backward to both
// factors and the input). Attention scores are left out (under 1%).
func stepFlops(c llama.Config, seq, answer int) float64 {
	d, kv, f := float64(c.Hidden), float64(c.KVHeads*c.HeadDim), float64(c.Intermediate)
	proj := d*d + 2*d*kv + d*d + 3*d*f // q, k, v, o, gate, up, down
	r := 16.0
	lora := r * ((d + d) + 2*(d+kv) + (d + d) + (d + f) + (f + d))
	perTok := float64(c.Layers) * (2*2*proj + 2*4*lora) // fwd + dX; LoRA fwd + 3 backward GEMMs
	return float64(seq)*perTok + float64(answer)*2*2*d*float64(c.VocabSize)
}

// encodeStep times the cache step: xlm-roberta-base (random weights) over
// 32 sentences of n tokens with layer-mean pooling, and projects the
// paper's 40k Stage B examples.
func encodeStep(n, threads int) {
	mlm, err := xlmr.NewMLM(xlmr.XLMRBase(), rand.New(rand.NewPCG(5, 6)))
	if err != nil {
		fmt.Fprintln(os.Stderr, "stageb:", err)
		os.Exit(1)
	}
	enc := mlm.Model
	r := rand.New(rand.NewPCG(7, 8))
	const bs = 32
	seqs := make([][]int, bs)
	for i := range seqs {
		seqs[i] = make([]int, n)
		for j := range seqs[i] {
			seqs[i][j] = 3 + r.IntN(enc.Config.VocabSize-3)
		}
	}
	b := xlmr.PadRight(seqs, enc.Config.PadTokenID)
	xlmr.MeanPool(enc.EncodeLayerMean(b), b.Mask) // warm-up
	c0, t0 := proc.CPUTime(), time.Now()
	xlmr.MeanPool(enc.EncodeLayerMean(b), b.Mask)
	sec, cpu := time.Since(t0).Seconds(), (proc.CPUTime() - c0).Seconds()
	fmt.Printf("stageb cache step (xlm-roberta-base shape, %d tokens, threads %d): %.1f sentences/s (%.1f per CPU-s); the paper's 40k Stage B examples: %s, peak RSS %s\n",
		n, threads, bs/sec, bs/cpu, hours(40000*sec/bs), proc.PeakRSS())
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("not a positive integer: %q", f)
		}
		out = append(out, v)
	}
	return out, nil
}

func hours(sec float64) string {
	if sec < 3600 {
		return fmt.Sprintf("%.0f min", sec/60)
	}
	if sec < 48*3600 {
		return fmt.Sprintf("%.1f h", sec/3600)
	}
	return fmt.Sprintf("%.1f days", sec/86400)
}
