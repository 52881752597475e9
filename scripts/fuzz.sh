#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz) with clang + ASan + UBSan and
# runs each one for a bounded time, seeded from the shared fixtures.
#
# Usage: scripts/fuzz.sh [--seconds N] [--only HARNESS] [--build-dir DIR]
#                        [--campaign]
#   --seconds N   time per harness (default 60)
#   --campaign    a long campaign: 1800 s per harness unless --seconds says
#                 otherwise, one libFuzzer worker per core (-fork)
#   --only NAME   run one harness (fuzz_tx, fuzz_diff, fuzz_fixture)
#   --build-dir   build tree (default build/fuzz); the corpora grow in
#                 DIR/corpus/<harness> between runs, crashes land in
#                 DIR/artifacts with the command that replays them
# Exit status: 0 when no harness found a crash, 1 on a crash or a build
# failure, 2 on a usage error. Crashing inputs should be minimised
# (HARNESS -minimize_crash=1 FILE) and committed to
# tests/fuzz/regressions/<harness>/, which every run replays first.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=""
only=""
build=build/fuzz
campaign=0
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="${2:?--seconds needs a number}"; shift 2 ;;
    --only) only="${2:?--only needs a harness name}"; shift 2 ;;
    --build-dir) build="${2:?--build-dir needs a directory}"; shift 2 ;;
    --campaign) campaign=1; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "fuzz.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$seconds" ]; then
  if [ "$campaign" = 1 ]; then seconds=1800; else seconds=60; fi
fi
case "$seconds" in
  ''|*[!0-9]*) echo "fuzz.sh: --seconds must be a whole number" >&2; exit 2 ;;
esac

cc=${CX_FUZZ_CC:-clang}
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "fuzz.sh: $cc not found; install clang and libclang-rt-14-dev" \
       "(scripts/install-deps.sh)" >&2
  exit 1
fi
if ! echo 'int LLVMFuzzerTestOneInput(const char*d,unsigned long n){(void)d;(void)n;return 0;}' |
     "$cc" -x c -fsanitize=fuzzer,address,undefined -o /dev/null - 2>/dev/null; then
  echo "fuzz.sh: $cc cannot link -fsanitize=fuzzer (libFuzzer runtime" \
       "missing: apt-get install libclang-rt-14-dev)" >&2
  exit 1
fi

shared=${CX_SHARED_DIR:-$(cd .. && pwd)/shared}
# CX_FUZZ_CMAKE_SOURCE: a wrapper project that adds tests/fuzz, for trees
# whose top-level CMakeLists.txt does not add it yet.
src=${CX_FUZZ_CMAKE_SOURCE:-.}
echo "== fuzz: configure + build ($build)"
mkdir -p "$build"
cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER="$cc" \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHAINEXEC_BUILD_FUZZ=ON \
      -DCHAINEXEC_SANITIZE=address,undefined -DCHAINEXEC_CUDA=OFF \
      -DCHAINEXEC_BUILD_TESTS=OFF -DCHAINEXEC_BUILD_BENCH=OFF \
      -DCHAINEXEC_SHARED_DIR="$shared" >"$build/configure.log" 2>&1 || {
  cat "$build/configure.log" >&2; exit 1; }
cmake --build "$build" --target fuzz_corpus -j "$(nproc)"
bindir=$(dirname "$(find "$build" -name fuzz_corpus -type f -perm -u+x | head -1)")
"$bindir/fuzz_corpus" "$shared/fixtures" "$build/seeds"

# harness -> extra libFuzzer flags
declare -A flags=(
  [fuzz_tx]="-max_len=4400"
  [fuzz_diff]="-max_len=2048"
  [fuzz_fixture]="-max_len=16384 -dict=tests/fuzz/fixture.dict"
)
declare -A seeddir=([fuzz_tx]=tx [fuzz_diff]=diff [fuzz_fixture]=fixture)

export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
mkdir -p "$build/artifacts" "$build/logs"
status=0
summary=()
for h in fuzz_tx fuzz_diff fuzz_fixture; do
  [ -n "$only" ] && [ "$only" != "$h" ] && continue
  if [ ! -f "tests/fuzz/$h.c" ]; then continue; fi
  if ! cmake --build "$build" --target "$h" -j "$(nproc)" >"$build/logs/$h.build.log" 2>&1; then
    tail -30 "$build/logs/$h.build.log" >&2
    summary+=("$(printf '%-13s %8s %12s %10s %8s  %s' "$h" - - - - 'BUILD FAILED')")
    status=1
    continue
  fi
  corpus="$build/corpus/$h"
  mkdir -p "$corpus" "tests/fuzz/regressions/$h"
  log="$build/logs/$h.log"
  extra=()
  if [ "$campaign" = 1 ]; then extra+=(-fork="$(nproc)" -ignore_crashes=0); fi
  echo "== fuzz: $h for ${seconds}s (log $log)"
  # shellcheck disable=SC2086
  if "$bindir/$h" ${flags[$h]} -max_total_time="$seconds" -timeout=20 \
        -rss_limit_mb=4096 -print_final_stats=1 \
        -artifact_prefix="$build/artifacts/$h-" "${extra[@]}" \
        "$corpus" "tests/fuzz/regressions/$h" "$build/seeds/${seeddir[$h]}" \
        >"$log" 2>&1; then
    result=ok
  else
    result=CRASH
    status=1
    tail -40 "$log" >&2
    echo "fuzz.sh: $h failed; replay with: $bindir/$h $build/artifacts/$h-<file>" >&2
  fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  if [ -z "$execs" ]; then  # -fork mode prints per-job totals instead
    execs=$(grep -o '#[0-9]*' "$log" | tr -d '#' | sort -n | tail -1)
  fi
  rate=$(( ${execs:-0} / (seconds > 0 ? seconds : 1) ))
  units=$(find "$corpus" -type f | wc -l)
  summary+=("$(printf '%-13s %8s %12s %10s %8s  %s' "$h" "$seconds" "${execs:-?}" "$rate" "$units" "$result")")
done

echo "== fuzz summary (harness, seconds, executions, exec/s, corpus, result)"
printf '%s\n' "${summary[@]}"
exit $status
