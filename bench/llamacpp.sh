#!/bin/bash
# Side by side with llama.cpp on the same GGUF file: builds llama.cpp's
# llama-bench from the sources node-llama-cpp@3.21.1 ships (scripts/fixtures.sh
# clones them into the git-ignored .cache/; nothing of llama.cpp is
# committed), writes a random model of SHAPE per matrix type with
# `llink bench -write` (q4_k_m: the bf16 file quantised by llama.cpp's own
# llama-quantize, so Q4_K and Q6_K blocks as people download them), then runs
# llama-bench and `llink bench -bw` alternately, one repetition each per
# round, and prints every round (with the load average) and the medians with
# the llink/llama.cpp ratios, the median of the rounds' own ratios (the two
# engines a minute apart: steadier than the ratio of medians when the
# machine's load moves), llink's tokens per CPU-second, and its decode as a
# share of the read bandwidth its process measured. The FMA peak is measured before and after
# the rounds. Only one model process runs at a time.
#
#   bash bench/llamacpp.sh                    # 1b: bf16 q8_0 q4_0 f32 q4_k_m, 1 and 2 threads, 5 rounds
#   SHAPE=tiny ROUNDS=2 bash bench/llamacpp.sh bf16
#   LLINK_SIMD=avx512 bash bench/llamacpp.sh bf16   # llink's f32-activation bf16 path
#   ROWS=rows.txt bash bench/llamacpp.sh             # keep the raw measurements
#   STORED=1 bash bench/llamacpp.sh q4_k_m           # q4_k_m and q8_0 also with llink -stored
#                                                    # (Q4_K/Q6_K/Q8_0 as the file stores them) each round
#   BASE=/tmp/llink-main bash bench/llamacpp.sh q8_0  # another llink binary (e.g. main's) each
#                                                    # round too: an A/B in the same rounds
#                                                    # (both with -bw; BASE first in even rounds)
set -euo pipefail
cd "$(dirname "$0")/.."
SHAPE=${SHAPE:-1b} ROUNDS=${ROUNDS:-5} THREADS=${THREADS:-"1 2"} P=${P:-128} N=${N:-32}
TYPES=${*:-bf16 q8_0 q4_0 f32 q4_k_m}
LC=.cache/llama.cpp
bash scripts/fixtures.sh >/dev/null
if [ ! -x "$LC/build/bin/llama-bench" ]; then
	echo "building llama-bench in $LC/build (native flags, CPU backend)" >&2
	cmake -S "$LC" -B "$LC/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF \
		-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DBUILD_SHARED_LIBS=OFF >/dev/null
	cmake --build "$LC/build" --target llama-bench -j"$(nproc)" >/dev/null
fi
case " $TYPES " in *" q4_k_m "*) [ -x "$LC/build/bin/llama-quantize" ] ||
	cmake --build "$LC/build" --target llama-quantize -j"$(nproc)" >/dev/null ;;
esac
peak() { go test ./asm -run '^$' -bench 'FMAPeak/avx512$' -benchtime 3000x | awk '/FMAPeak/ { print "FMA peak (avx512, 1 thread):", $(NF-3), "GFLOP/cpu-s,", $(NF-1), "GFLOP/s" }'; }
go build -o .cache/llink ./cmd/llink
echo "llama.cpp $(git -C "$LC" rev-parse --short HEAD) (node-llama-cpp@3.21.1), llink $(git rev-parse --short HEAD), $(uptime)"
peak
# ROWS=FILE keeps every measurement (type threads test engine value round)
# there, so a run cut short can still be summarised; by default a temporary file.
if [ -n "${ROWS:-}" ]; then
	rows=$ROWS
	: >"$rows"
else
	rows=$(mktemp)
	trap 'rm -f "$rows"' EXIT
fi
for typ in $TYPES; do
	f=.cache/bench-$SHAPE-$typ.gguf
	if [ "$typ" = q4_k_m ] && [ ! -f "$f" ]; then
		[ -f ".cache/bench-$SHAPE-bf16.gguf" ] || .cache/llink bench -shape "$SHAPE" -dtype bf16 -write ".cache/bench-$SHAPE-bf16.gguf" >&2
		"$LC/build/bin/llama-quantize" ".cache/bench-$SHAPE-bf16.gguf" "$f" Q4_K_M >/dev/null 2>&1
	fi
	[ -f "$f" ] || .cache/llink bench -shape "$SHAPE" -dtype "$typ" -write "$f" >&2
