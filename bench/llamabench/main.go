// Command llamabench times llink's Llama decoder on the LLaMA-style configs
// of issue 5 ("small": d=256, 4 layers, 8 heads, ffn 688, vocab 8192,
// seq 128, batch 8; "big": d=512, 8 layers, 8 heads, ffn 1376, vocab 32000,
// seq 256, batch 4) on random weights: forward tokens/s (logits for every
// position), greedy KV-cache decode tokens/s (batch 1) and peak RSS. Its
// PyTorch twin is bench/llama_torch.py; run both with the same flags and
// compare.
//
//	go run ./bench/llamabench -config small -threads 1
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"time"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/bench/internal/proc"
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/nn"
	"github.com/llink-go/llink/tensor"
)

type shape struct {
	d, layers, heads, ffn, vocab, seq, batch int
}

var configs = map[string]shape{
	"small": {256, 4, 8, 688, 8192, 128, 8},
	"big":   {512, 8, 8, 1376, 32000, 256, 4},
}

func main() {
	name := flag.String("config", "small", "small, big or 1b (Llama-3.2-1B shape, random bf16 weights)")
	threads := flag.Int("threads", 1, "threads")
	decodeN := flag.Int("decode", 64, "decode steps")
	decodeReps := flag.Int("decodereps", 3, "decode repetitions (best is reported; the CPU profile covers them all)")
	reps := flag.Int("reps", 3, "forward repetitions (best is reported)")
	bf16 := flag.Bool("bf16", false, "bf16 weights")
	trainSteps := flag.Int("train", 4, "training steps timed (fwd + bwd + AdamW on every weight; best is reported; 0: skip)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the timed decode to this file")
	trainProfile := flag.String("trainprofile", "", "write a CPU profile of the timed training steps to this file")
	fwdProfile := flag.String("fwdprofile", "", "write a CPU profile of the timed forwards to this file")
	fastSiLU := flag.Bool("fastsilu", false, "the MLP's SiLU with a float32 sigmoid (llama.Model.FastSiLU; not the default's bits)")
	flag.Parse()
	s, ok := configs[*name]
	if !ok && *name != "1b" {
		fmt.Fprintln(os.Stderr, "unknown config", *name)
		os.Exit(2)
	}
	asm.SetThreads(*threads)
	var c llama.Config
	if *name == "1b" {
		// What a user with the real checkpoint gets: its exact shapes, bf16
		// weights, one 128-token prompt.
		c, s = llama.Llama32_1B(), shape{vocab: 128256, seq: 128, batch: 1}
		*bf16 = true
	} else {
		c = llama.Tiny(s.vocab)
		c.Hidden, c.Layers, c.Heads, c.KVHeads, c.HeadDim, c.Intermediate = s.d, s.layers, s.heads, s.heads, s.d/s.heads, s.ffn
		c.MaxPositions = 4096
	}
	newModel := llama.New
	if *bf16 {
		newModel = llama.NewBF16 // never holds the f32 model: peak RSS as a bf16 checkpoint load
	}
	m := newModel(c, rand.New(rand.NewPCG(1, 2)))
	m.FastSiLU = *fastSiLU
	r := rand.New(rand.NewPCG(3, 4))
	ids := make([]int, s.batch*s.seq)
	for i := range ids {
		ids[i] = r.IntN(s.vocab)
	}
	// The logits buffer is reused across repetitions, as PyTorch's caching
	// allocator reuses its block: allocating (and faulting in) rows×vocab
	// floats per call costs more than the GEMM that fills them.
	best, bestCPU := time.Duration(1<<62), time.Duration(1<<62)
	var logits *tensor.Tensor
	stopFwd := startProfile(*fwdProfile)
	for range *reps {
		c0, t0 := proc.CPUTime(), time.Now()
		h := m.Forward(llama.Batch{B: s.batch, T: s.seq, IDs: ids}, nil)
		logits = m.LogitsInto(logits, h)
		best, bestCPU = min(best, time.Since(t0)), min(bestCPU, proc.CPUTime()-c0)
	}
	stopFwd()
	fwd := rates(s.batch*s.seq, best, bestCPU)

	// Decode: the 16-token prompt's prefill (MaxNew 1) and the full
	// generation are each timed decodeReps times and the best of each kept,
	// so the difference is the decode steps alone, robust to a noisy machine.
	prompt := ids[:16]
	gen := func(n int) (wall, cpu time.Duration) {
		c0, t0 := proc.CPUTime(), time.Now()
		m.Generate([][]int{prompt}, llama.GenerateOptions{MaxNew: n})
		return time.Since(t0), proc.CPUTime() - c0
	}
	prefill, full := time.Duration(1<<62), time.Duration(1<<62)
	prefillCPU, fullCPU := prefill, full
	for range *decodeReps {
		w, c := gen(1)
		prefill, prefillCPU = min(prefill, w), min(prefillCPU, c)
	}
	stop := startProfile(*cpuProfile)
	for range *decodeReps {
		w, c := gen(*decodeN + 1)
		full, fullCPU = min(full, w), min(fullCPU, c)
	}
	stop()
	dec := rates(*decodeN, full-prefill, fullCPU-prefillCPU)
	trainRate := "-"
	if *trainSteps > 0 && *name != "1b" {
		trainRate = trainRates(c, s, ids, *trainSteps, *trainProfile, *fastSiLU)
	}
	fmt.Printf("llink %s threads=%d bf16=%v: train %s, forward %s, decode %s, peak RSS %s\n",
		*name, *threads, *bf16, trainRate, fwd, dec, proc.PeakRSS())
}

