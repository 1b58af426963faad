package llama

import (
	"fmt"
	"math/rand/v2"

	"github.com/llink-go/llink/asm"
	"github.com/llink-go/llink/autograd"
	"github.com/llink-go/llink/tensor"
)

// Weight is a projection matrix in PyTorch's Linear layout [out, in], held
// in float32 (W), or for frozen checkpoints as bfloat16 (H) or GGML blocks
// (Q: a Q8_0, Q4_0, Q4_K or Q6_K GGUF file's, multiplied on the blocks). Exactly one of
// the three is set.
type Weight struct {
	W *tensor.Tensor
	H *tensor.BF16
	Q *asm.QMatrix
	// LoRA, when set, adds Scale·(x·Aᵀ)·Bᵀ to the projection's output.
	LoRA *LoRA
	// P, when set by [Model.Trainable], is a parameter sharing W's storage:
	// the differentiable path then trains the matrix itself.
	P *autograd.Var
}

// LoRA is a low-rank update of a frozen projection: y += Scale·(x·Aᵀ)·Bᵀ
// with A [r, in] and B [out, r] trainable parameters (the PEFT layout and
// convention: B starts at zero, Scale = α/r). Dropout, when positive, is
// applied to the LoRA branch's input during training ([Model.ForwardTape]
// with a non-nil RNG).
type LoRA struct {
	A, B    *autograd.Var
	Scale   float32
	Dropout float32
}

// Out returns the output size (rows of the matrix).
func (w *Weight) Out() int { return w.Shape()[0] }

// In returns the input size (columns of the matrix).
func (w *Weight) In() int { return w.Shape()[1] }

// Shape returns [out, in].
func (w *Weight) Shape() []int {
	if w.Q != nil {
		return []int{w.Q.Rows, w.Q.Cols}
	}
	if w.H != nil {
		return w.H.Shape()
	}
	return w.W.Shape()
}

// Bytes returns the storage size of the matrix.
func (w *Weight) Bytes() int64 {
	s := w.Shape()
	n := int64(s[0]) * int64(s[1])
	if w.Q != nil {
		return w.Q.Bytes()
	}
	if w.H != nil {
		return 2 * n
	}
	return 4 * n
}

// ToBF16 converts a float32 weight to bfloat16 storage in place (a
// quantised one stays quantised).
func (w *Weight) ToBF16() {
	if w.W != nil {
		w.H, w.W = tensor.ToBF16(w.W), nil
	}
}

// adviseHugePages asks for the matrix's storage on huge pages
// (asm.AdviseHugePages): a decoding step streams it once per token.
func (w *Weight) adviseHugePages() {
	switch {
	case w.Q != nil:
		asm.AdviseHugePages(w.Q.Blocks)
	case w.H != nil:
		asm.AdviseHugePages(w.H.Data())
	case w.W != nil:
		asm.AdviseHugePages(w.W.Data())
	}
}

// Float32 returns the weight as float32 (widening a bf16 or quantised
// weight into a copy).
func (w *Weight) Float32() *tensor.Tensor {
	if q := w.Q; q != nil {
		f := tensor.New(q.Rows, q.Cols)
		q.DequantizeRows(f.Data(), 0, q.Rows)
		return f
	}
	if w.H != nil {
		return w.H.Float32()
	}
	return w.W
}

// applyInto computes dst[rows, out] = x[rows, in]·Wᵀ (+ the LoRA update).
func (w *Weight) applyInto(dst, x []float32, rows int) {
	applyEach(x, rows, [3]*Weight{w}, [3][]float32{dst})
}

// addLoRA adds the LoRA update of x [rows, in] to dst [rows, out], if w
// has one.
func (w *Weight) addLoRA(dst, x []float32, rows int) {
	if l := w.LoRA; l != nil {
		out, in := w.Out(), w.In()
		r := l.A.Value.Dim(0)
		tmp := make([]float32, rows*r)
		asm.Sgemm(false, true, rows, r, in, 1, x, in, l.A.Data(), in, 0, tmp, r)
		asm.Sgemm(false, true, rows, out, r, l.Scale, tmp, r, l.B.Data(), r, 1, dst, out)
	}
}

// applyEach computes dsts[i] = x[rows, in]·ws[i]ᵀ (+ its LoRA update) for
// up to three projections of the same x (q, k and v; gate and up; the
// list ends at the first nil): quantised weights by asm.SgemmQ, bf16 ones
// by asm.SgemmBF16Dot, float32 ones by asm.Sgemm — through asm.Products,
// so that a decoding step's matvecs split over the threads together
// instead of one after the other, each with a barrier at its end (the
// same bits either way).
func applyEach(x []float32, rows int, ws [3]*Weight, dsts [3][]float32) {
	var ps [3]asm.Product
	n := 0
	for i, w := range ws {
		if w == nil {
			break
		}
		out, in := w.Out(), w.In()
		if len(x) < rows*in || len(dsts[i]) < rows*out {
			panic(fmt.Sprintf("llama: projection %v on %d rows: buffers too short", w.Shape(), rows))
		}
		p := asm.Product{Q: w.Q, Rows: out, C: dsts[i], LDC: out}
		switch {
		case w.Q != nil:
		case w.H != nil:
			p.BF16 = w.H.Data()
		default:
			p.F32 = w.W.Data()
		}
		ps[i] = p
		n++
	}
	asm.Products(rows, x, ws[0].In(), ws[0].In(), ps[:n])
	for i := range n {
		ws[i].addLoRA(dsts[i], x, rows)
	}
}

// applyTape records x·Wᵀ (+ LoRA) on tp: the frozen matrix gets no
// gradient; x and the LoRA parameters do.
func (w *Weight) applyTape(tp *autograd.Tape, x *autograd.Var, rng *rand.Rand) *autograd.Var {
	var y *autograd.Var
	switch {
	case w.P != nil:
		y = tp.Linear(x, w.P, nil)
	case w.H != nil: // as inference computes it, and dy·H in bf16 too
		y = tp.LinearBF16Dot(x, w.H)
	case w.Q != nil: // dequantised for the call
		y = tp.Linear(x, autograd.Const(w.Float32()), nil)
	default:
		y = tp.Linear(x, autograd.Const(w.W), nil)
	}
	if l := w.LoRA; l != nil {
		y = tp.LoRAOnto(y, x, l.A, l.B, l.Scale, l.Dropout, rng) // y is read by nothing else
	}
	return y
}
