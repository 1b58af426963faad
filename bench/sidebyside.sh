#!/bin/bash
# Runs llink's llamabench and its PyTorch twin back to back on the same
# configs and thread counts and prints both lines, so their ratios come from
# one session. Needs Debian's python3-torch with libopenblas0-pthread
# (otherwise torch's GEMMs use the reference BLAS).
#
#   bash bench/sidebyside.sh [small big]
set -euo pipefail
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
go build -o /tmp/llamabench ./bench/llamabench
for cfg in ${@:-small big}; do
  for th in 1 2; do
    /tmp/llamabench -config "$cfg" -threads "$th"
    OPENBLAS_NUM_THREADS=$th OMP_NUM_THREADS=$th /usr/bin/python3 bench/llama_torch.py --config "$cfg" --threads "$th"
  done
done