// startProfile starts a CPU profile into path (nothing when path is empty)
// and returns the function that stops it.
func startProfile(path string) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "llamabench:", err)
		os.Exit(1)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "llamabench:", err)
			os.Exit(1)
		}
	}
}

// rates formats n tokens over the best wall and process-CPU times as
// "W tok/s (C per CPU-s)": the CPU rate leaves out time spent waiting for a
// core on a shared machine (bench/sidebyside.sh compares both).
func rates(n int, wall, cpu time.Duration) string {
	return fmt.Sprintf("%.1f tok/s (%.1f per CPU-s)", float64(n)/wall.Seconds(), float64(n)/cpu.Seconds())
}

// trainRates times full training steps of a fresh model of config c on
// the batch ids: embedding, forward, logits for every position, next-token
// cross-entropy, backward, AdamW on every weight. It reports the best step
// (wall and process CPU) after one warm-up step; profile, if set, receives
// a CPU profile of the timed steps; fastSiLU sets llama.Model.FastSiLU.
func trainRates(c llama.Config, s shape, ids []int, steps int, profile string, fastSiLU bool) string {
	m := llama.New(c, rand.New(rand.NewPCG(5, 6)))
	m.FastSiLU = fastSiLU
	params := m.Trainable()
	opt := nn.NewAdamW([]nn.ParamGroup{{Params: params, LR: 1e-4, WeightDecay: 0.01}}, 0.9, 0.999, 1e-8)
	tp := autograd.NewTape()
	targets := make([]int, len(ids))
	for i := range ids {
		targets[i] = -100
		if (i+1)%s.seq != 0 {
			targets[i] = ids[i+1]
		}
	}
	best, bestCPU := time.Duration(1<<62), time.Duration(1<<62)
	stop := func() {}
	for i := range steps + 1 {
		if i == 1 {
			stop = startProfile(profile)
		}
		c0, t0 := proc.CPUTime(), time.Now()
		tp.Reset()
		autograd.ZeroGrad(params)
		x := m.EmbedTapeOn(tp, ids, s.batch, s.seq)
		h := tp.Reshape(m.ForwardTape(tp, x, nil, nil), s.batch*s.seq, c.Hidden)
		loss := tp.CrossEntropy(m.LogitsTape(tp, h), targets, -100)
		tp.Backward(loss)
		opt.Step()
		if i > 0 {
			best, bestCPU = min(best, time.Since(t0)), min(bestCPU, proc.CPUTime()-c0)
		}
	}
	stop()
	return rates(len(ids), best, bestCPU)
}
