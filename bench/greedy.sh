#!/bin/bash
# Greedy agreement with llama.cpp on the reference fixtures: each Llama fixture
# (models/testdata: f32 untied, f32 tied, bf16) written as GGUF by llink, then
# the greedy continuation of its prompts a and b by PyTorch (expected.json,
# made by models/testdata/gen_fixtures.py), by `llink generate` and by
# llama.cpp (bench/greedy/greedy.cpp linked against the llama.cpp build of
# bench/llamacpp.sh, which must have run once). Prints the three id lists and
# how many positions agree.
#
#   bash bench/greedy.sh
set -euo pipefail
cd "$(dirname "$0")/.."
LC=.cache/llama.cpp
[ -f "$LC/build/src/libllama.a" ] || { echo "build llama.cpp first: bash bench/llamacpp.sh" >&2; exit 1; }
g++ -O2 -std=c++17 -fopenmp -I"$LC/include" -I"$LC/ggml/include" bench/greedy/greedy.cpp \
	"$LC/build/src/libllama.a" "$LC/build/ggml/src/libggml.a" "$LC/build/ggml/src/libggml-cpu.a" \
	"$LC/build/ggml/src/libggml-base.a" -lpthread -lm -ldl -o .cache/greedy
go build -o .cache/llink ./cmd/llink
echo "llama.cpp $(git -C "$LC" rev-parse --short HEAD), llink $(git rev-parse --short HEAD), level $(LLINK_SIMD= .cache/llink bench -shape tiny -p 1 -n 0 -r 1 -t 1 | sed -n 's/.*level \([^,]*\),.*/\1/p')"
same() { # count equal positions of two id lists
	awk -v a="$1" -v b="$2" 'BEGIN { n = split(a, x); split(b, y); s = 0; for (i = 1; i <= n; i++) s += (x[i] == y[i]); print s "/" n }'
}
for fx in llama_untied:f32 llama_tied:f32 llama_bf16:bf16; do
	dir=${fx%%:*} typ=${fx##*:}
	f=.cache/greedy-$dir.gguf
	.cache/llink bench -m "models/testdata/$dir" -dtype "$typ" -write "$f" >/dev/null
	flag=""
	[ "$typ" = bf16 ] && flag=-bf16
	for key in a b; do
		ids=$(/usr/bin/python3 -c "import json; e=json.load(open('models/testdata/$dir/expected.json')); print(' '.join(map(str, e['seqs']['$key'])))")
		want=$(/usr/bin/python3 -c "import json; e=json.load(open('models/testdata/$dir/expected.json')); print(' '.join(map(str, e['greedy']['$key'])))")
		n=$(echo "$want" | wc -w)
		llink=$(.cache/llink generate -decoder "$f" $flag --prompt-ids "$ids" -max-new "$n" -greedy -no-stop -print-ids 2>/dev/null | tail -1)
		lcpp=$(.cache/greedy "$f" "$n" $ids)
		echo "$dir ($typ) $key: PyTorch [$want] llink [$llink] llama.cpp [$lcpp]; llink = llama.cpp $(same "$llink" "$lcpp"), llink = PyTorch $(same "$llink" "$want"), llama.cpp = PyTorch $(same "$lcpp" "$want")"
	done
done
