#!/bin/bash
# llink's llamabench against its PyTorch twin (bench/llama_torch.py) on the
# same configs and thread counts, in interleaved rounds: each round runs, for
# every config and thread count, both sides back to back (llink first in odd
# rounds, PyTorch first in even ones), prints both lines with the load
# average and the llink/PyTorch ratios of that round; the end prints the
# median of the per-round ratios (peak RSS: PyTorch/llink, so > 1 means
# llink uses less). Each rate is given per wall-clock second and per
# process CPU-second (all threads): on a shared machine the second leaves
# out the time a side waited for a core. llamabench is built once into a
# fresh folder.
#
# Both sides reuse their buffers the same way (llamabench: the logits buffer
# and a pooled cache; the twin: an out= logits buffer and a preallocated KV
# cache, RoPE tables and mask computed once). PyTorch runs with the settings
# that made it fastest here (bench/RESULTS.md, "Fair side-by-side"):
# OMP_WAIT_POLICY=PASSIVE (libgomp's spinning threads otherwise fight
# OpenBLAS's own pthreads), OMP/OpenBLAS thread counts = the run's, and
# glibc malloc told to keep freed memory (no fresh page faults per step).
# Needs Debian's python3-torch with libopenblas0-pthread (otherwise torch's
# GEMMs use the reference BLAS).
#
#   bash bench/sidebyside.sh [small big]              # ROUNDS=4 THREADS="1 2"
#   LLAMABENCH_FLAGS=-bf16 bash bench/sidebyside.sh    # llink with bf16 weights (PyTorch stays f32)
#   TORCH_ENV="OMP_WAIT_POLICY=ACTIVE" bash bench/sidebyside.sh   # override PyTorch's settings
#   LLAMABENCH=/tmp/llamabench bash bench/sidebyside.sh # a llamabench built beforehand (no build in a quiet window)
set -euo pipefail
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
rounds=${ROUNDS:-4}
dir=$(mktemp -d /tmp/llink-sidebyside.XXXXXX)
trap 'rm -rf "$dir"' EXIT
if [ -n "${LLAMABENCH:-}" ]; then
  cp "$LLAMABENCH" "$dir/llamabench"
else
  go build -o "$dir/llamabench" ./bench/llamabench
fi
# field NAME LINE prints the wall-clock rate after NAME in a result line,
# cpu NAME LINE the rate per CPU-second that follows it.
field() { sed -n "s/.*$1 \([0-9.]*\).*/\1/p" <<<"$2"; }
cpu() { sed -n "s/.*$1 [0-9.]* tok\/s (\([0-9.]*\) per CPU-s).*/\1/p" <<<"$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b }'; }
torch() {
  env OMP_NUM_THREADS="$1" OPENBLAS_NUM_THREADS="$1" OMP_WAIT_POLICY=PASSIVE \
    MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=268435456 \
    ${TORCH_ENV:-} /usr/bin/python3 bench/llama_torch.py --config "$2" --threads "$1"
}
for r in $(seq 1 "$rounds"); do
  for cfg in ${@:-small big}; do
    for th in ${THREADS:-1 2}; do
      load=$(cut -d' ' -f1 /proc/loadavg)
      if ((r % 2)); then
        l=$("$dir/llamabench" -config "$cfg" -threads "$th" ${LLAMABENCH_FLAGS:-})
        t=$(torch "$th" "$cfg")
      else
        t=$(torch "$th" "$cfg")
        l=$("$dir/llamabench" -config "$cfg" -threads "$th" ${LLAMABENCH_FLAGS:-})
      fi
      echo "round $r (load $load → $(cut -d' ' -f1 /proc/loadavg)): $l"
      echo "round $r: $t"
      rt=$(ratio "$(field train "$l")" "$(field train "$t")")
      rf=$(ratio "$(field forward "$l")" "$(field forward "$t")")
      rd=$(ratio "$(field decode "$l")" "$(field decode "$t")")
      rr=$(ratio "$(field RSS "$t")" "$(field RSS "$l")")
      ct=$(ratio "$(cpu train "$l")" "$(cpu train "$t")")
      cf=$(ratio "$(cpu forward "$l")" "$(cpu forward "$t")")
      cd=$(ratio "$(cpu decode "$l")" "$(cpu decode "$t")")
      echo "round $r ratio $cfg threads=$th: train ${rt}× (CPU ${ct}×), forward ${rf}× (CPU ${cf}×), decode ${rd}× (CPU ${cd}×), peak RSS torch/llink ${rr}×"
      echo "$cfg $th $rt $rf $rd $rr $ct $cf $cd" >>"$dir/ratios"
    done
  done
done
echo "median of the per-round ratios (llink/PyTorch; RSS PyTorch/llink), $rounds rounds:"
awk '{ k = $1 " threads=" $2; for (i = 3; i <= 9; i++) v[k, i] = v[k, i] " " $i; keys[k] = 1 }
  function med(s,   a, n, i, j, t) {
    n = split(s, a, " "); for (i = 1; i <= n; i++) a[i] += 0
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  END { for (k in keys) printf "  %-16s train %.2f× (CPU %.2f×)  forward %.2f× (CPU %.2f×)  decode %.2f× (CPU %.2f×)  peak RSS %.2f×\n",
          k, med(v[k, 3]), med(v[k, 7]), med(v[k, 4]), med(v[k, 8]), med(v[k, 5]), med(v[k, 9]), med(v[k, 6]) }' "$dir/ratios" | sort
