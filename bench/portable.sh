#!/bin/bash
# The portable level against gonum, one thread: llink's pure-Go SGEMM (the
# Generic level that `-tags purego` builds and architectures without
# assembly run) beside gonum's Sgemm as shipped (its SSE assembly on amd64)
# and built with gonum's `noasm` tag, on the 256–1024 squares. Rounds are
# interleaved (llink, gonum, gonum noasm, then again), each binary built once
# into a fresh folder; every round prints its rates and ratios, the end the
# median of the per-round ratios. Rates are GFLOP per process CPU-second
# (`GFLOP/proc-cpu-s`, GOMAXPROCS=1), so time spent waiting for a core on a
# shared machine is left out; the load average is printed with each round.
#
#   bash bench/portable.sh            # ROUNDS=5 by default
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-5}
dir=$(mktemp -d /tmp/llink-portable.XXXXXX)
trap 'rm -rf "$dir"' EXIT
go test -c -o "$dir/asm.test" ./asm
go test -c -tags noasm -o "$dir/asm_noasm.test" ./asm
# rate BIN PATTERN prints "size rate" lines (proc-cpu-s) for the matching benchmarks.
rate() {
  "$1" -test.run '^$' -test.bench "$2" -test.cpu 1 -test.benchtime "${BENCHTIME:-3x}" |
    awk '/^Benchmark/ { split($1, p, "/"); for (i = 3; i < NF; i++) if ($(i+1) == "GFLOP/proc-cpu-s") print p[2], $i }'
}
for r in $(seq 1 "$rounds"); do
  echo "round $r, load $(cut -d' ' -f1-3 /proc/loadavg)"
  rate "$dir/asm.test" 'Sgemm/sq(256|512|1024)/generic/t1$' | sed 's/^/llink /' >"$dir/l"
  rate "$dir/asm.test" 'GonumSgemm/sq(256|512|1024)$' | sed 's/^/gonum /' >"$dir/g"
  rate "$dir/asm_noasm.test" 'GonumSgemm/sq(256|512|1024)$' | sed 's/^/noasm /' >"$dir/n"
  cat "$dir/l" "$dir/g" "$dir/n" | awk -v r="$r" '
    { v[$1, $2] = $3; s[$2] = 1 }
    END { for (k in s) printf "  %-6s llink %6.2f  gonum %6.2f  gonum-noasm %6.2f  llink/gonum %.2f×  llink/noasm %.2f×\n",
            k, v["llink", k], v["gonum", k], v["noasm", k], v["llink", k] / v["gonum", k], v["llink", k] / v["noasm", k] }' |
    sort | tee -a "$dir/rounds"
done
echo "median of the per-round ratios:"
awk '{ g[$1] = g[$1] " " $9; n[$1] = n[$1] " " $11 }
  function med(s,   a, k, i, j, t) {
    k = split(s, a, " "); for (i = 1; i <= k; i++) { sub("×", "", a[i]); a[i] += 0 }
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
  END { for (s in g) printf "  %-6s llink/gonum %.2f×  llink/gonum-noasm %.2f×\n", s, med(g[s]), med(n[s]) }' "$dir/rounds" | sort
