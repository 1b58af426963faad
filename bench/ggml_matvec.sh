#!/bin/bash
# The decoding matvec, llink against ggml (llama.cpp's tensor library) in
# the same run: bench/ggmlmatvec/main.c times ggml_mul_mat of a 2048×8192
# weight matrix with one f32 vector, linked against the ggml libraries built
# from node-llama-cpp@3.21.1's llama.cpp sources in the git-ignored .cache/
# (only the ggml targets: minutes, where the whole of llama.cpp takes an
# hour on a shared machine); llink's side is asm's BenchmarkGemvF32,
# BenchmarkGemvBF16 (dot/), BenchmarkSgemmQ on the same shape. Rounds
# alternate the two; every line is printed, then the medians and ratios.
#
#   bash bench/ggml_matvec.sh              # 5 rounds, 1 and 2 threads
#   ROUNDS=3 THREADS=1 bash bench/ggml_matvec.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5} THREADS=${THREADS:-"1 2"} REPS=${REPS:-40}
LC=.cache/llama.cpp
bash scripts/fixtures.sh >/dev/null
B=$LC/build/ggml/src
if [ ! -f "$B/libggml-cpu.a" ]; then
	cmake -S "$LC" -B "$LC/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF \
		-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DBUILD_SHARED_LIBS=OFF >/dev/null
	cmake --build "$LC/build" --target ggml ggml-cpu -j"$(nproc)" >/dev/null
fi
cc -O2 -march=native -I "$LC/ggml/include" bench/ggmlmatvec/main.c "$B/libggml.a" "$B/libggml-cpu.a" "$B/libggml-base.a" \
	-lstdc++ -lm -lpthread -fopenmp -o .cache/ggmlmatvec
go test -c -o .cache/asm.test ./asm
echo "llama.cpp $(git -C "$LC" rev-parse --short HEAD) (node-llama-cpp@3.21.1), llink $(git rev-parse --short HEAD), $(uptime)"
rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
declare -A llink=([f32]='GemvF32$/^m1$/^avx512$' [bf16]='GemvBF16$/^dot$/^m1$/^avx512bf16$' [q8_0]='SgemmQ$/^Q8_0$' [q4_0]='SgemmQ$/^Q4_0$')
for round in $(seq "$ROUNDS"); do
	for t in $THREADS; do
		for typ in f32 bf16 q8_0 q4_0; do
			g=$(.cache/ggmlmatvec "$typ" 2048 8192 "$t" "$REPS" | sed -n 's/.*: \([0-9.]*\) GB\/s.*/\1/p')
			l=$(.cache/asm.test -test.run '^$' -test.bench "^Benchmark${llink[$typ]}/^t$t\$" -test.benchtime "${REPS}x" |
				awk '/GB\/s/ { for (i = 1; i < NF; i++) if ($(i + 1) == "GB/s") print $i }' | tail -n 1)
			echo "$typ $t ggml $g" >>"$rows"
			echo "$typ $t llink ${l:-0}" >>"$rows"
			echo "round $round: $typ t$t ggml $g GB/s, llink ${l:-?} GB/s"
		done
	done
done
echo
echo "| type | threads | ggml GB/s | llink GB/s | llink / ggml |"
echo "|---|---:|---:|---:|---:|"
sort -k1,1 -k2,2n -k3,3 -k4,4g "$rows" | awk '
	{ k = $1 " " $2 " " $3; v[k, ++n[k]] = $4; if (!(k in seen)) { seen[k]; order[++m] = k } }
	END {
		for (i = 1; i <= m; i++) { k = order[i]; c = n[k]; med[k] = (c % 2) ? v[k, (c + 1) / 2] : (v[k, c / 2] + v[k, c / 2 + 1]) / 2 }
		for (i = 1; i <= m; i++) {
			split(order[i], p, " "); if (p[3] != "ggml") continue
			a = med[order[i]]; b = med[p[1] " " p[2] " llink"]
			printf "| %s | %s | %.2f | %.2f | %.2f× |\n", p[1], p[2], a, b, (a > 0 ? b / a : 0)
		}
	}'
