#!/bin/bash
# Runs llink's llamabench and its PyTorch twin back to back on the same
# configs and thread counts, prints both lines and the llink/torch ratios
# (peak RSS: torch/llink, so > 1 means llink uses less), so the ratios come
# from one session. Needs Debian's python3-torch with libopenblas0-pthread
# (otherwise torch's GEMMs use the reference BLAS).
#
#   bash bench/sidebyside.sh [small big]
#   LLAMABENCH_FLAGS=-bf16 bash bench/sidebyside.sh   # llink with bf16 weights (PyTorch stays f32)
set -euo pipefail
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
go build -o /tmp/llamabench ./bench/llamabench
# field NAME LINE prints the number after NAME in a result line.
field() { sed -n "s/.*$1 \([0-9.]*\).*/\1/p" <<<"$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f×", a / b }'; }
for cfg in ${@:-small big}; do
  for th in 1 2; do
    l=$(/tmp/llamabench -config "$cfg" -threads "$th" ${LLAMABENCH_FLAGS:-})
    t=$(OPENBLAS_NUM_THREADS=$th OMP_NUM_THREADS=$th /usr/bin/python3 bench/llama_torch.py --config "$cfg" --threads "$th")
    echo "$l"
    echo "$t"
    echo "ratio $cfg threads=$th: train $(ratio "$(field train "$l")" "$(field train "$t")"), forward $(ratio "$(field forward "$l")" "$(field forward "$t")"), decode $(ratio "$(field decode "$l")" "$(field decode "$t")"), peak RSS torch/llink $(ratio "$(field RSS "$t")" "$(field RSS "$l")")"
  done
done
