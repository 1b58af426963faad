// Package tensor provides dense row-major float32 tensors for llink: a shape
// and a contiguous data slice, cheap reshape views, explicit copies for
// transposes, elementwise and reduction ops with NumPy broadcasting, and
// matrix products built on the asm SGEMM kernels (including a bfloat16 weight
// type for frozen models and batched products for attention heads).
//
// Shape mismatches are programmer errors and panic with both shapes in the
// message; functions that take external input return errors instead.
//
// Broadcasting follows NumPy: shapes are aligned at their last axis; each
// pair of sizes must be equal or one of them 1, and the result takes the
// larger.
package tensor
