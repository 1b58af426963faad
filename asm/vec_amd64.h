// Constants shared by vec_avx2_amd64.s and vec_avx512_amd64.s. The table
// ·vecConst (defined in vec_avx2_amd64.s) has one 32-byte row per constant:
// eight float32/int32 lanes or four float64/int64 lanes, so AVX2 code uses a
// row as a ymm memory operand and AVX-512 code broadcasts its first lane
// (.BCST).

#define F32ROW(off, v) DATA ·vecConst+(off)(SB)/4, $v; DATA ·vecConst+(off+4)(SB)/4, $v; DATA ·vecConst+(off+8)(SB)/4, $v; DATA ·vecConst+(off+12)(SB)/4, $v; DATA ·vecConst+(off+16)(SB)/4, $v; DATA ·vecConst+(off+20)(SB)/4, $v; DATA ·vecConst+(off+24)(SB)/4, $v; DATA ·vecConst+(off+28)(SB)/4, $v
#define F64ROW(off, v) DATA ·vecConst+(off)(SB)/8, $v; DATA ·vecConst+(off+8)(SB)/8, $v; DATA ·vecConst+(off+16)(SB)/8, $v; DATA ·vecConst+(off+24)(SB)/8, $v

// float32 / int32 rows
#define S_ONE 0      // 1.0
#define S_HALF 32    // 0.5: also the r² coefficient of exp
#define S_LOG2E 64   // log2(e)
#define S_LN2HI 96   // float32(ln 2)
#define S_LN2LO 128  // ln 2 - S_LN2HI
#define S_EXPHI 160  // 100: exp clamps x to [-110, 100]; far past both ends of float32
#define S_EXPLO 192  // -110
#define S_Q3 224     // exp(r) ≈ 1 + r + r²(½ + Q3 r + Q4 r² + Q5 r³ + Q6 r⁴), |r| ≤ ln2/2
#define S_Q4 256
#define S_Q5 288
#define S_Q6 320
#define S_NEGINF 352 // -Inf
#define S_I127 384   // int32 127, the float32 exponent bias
#define S_I1 416     // int32 1
#define S_I7FFF 448  // int32 0x7fff: bf16 rounding bias
#define S_I40 480    // int32 0x40: bf16 quiet-NaN bit
#define S_NAN 512    // a quiet NaN

// float64 / int64 rows
#define D_ONE 544
#define D_TWO 576
#define D_HALF 608
#define D_LOG2E 640
#define D_MAGIC 672   // 1.5·2⁵²: adding it rounds to an integer held in the low mantissa bits
#define D_LN2HI 704
#define D_LN2LO 736
#define D_BIAS 768    // int64 1023<<52
#define D_ARGHI 800   // 700: the float64 exp clamps its argument to [-700, 700]
#define D_ARGLO 832
#define D_RSQRT2 864  // 1/√2
#define D_ZMAX 896    // 10.5: erfc(z) for z > 10.5 is 0 once the GELU result is rounded to float32
#define D_UA 928      // u = UA·t + UB maps t ∈ [2/12.5, 1] to [-1, 1]
#define D_UB 960
#define D_P2 992      // 1/k! for k = 2..10 (Taylor series of exp on |r| ≤ ln2/2)
#define D_P3 1024
#define D_P4 1056
#define D_P5 1088
#define D_P6 1120
#define D_P7 1152
#define D_P8 1184
#define D_P9 1216
#define D_P10 1248
#define D_E0 1280     // erfc(z) = t·exp(-z² + Σ Ek uᵏ), t = 2/(2+z), k = 0..14
#define D_E1 1312
#define D_E2 1344
#define D_E3 1376
#define D_E4 1408
#define D_E5 1440
#define D_E6 1472
#define D_E7 1504
#define D_E8 1536
#define D_E9 1568
#define D_E10 1600
#define D_E11 1632
#define D_E12 1664
#define D_E13 1696
#define D_E14 1728
#define D_SIGN 1760   // int64 sign bit
#define D_X2MAX 1792  // 1e30: sigmul caps x² so that k2·x² is never 0·Inf
#define MASKTAB 1824  // 8 × int32 -1 then 8 × 0: row at MASKTAB+4(8-r) enables the first r lanes
#define VECCONST_SIZE 1888
