package main

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/models/gguf"
	"github.com/llink-go/llink/models/llama"
	"github.com/llink-go/llink/tensor"
)

func init() {
	register(command{name: "bench", short: "time a Llama model's prompt processing and token generation (as llama-bench does)", run: runBench})
}

// benchShapes are the named random models bench can build without a file.
var benchShapes = map[string]func() llama.Config{
	"tiny": func() llama.Config { c := llama.Tiny(512); c.Intermediate = 704; return c },
	"1b":   llama.Llama32_1B,
	"3b":   llama.Llama32_3B,
}

// runBench mirrors llama.cpp's llama-bench: for each thread count, a prompt
// test (pp: P random tokens in one forward into a fresh KV cache, logits of
// the last) and a generation test (tg: N single-token steps from an empty
// cache, logits of each), each repeated R times after a warm-up, reported as
// mean ± standard deviation of tokens/s. With -bw it also measures the
// machine's read bandwidth on the same threads and gives tg's weight
// traffic as a share of it.
func runBench(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", stderr)
	path := fs.String("m", "", "model: a GGUF file or a Hugging Face folder")
	shape := fs.String("shape", "", "instead of -m, a random model of a named shape: tiny, 1b (Llama-3.2-1B) or 3b")
	dtype := fs.String("dtype", "auto", "matrix storage: auto (the file's: bf16 and the quantised types Q8_0, Q4_0, Q4_K, Q6_K stay so, else f32), f32 or bf16; with -shape -write also q8_0, q4_0, q4_k or q6_k")
	prompt := fs.Int("p", 128, "prompt tokens of the pp test (0: skip it)")
	gen := fs.Int("n", 64, "generated tokens of the tg test (0: skip it)")
	reps := fs.Int("r", 5, "repetitions of each test")
	threadList := fs.String("t", strconv.Itoa(runtime.GOMAXPROCS(0)), "thread counts, comma-separated")
	bw := fs.Bool("bw", false, "measure the read bandwidth on each thread count and give tg as a share of it")
	write := fs.String("write", "", "write the model (e.g. a random -shape) to this GGUF file with -dtype's matrix type and exit")
	phases := fs.Bool("phases", false, "after the tests, profile each one's tokens by phase: time per token, share, for tg the projections' weight GB/s (and share of -bw's bandwidth), CPU time and heap allocations per token (not with -csv)")
	stored := fs.Bool("stored", false, "keep Q4_K, Q6_K and Q8_0 matrices in the file's block layout instead of repacking them for the packed int8 kernels (the layout before issue 19's repacking; for comparisons)")
	csv := fs.Bool("csv", false, "print CSV (model,type,threads,test,avg_ts,stddev_ts,weights_gbs,bw_gbs,cpu_ts) instead of a table")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 || (*path == "") == (*shape == "") {
		return usageErrorf("bench: want exactly one of -m PATH or -shape NAME")
	}
	if err := firstError(checkInt("bench", "r", *reps, 1, maxCount), checkInt("bench", "p", *prompt, 0, maxCount),
		checkInt("bench", "n", *gen, 0, maxCount)); err != nil {
		return err
	}
	var threads []int
	for _, s := range strings.Split(*threadList, ",") {
		t, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || t < 1 {
			return usageErrorf("bench: -t %q: want positive thread counts separated by commas", *threadList)
		}
		threads = append(threads, t)
	}
	m, name, err := benchModel(*path, *shape, *dtype, *stored)
	if err != nil {
		return err
	}
	defer m.Close()
	if *write != "" {
		typ := map[string]gguf.TensorType{"f32": gguf.F32, "q8_0": gguf.Q8_0, "q4_0": gguf.Q4_0, "q4_k": gguf.Q4_K, "q6_k": gguf.Q6_K}[*dtype]
		if m.Layers[0].Q.H != nil && typ == gguf.F32 {
			typ = gguf.BF16
		}
		if err := m.WriteGGUF(*write, typ); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		fmt.Fprintf(stdout, "wrote %s (%s, %s)\n", *write, name, typ)
		return nil
	}
	if *prompt+*gen > m.Config.MaxPositions {
		return fmt.Errorf("bench: -p %d + -n %d exceeds the model's %d positions", *prompt, *gen, m.Config.MaxPositions)
	}
	typ := "f32"
	switch q := m.Layers[0].Q; {
	case q.Q != nil:
		typ = q.Q.Type.String()
	case q.H != nil:
		typ = "bf16"
	}
	weights := decodeBytes(m)
	if *csv {
		fmt.Fprintln(stdout, "model,type,threads,test,avg_ts,stddev_ts,weights_gbs,bw_gbs,cpu_ts")
	} else {
		layout := ""
		if packedModel(m) {
			layout = " (packed for the int8 kernels)"
		}
		fmt.Fprintf(stdout, "%s, %s%s, %.2f GB of weights read per generated token, level %s, %s\n\n", name, typ, layout, float64(weights)/1e9, asm.Active(), asm.CPUName())
		fmt.Fprintln(stdout, "| threads | test | t/s | t/cpu-s | weights GB/s | read bandwidth GB/s | share |")
		fmt.Fprintln(stdout, "|---:|---|---:|---:|---:|---:|---:|")
	}
	b := &benchRun{m: m, r: rand.New(rand.NewPCG(7, 8))}
	var profiles []*phaseProfile
	for _, t := range threads {
		restore := asm.SetThreads(t)
		var band asm.Bandwidth
		if *bw {
			band = asm.MeasureReadBandwidth(256<<20, t, 3) // peak RSS includes this buffer
			debug.FreeOSMemory()
		}
		for _, test := range []struct {
			name string
			n    int
			run  func(n int) time.Duration
		}{{"pp", *prompt, b.prompt}, {"tg", *gen, b.generate}} {
			if test.n == 0 {
				continue
			}
			// Warm-up, as llama-bench's: the whole prompt (so that every
			// buffer is sized for the test's rows before the timed runs, as
			// on every later run), a few generated tokens; both page in the
			// weights.
			if test.name == "pp" {
				test.run(test.n)
			} else {
				test.run(min(test.n, 8))
			}
			var prof *phaseProfile
			if *phases {
				prof = startPhases(m)
			}
			rates := make([]float64, *reps)
			c0 := processCPU()
			for i := range rates {
				rates[i] = float64(test.n) / test.run(test.n).Seconds()
			}
			// Tokens per CPU-second of the whole process: on a shared
			// machine the wall clock counts the time threads waited for a
			// core, this does not (it does count spinning and the GC).
			cpuRate := 0.0
			if cpu := processCPU() - c0; cpu > 0 {
				cpuRate = float64(*reps*test.n) / cpu.Seconds()
			}
			if prof != nil {
				prof.stop(test.name, t, *reps*test.n, band.GBps)
				profiles = append(profiles, prof)
			}
			mean, sd := meanSD(rates)
			gbs := 0.0
			if test.name == "tg" {
				gbs = mean * float64(weights) / 1e9
			}
			label := fmt.Sprintf("%s%d", test.name, test.n)
			if *csv {
				fmt.Fprintf(stdout, "%s,%s,%d,%s,%.3f,%.3f,%.2f,%.2f,%.3f\n", name, typ, t, label, mean, sd, gbs, band.GBps, cpuRate)
				continue
			}
			cols := "| | | |"
			if gbs > 0 {
				cols = fmt.Sprintf("| %.1f | | |", gbs)
				if band.GBps > 0 {
					cols = fmt.Sprintf("| %.1f | %.1f (%s) | %.0f%% |", gbs, band.GBps, band.Reader, 100*gbs/band.GBps)
				}
			}
			fmt.Fprintf(stdout, "| %d | %s | %.2f ± %.2f | %.2f %s\n", t, label, mean, sd, cpuRate, cols)
		}
		restore()
	}
	if !*csv {
		for _, p := range profiles {
			p.print(stdout)
		}
		fmt.Fprintf(stdout, "\npeak RSS %s\n", peakRSS())
	}
	return nil
}

