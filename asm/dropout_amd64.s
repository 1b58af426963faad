//go:build !purego

#include "textflag.h"

// Dropout's kernels (asm/dropout.go). In every product the data is the
// first operand and s the second, and in every sum dst is the first, as in
// the twins (x86 returns the first operand's payload when both are NaN).

// dropBits<> holds the bit of each of eight float32 lanes within a byte of
// the mask: lane j is kept when byte & 1<<j is set.
DATA dropBits<>+0(SB)/4, $1
DATA dropBits<>+4(SB)/4, $2
DATA dropBits<>+8(SB)/4, $4
DATA dropBits<>+12(SB)/4, $8
DATA dropBits<>+16(SB)/4, $16
DATA dropBits<>+20(SB)/4, $32
DATA dropBits<>+24(SB)/4, $64
DATA dropBits<>+28(SB)/4, $128
GLOBL dropBits<>(SB), RODATA|NOPTR, $32

// func dropMaskAVX2(kept, draws []uint64, n int, drop uint16)
TEXT ·dropMaskAVX2(SB), NOSPLIT, $0-58
	MOVQ         kept_base+0(FP), DI
	MOVQ         draws_base+24(FP), SI
	MOVQ         n+48(FP), CX
	SHRQ         $6, CX
	VPBROADCASTW drop+56(FP), Y8

word:
	TESTQ CX, CX
	JZ    done
	VMOVDQU 0(SI), Y0
	VMOVDQU 32(SI), Y1
	VMOVDQU 64(SI), Y2
	VMOVDQU 96(SI), Y3
	VPMAXUW Y8, Y0, Y4
	VPMAXUW Y8, Y1, Y5
	VPMAXUW Y8, Y2, Y6
	VPMAXUW Y8, Y3, Y7
	VPCMPEQW Y4, Y0, Y0 // 0xffff where chunk ≥ drop
	VPCMPEQW Y5, Y1, Y1
	VPCMPEQW Y6, Y2, Y2
	VPCMPEQW Y7, Y3, Y3
	// Packed per 128-bit lane: quadwords hold chunks 0–7, 16–23, 8–15,
	// 24–31; VPERMQ puts them in order before the signs are gathered.
	VPACKSSWB Y1, Y0, Y0
	VPACKSSWB Y3, Y2, Y2
	VPERMQ    $0xd8, Y0, Y0
	VPERMQ    $0xd8, Y2, Y2
	VPMOVMSKB Y0, AX
	VPMOVMSKB Y2, BX
	MOVL      AX, 0(DI)
	MOVL      BX, 4(DI)
	ADDQ      $128, SI
	ADDQ      $8, DI
	DECQ      CX
	JMP       word

done:
	VZEROUPPER
	RET

// func dropMaskAVX512(kept, draws []uint64, n int, drop uint16)
TEXT ·dropMaskAVX512(SB), NOSPLIT, $0-58
	MOVQ         kept_base+0(FP), DI
	MOVQ         draws_base+24(FP), SI
	MOVQ         n+48(FP), CX
	SHRQ         $6, CX
	VPBROADCASTW drop+56(FP), Z8

word:
	TESTQ   CX, CX
	JZ      done
	VPCMPUW $2, 0(SI), Z8, K1  // drop ≤ chunk, chunks 0–31
	VPCMPUW $2, 64(SI), Z8, K2 // chunks 32–63
	KMOVD   K1, 0(DI)
	KMOVD   K2, 4(DI)
	ADDQ    $128, SI
	ADDQ    $8, DI
	DECQ    CX
	JMP     word

done:
	VZEROUPPER
	RET

// MASK8(off, M) sets M's lanes to all ones where the bits of the mask byte
// at off(R8) are set (Y9 = dropBits<>).
#define MASK8(off, M) VPBROADCASTB off(R8), M; VPAND Y9, M, M; VPCMPEQD Y9, M, M

// SCALE8(j) writes eight elements of dst from src: s·src ANDed with the
// mask of byte j.
#define SCALE8(j) \
	MASK8(j, Y1); \
	VMOVUPS (32*j)(SI), Y0; \
	VMULPS  Y8, Y0, Y0; \
	VANDPS  Y1, Y0, Y0; \
	VMOVUPS Y0, (32*j)(DI)

// ADD8(j) adds s·src to eight elements of dst, blended in where kept.
#define ADD8(j) \
	MASK8(j, Y1); \
	VMOVUPS   (32*j)(SI), Y0; \
	VMULPS    Y8, Y0, Y0; \
	VMOVUPS   (32*j)(DI), Y2; \
	VADDPS    Y0, Y2, Y0; \
	VBLENDVPS Y1, Y0, Y2, Y2; \
	VMOVUPS   Y2, (32*j)(DI)

// func maskedScaleAVX2(dst, src []float32, s float32, kept []uint64)
TEXT ·maskedScaleAVX2(SB), NOSPLIT, $0-80
	MOVQ         dst_base+0(FP), DI
	MOVQ         dst_len+8(FP), CX
	MOVQ         src_base+24(FP), SI
	VBROADCASTSS s+48(FP), Y8
	MOVQ         kept_base+56(FP), R8
	VMOVDQU      dropBits<>(SB), Y9
	SHRQ         $6, CX

