#!/usr/bin/env bash
# Builds and runs every chainexec test, installing missing dependencies first:
#   1. the normal build (CUDA kernels compiled when nvcc exists), all tests;
#   2. an ASan+UBSan build, all tests;
#   3. a TSan build of the concurrency drivers (tests/tsan: Criterion cannot
#      start under TSan, Snaipe/Criterion#274), label `tsan`;
#   4. the libFuzzer harnesses, CX_FUZZ_SECONDS (default 60) each.
# Usage: scripts/test.sh [--only normal|asan|tsan|fuzz] [--keep-going]
# Build trees go to build/test-*; set CX_TEST_ITERS / CX_TEST_SEED to soak
# or replay a random test. Each stage runs with TMPDIR set to a fresh
# folder and fails when its tests leave anything in it (named).
set -euo pipefail
cd "$(dirname "$0")/.."

only=""
keep_going=0
while [ $# -gt 0 ]; do
  case "$1" in
    --only)
      only="${2:?--only needs normal, asan, tsan or fuzz}"; shift 2
      case "$only" in normal|asan|tsan|fuzz) ;;
        *) echo "test.sh: --only must be normal, asan, tsan or fuzz, not '$only'" >&2; exit 2 ;;
      esac ;;
    --keep-going) keep_going=1; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

bash scripts/install-deps.sh
jobs=$(nproc)
failed=()
passed=()

# with_tmpdir NAME CMD...: runs CMD with TMPDIR set to a fresh folder, then
# fails (naming them) when CMD left files there: tests clean up after
# themselves, also when they fail.
with_tmpdir() {
  local name=$1 rc=0 left; shift
  local tmp
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/cx-test-$name.XXXXXX")
  TMPDIR=$tmp "$@" || rc=$?
  left=$(cd "$tmp" && find . -mindepth 1 -maxdepth 2 | sed 's|^\./||' | sort | head -n 20)
  rm -rf "$tmp"
  if [ -n "$left" ]; then
    echo "== [$name] tests left files in their TMPDIR (each test must remove what it creates):"
    printf '%s\n' "$left" | sed 's/^/     /'
    [ "$rc" -ne 0 ] || rc=1
  fi
  return "$rc"
}

# run_stage NAME LABEL_FILTER CMAKE_ARGS...
run_stage() {
  local name=$1 filter=$2; shift 2
  if [ -n "$only" ] && [ "$only" != "$name" ]; then return 0; fi
  local dir="build/test-$name" start=$SECONDS
  echo "== [$name] configure + build ($dir)"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHAINEXEC_WERROR=ON "$@"
  cmake --build "$dir" -j "$jobs"
  echo "== [$name] test"
  local args=(--test-dir "$dir" --output-on-failure -j "$jobs" --timeout 1800)
  [ -n "$filter" ] && args+=(-L "$filter")
  # Tests that show an open bug fail until it is fixed; name them, skip them.
  args+=(-LE known_failure)
  local known
  known=$(ctest --test-dir "$dir" -N -L known_failure | sed -n 's/^ *Test *#[0-9]*: //p')
  [ -n "$known" ] && echo "== [$name] excluded, known open bugs (ctest -L known_failure): $known"
  if with_tmpdir "$name" ctest "${args[@]}"; then
    echo "== [$name] passed in $((SECONDS - start)) s"
    passed+=("$name")
  else
    echo "== [$name] FAILED after $((SECONDS - start)) s"
    failed+=("$name")
    [ "$keep_going" = 1 ] || exit 1
  fi
}

# Sanitizer runtimes: fail on the first report, keep stacks readable.
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"

run_stage normal "" -DCHAINEXEC_SANITIZE=OFF
run_stage asan "" -DCHAINEXEC_SANITIZE=address,undefined -DCHAINEXEC_CUDA=OFF
run_stage tsan tsan -DCHAINEXEC_SANITIZE=thread -DCHAINEXEC_CUDA=OFF

# Fuzzing: each libFuzzer harness for a bounded time (clang + libFuzzer).
if [ -z "$only" ] || [ "$only" = fuzz ]; then
  start=$SECONDS
  echo "== [fuzz] libFuzzer harnesses, ${CX_FUZZ_SECONDS:-60} s each"
  if with_tmpdir fuzz bash scripts/fuzz.sh --seconds "${CX_FUZZ_SECONDS:-60}"; then
    echo "== [fuzz] passed in $((SECONDS - start)) s"
    passed+=(fuzz)
  else
    echo "== [fuzz] FAILED after $((SECONDS - start)) s"
    failed+=(fuzz)
    [ "$keep_going" = 1 ] || exit 1
  fi
fi

if [ "${#failed[@]}" -ne 0 ]; then
  echo "== FAILED stages: ${failed[*]}"
  exit 1
fi
if [ -n "$only" ]; then
  echo "== stage $only passed (the only one run: --only $only)"
else
  echo "== all test stages passed: ${passed[*]}"
fi