// benchModel loads path (its matrices as dtype) or builds a random model of
// the named shape, and returns it with a name for the report.
func benchModel(path, shape, dtype string, stored bool) (*llama.Model, string, error) {
	switch {
	case dtype == "q8_0" || dtype == "q4_0" || dtype == "q4_k" || dtype == "q6_k":
		if shape == "" {
			return nil, "", fmt.Errorf("bench: -dtype %s is for writing a -shape (a quantised file loads quantised with -dtype auto)", dtype)
		}
	case dtype != "auto" && dtype != "f32" && dtype != "bf16":
		return nil, "", fmt.Errorf("bench: -dtype %q: want auto, f32 or bf16 (q8_0, q4_0, q4_k, q6_k with -shape)", dtype)
	}
	if shape != "" {
		cfg, ok := benchShapes[shape]
		if !ok {
			return nil, "", fmt.Errorf("bench: -shape %q: want tiny, 1b or 3b", shape)
		}
		newModel := llama.New
		if dtype != "f32" {
			newModel = llama.NewBF16
		}
		return newModel(cfg(), rand.New(rand.NewPCG(1, 2))), "random " + shape, nil
	}
	bf16 := dtype == "bf16"
	if dtype == "auto" {
		bf16 = fileIsBF16(path)
	}
	m, err := llama.Load(path, llama.LoadOptions{BF16: bf16, StoredLayout: stored})
	if err != nil {
		return nil, "", fmt.Errorf("bench: %w", err)
	}
	return m, path, nil
}

