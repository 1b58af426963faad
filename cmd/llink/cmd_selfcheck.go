package main

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"time"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/internal/refgemm"
)

func init() {
	register(command{name: "selfcheck", short: "report CPU and kernel levels; check and time SGEMM on each", run: func(args []string, _ io.Reader, stdout, stderr io.Writer) error {
		fs := newFlagSet("selfcheck", stderr)
		if err := fs.Parse(args); err != nil {
			return err
		}
		return selfCheck(stdout)
	}})
}

// selfCheck prints the CPU, the kernel levels and one GEMM per level checked
// against a float64 reference, with its speed.
func selfCheck(out io.Writer) error {
	c := asm.Caches()
	fmt.Fprintf(out, "llink engine on %s (%s/%s, %d threads)\n", asm.CPUName(), runtime.GOOS, runtime.GOARCH, asm.Threads())
	fmt.Fprintf(out, "caches: L1d %d KiB, L2 %d KiB, L3 %d MiB\n", c.L1D>>10, c.L2>>10, c.L3>>20)
	fmt.Fprintf(out, "kernel levels: %v (active: %s)\n", asm.Available(), asm.Active())
	const m, n, k = 384, 384, 384
	r := rand.New(rand.NewPCG(1, 0x9e3779b97f4a7c15))
	a, b := uniform(r, m*k), uniform(r, k*n)
	ref, mag := refgemm.Compute(false, false, m, n, k, 1, a, k, b, n, 0, nil, n)
	for _, l := range asm.Available() {
		restore := asm.SetLevel(l)
		cm := make([]float32, m*n)
		asm.Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, cm, n)
		var worst float64
		for i := range cm {
			worst = math.Max(worst, math.Abs(float64(cm[i])-ref[i])/(mag[i]+1e-30))
		}
		reps := 20
		t0 := time.Now()
		for i := 0; i < reps; i++ {
			asm.Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, cm, n)
		}
		gf := 2 * float64(m*n*k) * float64(reps) / time.Since(t0).Seconds() / 1e9
		restore()
		status := "ok"
		if worst > 1e-5 {
			status = "FAILED"
		}
		fmt.Fprintf(out, "sgemm %dx%dx%d %-8s %s (max rel err %.1e) %7.1f GFLOP/s\n", m, n, k, l, status, worst, gf)
		if status != "ok" {
			return fmt.Errorf("GEMM self-check failed at level %s", l)
		}
	}
	return nil
}

// uniform returns n values uniform in [-1, 1): the self-check's operands
// (never all zero, so a kernel that writes nothing fails).
func uniform(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.Float64()*2 - 1)
	}
	return s
}
