//go:build !purego

package asm

import "golang.org/x/sys/cpu"

// registerArch registers the AVX2+FMA, AVX-512 and AVX512-BF16 tables when
// the CPU (and the OS, which x/sys/cpu checks through XGETBV) supports them.
func registerArch() {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		k := genericKernels()
		k.level = AVX2
		k.mr, k.nr, k.gemm = 6, 16, gemmAVX2
		vecAVX2(&k)
		dropoutAVX2(&k)
		k.bf16mv = bf16mvAVX2Go
		k.packT, k.packTMax = packT8F32, 8
		k.packCBF16 = packCBF16With(k.bf16to)
		register(k)
	}
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512BW && cpu.X86.HasFMA && cpu.X86.HasAVX2 {
		k := genericKernels()
		k.level = AVX512
		k.mr, k.nr, k.gemm = avx512MR, 32, gemmAVX512
		// KC 512: +0.4–1.9% against 256 here; the AVX2 level keeps 256
		// (+1–2% against 512 there), bench/RESULTS.md.
		k.kc = 512
		k.gemmPackB, k.gemmPackA = gemmAVX512PackB, gemmAVX512PackA
		k.packT, k.packTBF16, k.packTMax = packTF32, packTBF16, 16
		k.packC, k.packCBF16 = packCF32, packCBF16
		k.skinny = skinnyAVX512
		vecAVX2(&k)
		vecAVX512(&k)
		dropoutAVX512(&k)
		// Rounding to bf16 runs on rows in cache (a GEMM's A, a quantised
		// prompt's dequantised weight rows), where zmm is 2.6× ymm.
		k.tobf16 = f32ToBF16AVX512
		k.bf16mv = bf16mvAVX512Go
		k.f32dot4 = f32dot4AVX512
		qdotAVX512(&k)
		register(k)
		if cpu.X86.HasAVX512BF16 {
			k.level = AVX512BF16
			k.bf16dot = bf16mvDotAVX512Go
			k.bf16tile = bf16tileAVX512
			k.bf16nn, k.bf16pair, k.bf16pairT = bf16nnAVX512, bf16PairPackAVX512, bf16PairPackTAVX512
			dequantBF16AVX512(&k)
			if cpu.X86.HasAVX512VNNI {
				kdotVNNI(&k)
			}
			register(k)
		}
	}
}
