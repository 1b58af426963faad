#!/usr/bin/env bash
# Pretrains the two stand-in decoders of models/tiny from scratch, phase by
# phase, with the commands their metadata records:
#   OUT/d1 d2 d3  the embedded decoder (models/tiny/decoder is d3)
#   OUT/p1 … p5   its continuation that copies names it never saw
#                 (models/tiny/decoder-copy is p5; p4 and p5 were trained
#                 with THREADS 1)
# Every phase resumes from its checkpoint when the script is run again.
# DECODER_SIZE sizes d1 (e.g. "-layers 8"); the later phases continue
# its shape.
# Usage: [DECODER_SIZE=FLAGS] bash scripts/pretrain-decoders.sh OUT [THREADS]
set -euo pipefail
out=${1:?usage: pretrain-decoders.sh OUT [THREADS]}
threads=${2:-2}
cd "$(dirname "$0")/.."
mkdir -p "$out"
bin="$out/llink"
go build -o "$bin" ./cmd/llink

# phase DIR FLAGS...: trains DIR unless it already holds a finished model.
phase() {
	local dir=$1
	shift
	if [[ -f $dir/model.safetensors ]]; then
		echo "== $dir: done"
		return
	fi
	local resume=()
	[[ -f $dir/pretrain-state.safetensors ]] && resume=(-resume)
	echo "== $dir: llink pretrain decoder -out $dir ${resume[*]} $* (started $(date -u +%H:%M:%S))"
	"$bin" pretrain decoder -quiet -threads "$threads" -out "$dir" "${resume[@]}" "$@"
}

read -r -a size <<<"${DECODER_SIZE:-}"
phase "$out/d1" "${size[@]}"
phase "$out/d2" -init "$out/d1" -steps 1500 -lr 1e-3
phase "$out/d3" -init "$out/d2" -steps 1500 -lr 1e-3 -boost yes_no=3
phase "$out/p1" -init "$out/d3" -steps 800 -lr 1e-3 -boost yes_no=3 -pseudo-names 0.5
phase "$out/p2" -init "$out/p1" -steps 1200 -lr 1e-3 -boost who=6,yes_no=3 -pseudo-names 1
phase "$out/p3" -init "$out/p2" -steps 1200 -lr 1e-3 -boost who=6,yes_no=3 -pseudo-names 1 -pseudo-alphabet full
phase "$out/p4" -init "$out/p3" -steps 600 -lr 1e-3 -boost who=6,yes_no=3 -pseudo-names 1 -pseudo-alphabet full -rename-distractors
phase "$out/p5" -init "$out/p4" -steps 800 -lr 1e-3 -boost who=6,yes_no=10 -pseudo-names 1 -pseudo-alphabet full -rename-distractors
echo "== done: copy $out/d3 to models/tiny/decoder and $out/p5 to models/tiny/decoder-copy (model.safetensors, config.json, tokenizer.json)"
