#!/usr/bin/env bash
# The main job: installs missing dependencies, builds chainexec (Release:
# the CLI and libchainexec.so, so `cmake --install build/release` works
# afterwards), and runs the end-to-end TPS benchmark on a short default
# grid, printing the table.
# Usage: scripts/run.sh [--help] [BENCH TPS OPTIONS...]
# Extra arguments go to `chainexec bench tps` (e.g. --json, --quick); its
# options: build/release/cli/chainexec bench tps --help.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
bash scripts/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release \
      -DCHAINEXEC_BUILD_TESTS=OFF >/dev/null
cmake --build build/release -j "$(nproc)" --target chainexec chainexec_shared
exec build/release/cli/chainexec bench tps "$@"
