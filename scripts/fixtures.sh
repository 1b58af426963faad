#!/usr/bin/env bash
# Fetches the third-party vocabularies the conformance tests compare against
# into the git-ignored .cache/ folder (never committed: they are under their
# owners' licences). Tests that need them skip with a message when absent.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .cache
echo "fixtures: nothing to fetch yet"
