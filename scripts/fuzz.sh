#!/bin/bash
# Runs every fuzz target of the module for FUZZTIME each (go test runs one
# fuzz target per invocation). A target that fails without writing a failing
# input ("context deadline exceeded" at the end of the -fuzztime window, Go's
# fuzzing coordinator racing its own deadline on a loaded machine,
# golang/go#75804, fixed in go1.27) is run once more; a target that writes a
# failing input, or fails twice, fails the run. FUZZMINTIME bounds the
# minimisation of each new interesting input (go's default, 60 s, spends a
# short -fuzztime minimising instead of fuzzing).
set -euo pipefail
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-15s}
FUZZMINTIME=${FUZZMINTIME:-2s}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for pkg in $($GO list ./...); do
	for f in $($GO test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		for try in 1 2; do
			echo "fuzz $pkg $f"
			if $GO test -run '^$' -fuzz "^$f\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINTIME" "$pkg" 2>&1 | tee "$out"; then
				break
			fi
			if [ "$try" = 2 ] || grep -q 'Failing input written' "$out" || ! grep -q 'context deadline exceeded' "$out"; then
				exit 1
			fi
			echo "fuzz $f: the coordinator's deadline race without a failing input (golang/go#75804); once more"
		done
	done
done
