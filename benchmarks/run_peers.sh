#!/usr/bin/env bash
# Run the shared peer harness (../shared/bench/peers) with asylum-kb's adapters beside the peer engines.
# usage: benchmarks/run_peers.sh [PYTHON]   (a Python with the peers' requirements.txt and asylum-kb installed)
# The harness writes into its own folder, and ../shared is read-only, so it runs from a temporary copy.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${1:-python3}"
work="$(mktemp -d)"
cp -r "$here/../../shared/bench/peers" "$work/peers"
cd "$work/peers"
"$python" run.py --adapter "$here/peer/asylum_kb_adapter.py" --adapter "$here/peer/asylum_kb_explaining_adapter.py" \
  --out "$here/peer/RESULTS.md" "${@:2}"