// packedModel reports whether any of m's matrices is in the packed layout.
func packedModel(m *llama.Model) bool {
	ws := []*llama.Weight{m.Emb, m.Head}
	for _, l := range m.Layers {
		ws = append(ws, l.Q, l.K, l.V, l.O, l.Gate, l.Up, l.Down)
	}
	for _, w := range ws {
		if w != nil && w.Q != nil && w.Q.Packed() {
			return true
		}
	}
	return false
}

// fileIsBF16 reports whether path is a GGUF file whose first projection is
// stored as BF16 (a folder or unreadable file: false, and Load reports why).
func fileIsBF16(path string) bool {
	if st, err := os.Stat(path); err != nil || st.IsDir() {
		return false
	}
	f, err := gguf.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	t, ok := f.Tensor("blk.0.attn_q.weight")
	return ok && t.Type == gguf.BF16
}

// decodeBytes is the weight traffic of one generated token: every layer's
// projections and norms, the final norm and the head (the embedding table
// contributes one row).
func decodeBytes(m *llama.Model) int64 {
	var n int64
	for _, l := range m.Layers {
		for _, w := range l.Projections() {
			n += w.Bytes()
		}
		n += int64(4 * (l.AttnNorm.Len() + l.MLPNorm.Len()))
	}
	return n + int64(4*m.Norm.Len()) + m.LMHead().Bytes()
}

// benchRun holds the model and the buffers reused across repetitions.
type benchRun struct {
	m      *llama.Model
	r      *rand.Rand
	logits *tensor.Tensor
}

func (b *benchRun) ids(n int) []int {
	ids := make([]int, n)
	for i := range ids {
		ids[i] = b.r.IntN(b.m.Config.VocabSize)
	}
	return ids
}

// lastLogits computes the logits of h's last position into b.logits.
func (b *benchRun) lastLogits(h *tensor.Tensor) {
	d := b.m.Config.Hidden
	last := tensor.FromSlice(h.Data()[h.Len()-d:], 1, d)
	b.logits = b.m.LogitsInto(b.logits, last)
}

// prompt times one n-token forward into a fresh cache.
func (b *benchRun) prompt(n int) time.Duration {
	ids := b.ids(n)
	c := b.m.NewCache(1, n)
	t0 := time.Now()
	b.lastLogits(b.m.Forward(llama.Batch{B: 1, T: n, IDs: ids}, c))
	return time.Since(t0)
}

// generate times n single-token steps from an empty cache.
func (b *benchRun) generate(n int) time.Duration {
	ids := b.ids(n)
	c := b.m.NewCache(1, n)
	t0 := time.Now()
	for i := range ids {
		b.lastLogits(b.m.Forward(llama.Batch{B: 1, T: 1, IDs: ids[i : i+1]}, c))
	}
	return time.Since(t0)
}