done
# base FILE THREADS TYPE ROUND runs the BASE binary as llink runs, -bw
# included (the probe just before the tests, in the same process): run
# right after llink and without -bw, BASE's prompts read 4-5% faster than
# llink's on the same code (issue 19's fourteenth round).
base() {
	"$BASE" bench -m "$1" -t "$2" -p "$P" -n "$N" -r 1 -bw -csv |
		awk -F, -v typ="$3" -v r="$4" 'NR > 1 { print typ, $3, $4, "llinkBase", $5, r }' >>"$rows"
}
# Rounds outermost, so that a run cut short still has every type and thread
# count in each finished round.
for round in $(seq "$ROUNDS"); do
	for typ in $TYPES; do
		f=.cache/bench-$SHAPE-$typ.gguf
		for t in $THREADS; do
			# llama-bench CSV: columns named in its header; pp rows have n_gen 0.
			"$LC/build/bin/llama-bench" -m "$f" -t "$t" -p "$P" -n "$N" -r 1 -o csv 2>/dev/null |
				awk -F, -v typ="$typ" -v t="$t" 'NR == 1 { for (i = 1; i <= NF; i++) { gsub(/"/, "", $i); c[$i] = i }; next }
					{ gsub(/"/, ""); test = ($c["n_gen"] == 0) ? "pp" $c["n_prompt"] : "tg" $c["n_gen"]; print typ, t, test, "llama.cpp", $c["avg_ts"], r }' r="$round" >>"$rows"
			# BASE, when set, runs before llink in even rounds and after it
			# in odd ones, so neither binary always follows the other.
			if [ -n "${BASE:-}" ] && [ $((round % 2)) = 0 ]; then
				base "$f" "$t" "$typ" "$round"
			fi
			.cache/llink bench -m "$f" -t "$t" -p "$P" -n "$N" -r 1 -bw -csv |
				awk -F, -v typ="$typ" -v r="$round" 'NR > 1 { print typ, $3, $4, "llink", $5, r; print typ, $3, $4, "llinkCPU", $9, r
					if ($7 > 0) { print typ, $3, $4, "llinkGBs", $7, r; print typ, $3, $4, "bwGBs", $8, r } }' >>"$rows"
			if [ -n "${BASE:-}" ] && [ $((round % 2)) = 1 ]; then
				base "$f" "$t" "$typ" "$round"
			fi
			if [ -n "${STORED:-}" ] && { [ "$typ" = q4_k_m ] || [ "$typ" = q8_0 ]; }; then
				.cache/llink bench -m "$f" -t "$t" -p "$P" -n "$N" -r 1 -stored -csv |
					awk -F, -v typ="$typ" -v r="$round" 'NR > 1 { print typ, $3, $4, "llinkStored", $5, r }' >>"$rows"
			fi
			tail -n 8 "$rows" | cut -d' ' -f1-5 | sed "s/^/round $round ($(cut -d' ' -f1-3 /proc/loadavg)): /"
		done
	done
done
peak
echo "$(uptime)"
echo
echo "| type | threads | test | llama.cpp t/s | llink t/s | llink / llama.cpp | median round ratio | llink t/cpu-s | llink GB/s | read probe GB/s | share |"
echo "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
# Medians over the rounds per (type, threads, test, engine), then the ratio;
# each round's llink/llama.cpp ratio as an engine "ratio" of its own.
awk '{ print $1, $2, $3, $4, $5; v[$1 " " $2 " " $3 " " $4 " " $6] = $5 }
	END { for (k in v) { split(k, p, " "); l = p[1] " " p[2] " " p[3] " llama.cpp " p[5]
		if (p[4] == "llink" && v[l] > 0) print p[1], p[2], p[3], "ratio", v[k] / v[l] } }' "$rows" |
	sort -k1,1 -k2,2n -k3,3 -k4,4 -k5,5g | awk '
	{ k = $1 " " $2 " " $3 " " $4; v[k, ++n[k]] = $5; if (!(k in seen)) { seen[k]; order[++m] = k } }
	END {
		for (i = 1; i <= m; i++) { k = order[i]; c = n[k]; med[k] = (c % 2) ? v[k, (c + 1) / 2] : (v[k, c / 2] + v[k, c / 2 + 1]) / 2 }
		for (i = 1; i <= m; i++) {
			split(order[i], p, " "); if (p[4] != "llama.cpp") continue
			a = med[order[i]]; b = med[p[1] " " p[2] " " p[3] " llink"]
			g = med[p[1] " " p[2] " " p[3] " llinkGBs"]; w = med[p[1] " " p[2] " " p[3] " bwGBs"]
			rr = med[p[1] " " p[2] " " p[3] " ratio"]; cpu = med[p[1] " " p[2] " " p[3] " llinkCPU"]
			extra = (g > 0) ? sprintf(" %.1f | %.1f | %.0f%% |", g, w, (w > 0 ? 100 * g / w : 0)) : " | | |"
			printf "| %s | %s | %s | %.2f | %.2f | %.2f× | %.2f× | %.2f |%s\n", p[1], p[2], p[3], a, b, (a > 0 ? b / a : 0), rr, cpu, extra
		}
	}'
# This llink against another engine of the same rounds (-stored, BASE):
# medians and the median of the rounds' own ratios.
against() {
	echo
	echo "| type | threads | test | llink t/s | $2 t/s | median round ratio |"
	echo "|---|---:|---|---:|---:|---:|"
	awk -v other="$1" 'function med(x, n,   i, j, t) { for (i = 2; i <= n; i++) for (j = i; j > 1 && x[j - 1] > x[j]; j--) { t = x[j]; x[j] = x[j - 1]; x[j - 1] = t }
			return (n % 2) ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2 }
		$4 == "llink" || $4 == other { v[$1 " " $2 " " $3 " " $4 " " $6] = $5; k[$1 " " $2 " " $3] }
		END { for (key in k) { n = 0
			for (r = 1; r <= 1000; r++) { x = v[key " llink " r]; y = v[key " " other " " r]
				if (x > 0 && y > 0) { n++; a[n] = x; b[n] = y; q[n] = x / y } }
			if (n) printf "| %s | %.2f | %.2f | %.2f× |\n", key, med(a, n), med(b, n), med(q, n) } }' "$rows" |
		sed 's/^| \([^ ]*\) \([^ ]*\) \([^ ]*\) |/| \1 | \2 | \3 |/' | sort
}
if [ -n "${STORED:-}" ]; then against llinkStored "llink -stored"; fi
if [ -n "${BASE:-}" ]; then against llinkBase "$BASE"; fi
