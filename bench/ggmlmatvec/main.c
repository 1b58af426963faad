// ggml's decoding matvec, timed: y = W·x for one float32 vector x and a
// weight matrix W [n, k] of type f32, bf16, q8_0 or q4_0, through
// ggml_mul_mat on the CPU backend (which converts x to the weight type's
// dot-product type first, as a llama.cpp decoding step does). Four copies
// of W are cycled so each call streams its matrix from memory. Prints the
// weight bytes read per second. Built and run by bench/llamacpp_matvec.sh
// against llama.cpp's ggml libraries; the llink side is asm's
// BenchmarkGemvBF16/BenchmarkSgemmQ on the same shape.
//
//   ggmlmatvec TYPE N K THREADS REPS
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ggml.h"
#include "ggml-cpu.h"

enum { COPIES = 4 };

static double now(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv) {
	if (argc != 6) {
		fprintf(stderr, "usage: %s f32|bf16|q8_0|q4_0 N K THREADS REPS\n", argv[0]);
		return 2;
	}
	enum ggml_type type;
	if (!strcmp(argv[1], "f32")) type = GGML_TYPE_F32;
	else if (!strcmp(argv[1], "bf16")) type = GGML_TYPE_BF16;
	else if (!strcmp(argv[1], "q8_0")) type = GGML_TYPE_Q8_0;
	else if (!strcmp(argv[1], "q4_0")) type = GGML_TYPE_Q4_0;
	else { fprintf(stderr, "unknown type %s\n", argv[1]); return 2; }
	const int64_t n = atoll(argv[2]), k = atoll(argv[3]);
	const int threads = atoi(argv[4]), reps = atoi(argv[5]);

	ggml_cpu_init();
	const size_t wbytes = ggml_row_size(type, k) * n;
	struct ggml_init_params ip = {
		.mem_size = COPIES * (wbytes + 4 * n + 1024) + 4 * k + 64 * ggml_tensor_overhead() + COPIES * ggml_graph_overhead() + (1 << 20),
		.mem_buffer = NULL,
		.no_alloc = false,
	};
	struct ggml_context *ctx = ggml_init(ip);
	float *src = malloc(sizeof(float) * n * k);
	unsigned s = 12345;
	for (int64_t i = 0; i < n * k; i++) {
		s = s * 1103515245u + 12345u;
		src[i] = ((s >> 8) / 16777216.0f - 0.5f) * 0.1f;
	}
	struct ggml_tensor *x = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, k, 1);
	for (int64_t i = 0; i < k; i++) ((float *)x->data)[i] = ((i * 37) % 101) / 101.0f - 0.5f;
	struct ggml_cgraph *gf[COPIES];
	for (int c = 0; c < COPIES; c++) {
		struct ggml_tensor *w = ggml_new_tensor_2d(ctx, type, k, n);
		if (type == GGML_TYPE_F32) memcpy(w->data, src, sizeof(float) * n * k);
		else if (type == GGML_TYPE_BF16) ggml_fp32_to_bf16_row(src, w->data, n * k);
		else ggml_quantize_chunk(type, src, w->data, 0, n, k, NULL);
		gf[c] = ggml_new_graph(ctx);
		ggml_build_forward_expand(gf[c], ggml_mul_mat(ctx, w, x));
	}
	free(src);
	for (int c = 0; c < COPIES; c++) ggml_graph_compute_with_ctx(ctx, gf[c], threads); // warm-up
	double t0 = now();
	for (int r = 0; r < reps; r++) ggml_graph_compute_with_ctx(ctx, gf[r % COPIES], threads);
	double sec = now() - t0;
	printf("ggml %s %lldx%lld threads=%d: %.2f GB/s (%.1f us per matvec)\n", argv[1], (long long)n, (long long)k, threads,
	       wbytes * (double)reps / sec / 1e9, 1e6 * sec / reps);
	ggml_free(ctx);
	return 0;
}