func meanSD(x []float64) (mean, sd float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	if len(x) < 2 {
		return mean, 0
	}
	for _, v := range x {
		sd += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(sd / float64(len(x)-1))
}

// processCPU returns the process's user + system CPU time (all threads),
// or 0 where getrusage fails.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS returns the process's peak resident set (VmHWM, Linux) or "?".
func peakRSS() string {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

// phaseProfile is a tg test's profile by phase (llama.PhaseTimes) with the
// heap allocations of its tokens.
type phaseProfile struct {
	m              *llama.Model
	pt             llama.PhaseTimes
	ms0            runtime.MemStats
	mallocs, bytes uint64
	wall, cpu      time.Duration
	t0             time.Time
	cpu0           time.Duration
	test           string
	threads        int
	tokens         int
	bw             float64
}

func startPhases(m *llama.Model) *phaseProfile {
	p := &phaseProfile{m: m}
	runtime.ReadMemStats(&p.ms0)
	m.SetPhaseTimes(&p.pt)
	p.t0, p.cpu0 = time.Now(), processCPU()
	return p
}

// stop detaches the profile after test (pp or tg) ran tokens tokens on
// threads threads (bw: the read bandwidth measured on them, or 0; only tg
// reads every weight once per token, so only its weight rates are given).
func (p *phaseProfile) stop(test string, threads, tokens int, bw float64) {
	p.wall, p.cpu = time.Since(p.t0), processCPU()-p.cpu0
	p.m.SetPhaseTimes(nil)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	p.mallocs, p.bytes = ms.Mallocs-p.ms0.Mallocs, ms.TotalAlloc-p.ms0.TotalAlloc
	p.test, p.threads, p.tokens, p.bw = test, threads, tokens, bw
}

// phaseBytes returns the weight bytes a token reads in each projection
// phase.
func phaseBytes(m *llama.Model) map[llama.Phase]int64 {
	b := map[llama.Phase]int64{llama.PhaseHead: m.LMHead().Bytes()}
	for _, l := range m.Layers {
		b[llama.PhaseQKV] += l.Q.Bytes() + l.K.Bytes() + l.V.Bytes()
		b[llama.PhaseOut] += l.O.Bytes()
		b[llama.PhaseGateUp] += l.Gate.Bytes() + l.Up.Bytes()
		b[llama.PhaseDown] += l.Down.Bytes()
	}
	return b
}

// print writes the profile as a table: per phase the time per token, its
// share of the token, and for the projections their weights' GB/s (and
// share of the bandwidth).
func (p *phaseProfile) print(w io.Writer) {
	n := float64(p.tokens)
	total := p.pt.Total()
	bytes := phaseBytes(p.m)
	if p.test != "tg" { // a prompt reads each weight once for all its tokens
		bytes = nil
	}
	weights := ""
	if bytes != nil {
		sum := 0.0
		for _, b := range bytes {
			sum += float64(b)
		}
		weights = fmt.Sprintf(" (%.1f GB of projection weights per CPU-second)", sum*n/p.cpu.Seconds()/1e9)
	}
	fmt.Fprintf(w, "\nphases of %s, %d thread(s): %.2f ms per token (%.2f timed), %.2f CPU-ms per token%s, %.0f heap allocations and %.1f KB per token\n\n",
		p.test, p.threads, p.wall.Seconds()*1e3/n, total.Seconds()*1e3/n, p.cpu.Seconds()*1e3/n, weights,
		float64(p.mallocs)/n, float64(p.bytes)/n/1e3)
	fmt.Fprintln(w, "| phase | ms/token | share | weights GB/s | share of read bandwidth |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
	for _, ph := range llama.Phases() {
		d := p.pt.Of(ph)
		cols := "| |"
		if b := bytes[ph]; b > 0 && d > 0 {
			gbs := float64(b) * n / d.Seconds() / 1e9
			cols = fmt.Sprintf("| %.1f | |", gbs)
			if p.bw > 0 {
				cols = fmt.Sprintf("| %.1f | %.0f%% |", gbs, 100*gbs/p.bw)
			}
		}
		fmt.Fprintf(w, "| %s | %.3f | %.1f%% %s\n", ph, d.Seconds()*1e3/n, 100*d.Seconds()/total.Seconds(), cols)
	}
}
