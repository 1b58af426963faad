package asm

import "fmt"

// A decoding step's products, split over the threads as one call: the
// q, k and v projections (or gate and up) read the same activations, and
// splitting each matrix on its own puts a barrier after each — the thread
// that finishes its last chunk first waits for the other's, three times
// per layer instead of once. [Products] hands out the chunks of all of them
// from one counter.

// mvJob is one matrix product of a decoding step cut for splitting: run(u0,
// u1) computes its units [u0, u1) (rows, or groups of rows), and any cut of
// [0, units) into at most maxChunks consecutive ranges gives the same
// result bit for bit as the whole (units 0: run(0, 0) does all of it).
// bytes is its weight traffic, by which the chunks are shared out.
type mvJob struct {
	units, maxChunks, bytes int
	run                     func(u0, u1 int)
}

// runMatvecs runs jobs on up to parts threads in one parallelChunks call:
// bf16ChunksPerThread chunks per thread in all, shared among the jobs in
// proportion to their bytes (each at least one chunk, at most its
// maxChunks), so that the threads stream weights from the first job to the
// last without waiting for each other between them. One job gets
// min(bf16ChunksPerThread·parts, maxChunks) chunks, as a matvec split on
// its own always did.
func runMatvecs(parts int, jobs []mvJob) {
	if parts <= 1 {
		for _, j := range jobs {
			j.run(0, j.units)
		}
		return
	}
	splitJobs(parts, append([]mvJob(nil), jobs...))
}

// splitJobs is runMatvecs' split, jobs on the heap (the workers read them;
// so runMatvecs' callers keep theirs on the stack).
func splitJobs(parts int, jobs []mvJob) {
	total := 0
	for _, j := range jobs {
		total += j.bytes
	}
	want := bf16ChunksPerThread * parts
	ncs, n := make([]int, 0, len(jobs)), 0
	for _, j := range jobs {
		c := want
		if len(jobs) > 1 && total > 0 {
			c = (want*j.bytes + total/2) / total
		}
		c = max(1, min(c, j.maxChunks, j.units))
		ncs = append(ncs, c)
		n += c
	}
	parallelChunks(parts, n, func(ci int) {
		for i, j := range jobs {
			if c := ncs[i]; ci < c {
				j.run(ci*j.units/c, (ci+1)*j.units/c)
				return
			}
			ci -= ncs[i]
		}
	})
}

// Product is one product of a [Products] call, C = X·Wᵀ, with the weight
// W [Rows, k] held in exactly one of Q (quantised), BF16 (bfloat16, row
// stride k, multiplied as [SgemmBF16Dot] multiplies) and F32 (row stride
// k), and C [m, Rows] with row stride LDC.
type Product struct {
	Q    *QMatrix
	BF16 []uint16
	F32  []float32
	Rows int // W's rows (Q's own when Q is set)
	C    []float32
	LDC  int
}

// Products computes every product of ps on the same X [m, k] (row stride
// ldx), each C overwritten with exactly what its own call would give —
// [SgemmQ](m, x, ldx, Q, C, LDC), [SgemmBF16Dot] or [Sgemm] with B
// transposed, alpha 1 and beta 0 — bit for bit. For a decoding step (m ≤
// 4) the products that such a call would split over the threads are split
// together, in one hand-out of chunks (see runMatvecs); the others, and
// every product of more rows, run one call after the other. The Cs must not
// overlap X or each other.
func Products(m int, x []float32, ldx, k int, ps []Product) {
	for i := range ps {
		p := &ps[i]
		set := 0
		for _, b := range []bool{p.Q != nil, p.BF16 != nil, p.F32 != nil} {
			if b {
				set++
			}
		}
		rows := p.Rows
		if p.Q != nil {
			rows = p.Q.Rows
		}
		if set != 1 || p.Q != nil && (p.Q.Cols != k || p.Rows != 0 && p.Rows != rows) || rows < 0 {
			panic(fmt.Sprintf("asm.Products: product %d: want exactly one of Q, BF16, F32 with %d columns (Q %v, len(BF16) %d, len(F32) %d, Rows %d)",
				i, k, p.Q != nil, len(p.BF16), len(p.F32), p.Rows))
		}
		p.Rows = rows
	}
	t := Threads()
	var jbuf [8]mvJob
	jobs := jbuf[:0]
	var acts [qTypes]*[bf16MaxM]qActs
	defer func() {
		for _, a := range acts {
			if a != nil {
				qActsPool.Put(a)
			}
		}
	}()
	for i := range ps {
		p := &ps[i]
		if j, ok := productJob(m, x, ldx, k, p, t, &acts); ok {
			jobs = append(jobs, j)
			continue
		}
		switch {
		case p.Q != nil:
			SgemmQ(m, x, ldx, p.Q, p.C, p.LDC)
		case p.BF16 != nil:
			SgemmBF16Dot(false, true, m, p.Rows, k, 1, x, ldx, p.BF16, k, 0, p.C, p.LDC)
		default:
			Sgemm(false, true, m, p.Rows, k, 1, x, ldx, p.F32, k, 0, p.C, p.LDC)
		}
	}
	runMatvecs(t, jobs)
}

// productJob returns p as a job when its own call would split it over the
// threads through parallelChunks (the operands checked as that call checks
// them), quantising X for p's type into acts the first time a type needs it.
func productJob(m int, x []float32, ldx, k int, p *Product, t int, acts *[qTypes]*[bf16MaxM]qActs) (mvJob, bool) {
	if t <= 1 || m < 1 || m > bf16MaxM || p.Rows == 0 || k == 0 {
		return mvJob{}, false
	}
	switch {
	case p.Q != nil:
		w := p.Q
		if m*len(w.Blocks) < qSplitBytes || w.packed && cur.kdotP[w.Type] == nil {
			return mvJob{}, false
		}
		checkSgemmQ(m, x, ldx, w, p.C, p.LDC)
		var a *[bf16MaxM]qActs
		if w.packed || cur.kdot[w.Type] != nil {
			if a = acts[w.Type]; a == nil {
				a = qActsPool.Get().(*[bf16MaxM]qActs)
				for i := range m {
					quantizeActs(w.Type, &a[i], x[i*ldx:i*ldx+k])
				}
				acts[w.Type] = a
			}
		}
		if w.packed {
			return kpJob(m, a, w, p.C, p.LDC), true
		}
		return qJob(m, x, ldx, a, w, p.C, p.LDC), true
	case p.BF16 != nil:
		bo := bOperand{bf16: p.BF16, ld: k, trans: true, dot: true}
		checkGemm("Products", false, m, p.Rows, k, len(x), ldx, &bo, len(p.C), p.LDC)
		if 2*p.Rows*k*m < bf16SplitBytes || p.Rows <= 4 {
			return mvJob{}, false
		}
		return bf16Job(cur, m, p.Rows, k, 1, x, ldx, &bo, 0, p.C, p.LDC), true
	default:
		bo := bOperand{f32: p.F32, ld: k, trans: true}
		checkGemm("Products", false, m, p.Rows, k, len(x), ldx, &bo, len(p.C), p.LDC)
		if m != 1 || splitParts(p.Rows, k, t) <= 1 || 4*p.Rows*k < pollSplitBytes {
			return mvJob{}, false
		}
		return gemvJob(cur, p.Rows, x[:k], &bo, 1, 0, p.C), true
	}
}