word:
	TESTQ CX, CX
	JZ    done
	SCALE8(0)
	SCALE8(1)
	SCALE8(2)
	SCALE8(3)
	SCALE8(4)
	SCALE8(5)
	SCALE8(6)
	SCALE8(7)
	ADDQ  $256, SI
	ADDQ  $256, DI
	ADDQ  $8, R8
	DECQ  CX
	JMP   word

done:
	VZEROUPPER
	RET

// func maskedAddAVX2(dst, src []float32, s float32, kept []uint64)
TEXT ·maskedAddAVX2(SB), NOSPLIT, $0-80
	MOVQ         dst_base+0(FP), DI
	MOVQ         dst_len+8(FP), CX
	MOVQ         src_base+24(FP), SI
	VBROADCASTSS s+48(FP), Y8
	MOVQ         kept_base+56(FP), R8
	VMOVDQU      dropBits<>(SB), Y9
	SHRQ         $6, CX

word:
	TESTQ CX, CX
	JZ    done
	ADD8(0)
	ADD8(1)
	ADD8(2)
	ADD8(3)
	ADD8(4)
	ADD8(5)
	ADD8(6)
	ADD8(7)
	ADDQ  $256, SI
	ADDQ  $256, DI
	ADDQ  $8, R8
	DECQ  CX
	JMP   word

done:
	VZEROUPPER
	RET

// ZSCALE(j, K) writes 16 elements of dst: s·src where K (loaded from the
// mask) is set, +0 elsewhere.
#define ZSCALE(j, K) \
	KMOVW    (2*j)(R8), K; \
	VMOVUPS  (64*j)(SI), Z0; \
	VMULPS.Z Z8, Z0, K, Z0; \
	VMOVUPS  Z0, (64*j)(DI)

// func maskedScaleAVX512(dst, src []float32, s float32, kept []uint64)
TEXT ·maskedScaleAVX512(SB), NOSPLIT, $0-80
	MOVQ         dst_base+0(FP), DI
	MOVQ         dst_len+8(FP), CX
	MOVQ         src_base+24(FP), SI
	VBROADCASTSS s+48(FP), Z8
	MOVQ         kept_base+56(FP), R8

loop64:
	CMPQ CX, $64
	JB   loop16
	ZSCALE(0, K1)
	ZSCALE(1, K2)
	ZSCALE(2, K3)
	ZSCALE(3, K4)
	ADDQ $256, SI
	ADDQ $256, DI
	ADDQ $8, R8
	SUBQ $64, CX
	JMP  loop64

loop16:
	CMPQ CX, $16
	JB   tail
	ZSCALE(0, K1)
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $2, R8
	SUBQ $16, CX
	JMP  loop16

tail:
	TESTQ CX, CX
	JZ    done
	MOVL  $1, AX
	SHLL  CX, AX
	DECL  AX
	KMOVW AX, K2          // the CX lanes left
	KMOVW (R8), K1
	KANDW K2, K1, K1
	VMOVUPS.Z (SI), K1, Z0 // masked-off lanes are not read
	VMULPS.Z  Z8, Z0, K1, Z0
	VMOVUPS   Z0, K2, (DI)

done:
	VZEROUPPER
	RET

// ZADD(j, K) adds s·src to the 16 elements of dst whose bits (loaded into
// K) are set; the others are not written.
#define ZADD(j, K) \
	KMOVW   (2*j)(R8), K; \
	VMOVUPS (64*j)(SI), Z0; \
	VMULPS  Z8, Z0, Z0; \
	VMOVUPS (64*j)(DI), Z1; \
	VADDPS  Z0, Z1, Z1; \
	VMOVUPS Z1, K, (64*j)(DI)

// func maskedAddAVX512(dst, src []float32, s float32, kept []uint64)
TEXT ·maskedAddAVX512(SB), NOSPLIT, $0-80
	MOVQ         dst_base+0(FP), DI
	MOVQ         dst_len+8(FP), CX
	MOVQ         src_base+24(FP), SI
	VBROADCASTSS s+48(FP), Z8
	MOVQ         kept_base+56(FP), R8

loop64:
	CMPQ CX, $64
	JB   loop16
	ZADD(0, K1)
	ZADD(1, K2)
	ZADD(2, K3)
	ZADD(3, K4)
	ADDQ $256, SI
	ADDQ $256, DI
	ADDQ $8, R8
	SUBQ $64, CX
	JMP  loop64

loop16:
	CMPQ CX, $16
	JB   tail
	ZADD(0, K1)
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $2, R8
	SUBQ $16, CX
	JMP  loop16

tail:
	TESTQ CX, CX
	JZ    done
	MOVL  $1, AX
	SHLL  CX, AX
	DECL  AX
	KMOVW AX, K2
	KMOVW (R8), K1
	KANDW K2, K1, K1       // kept lanes among the CX left
	VMOVUPS.Z (SI), K1, Z0
	VMULPS    Z8, Z0, Z0
	VMOVUPS.Z (DI), K1, Z1
	VADDPS    Z0, Z1, Z1
	VMOVUPS   Z1, K1, (DI)

done:
	VZEROUPPER
	RET
