#!/usr/bin/env bash
# The main job: installs missing dependencies, builds chainexec (Release),
# and runs the end-to-end TPS benchmark on a short default grid, printing the
# table. Extra arguments go to `chainexec bench tps` (e.g. --json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release \
      -DCHAINEXEC_BUILD_TESTS=OFF >/dev/null
cmake --build build/release -j "$(nproc)" --target chainexec
exec build/release/cli/chainexec bench tps "$@"
