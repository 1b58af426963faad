// Package tensor provides dense row-major float32 tensors for llink.
package tensor
