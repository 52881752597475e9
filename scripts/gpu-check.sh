#!/usr/bin/env bash
# Runs chainexec's checks and measurements on a machine with an NVIDIA GPU,
# from the bundle that scripts/gpu-pack.sh made (.devpkg/): the whole CTest
# suite with the device present (the GPU tests run instead of skipping),
# `chainexec devices`, `bench gpu` (kernels vs the CPU), `bench tps` with
# each strategy, and `bench exec` at 2 and all threads, with GPU
# utilisation sampled by nvidia-smi during the TPS runs.
#
#   scripts/gpu-check.sh [--out DIR] [--quick] [--skip-tests] [--skip-exec]
#                        [--blocks B] [--warmup W] [--profile] [--no-big]
#                        [--strategies "gpu balance auto cpu"]
#
# --profile adds an Nsight Compute report (ncu.txt) of the verify kernel at
# a 16,384-signature and a 65,536-signature batch (bench gpu's 7th to 9th
# verify launches).
#
# Writes into DIR (default ./gpu-check-out): check.log (everything a person
# reads), optest.log (the operation test: device vs host, op by op),
# ctest.log, bench.jsonl (one JSON document per line), dmon.log.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/gpu-check-out"
quick=0 tests=1 exec=1 big=1 profile=0 strategies="gpu balance auto cpu" blocks=30 warmup=10
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --quick) quick=1; shift ;;
    --skip-tests) tests=0; shift ;;
    --blocks) blocks=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --skip-exec) exec=0; shift ;;
    --profile) profile=1; shift ;;
    --no-big) big=0; shift ;;
    --strategies) strategies=$2; shift 2 ;;
    -h|--help) sed -n 2,19p "$0"; exit 0 ;;
    *) echo "gpu-check: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
pkg="$root/.devpkg"
[ -f "$pkg/bundle.tar.gz" ] || { echo "gpu-check: $pkg/bundle.tar.gz missing: run scripts/gpu-pack.sh first" >&2; exit 1; }
mkdir -p "$out"
log="$out/check.log"
exec > >(tee -a "$log") 2>&1

# The build tree was made at $built_root; recreate that path here.
built_root=$(cat "$pkg/root") build=$(cat "$pkg/build")
unpack="${TMPDIR:-/tmp}/chainexec-gpu-check"
rm -rf "$unpack" && mkdir -p "$unpack" && tar -xzf "$pkg/bundle.tar.gz" -C "$unpack"
if [ "$built_root" != "$root" ]; then
  if [ -e "$built_root" ] && [ ! -L "$built_root" ]; then
    echo "gpu-check: $built_root exists here and is not ours; run from it" >&2; exit 1
  fi
  mkdir -p "$(dirname "$built_root")" && ln -sfn "$root" "$built_root"
fi
shared_dir="$(dirname "$built_root")/shared"
[ -d "$shared_dir/fixtures" ] || ln -sfn "$unpack/shared" "$shared_dir"
# A real build tree here (the packing machine) is used as it is.
[ -f "$root/$build/CMakeCache.txt" ] || { rm -rf "$root/$build" && ln -sfn "$unpack/tree/$build" "$root/$build"; }
export LD_LIBRARY_PATH="$unpack/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
cx="$root/$build/cli/chainexec"
ncpu=$(nproc)

step() { echo; echo "=== $* ($(date -u +%H:%M:%S))"; }
json() { # name, command...: one line of bench.jsonl
  local name=$1; shift
  local doc
  if doc=$(timeout 300 "$@" --json); then
    printf '{"name": "%s", "result": %s}\n' "$name" "$(echo "$doc" | tr -d '\n')" >>"$out/bench.jsonl"
    echo "$doc"
  else
    echo "gpu-check: '$name' failed (exit $?)"
  fi
}

step "machine"
nvidia-smi -L; nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv
echo "cpus: $ncpu"; "$cx" devices

# Short, and first: when the device computes any CX_HD operation unlike
# the host build, this names the first such operation (and the benches
# below then measure a kernel whose verdicts the scheduler rejects).
step "operation test: each CX_HD operation on the device against the host build"
(cd "$root/$build" && timeout 300 ctest -R '^chainexec\.gpu\.optest$' -V >"$out/optest.log" 2>&1)
echo "optest exit $?"
grep -E "gpu_optest: |first operation|\[(FAIL|SKIP)\]|tests passed|tests failed" "$out/optest.log" | head -20

step "bench gpu"
json bench_gpu "$cx" bench gpu $([ $quick = 1 ] && echo --quick)

nvidia-smi dmon -s u -d 1 >"$out/dmon.log" 2>&1 &
dmon=$!
# Warm-up blocks let the GPU earn trust (8 clean batches) before timing.
for s in $strategies; do
  step "bench tps 10000 accounts x 10000 txs, $blocks blocks (+$warmup), $ncpu threads, strategy $s"
  json "tps_$s" "$cx" bench tps --accounts 10000 --txs 10000 --blocks "$blocks" \
    --warmup "$warmup" --threads "$ncpu" --strategy "$s" --quiet
done
if [ $quick = 0 ] && [ $big = 1 ]; then
  for s in gpu balance; do
    step "bench tps 10000 accounts x 100000 txs, 4 blocks (+2), $ncpu threads, strategy $s"
    json "tps_big_$s" "$cx" bench tps --accounts 10000 --txs 100000 --blocks 4 \
      --warmup 2 --threads "$ncpu" --strategy "$s" --quiet
  done
fi
kill $dmon 2>/dev/null

if [ $exec = 1 ]; then
  for t in 2 "$ncpu"; do
    step "bench exec, $t threads"
    json "exec_$t" "$cx" bench exec --threads "$t" $([ $quick = 1 ] && echo --quick)
  done
fi
if [ $tests = 1 ]; then
  step "ctest with the device present"
  (cd "$root/$build" && timeout 300 ctest -j"$ncpu" --timeout 240 -LE known_failure \
     --output-on-failure >"$out/ctest.log" 2>&1)
  echo "ctest exit $?"; grep -E "tests passed|tests failed|\*\*\*|Failed|Skipped" "$out/ctest.log" | head -40
  grep -h -iE "skip" "$out/ctest.log" | head -10
fi

if [ $profile = 1 ]; then
  step "Nsight Compute: the verify kernel"
  ncu_bin=$(command -v ncu || ls /usr/local/cuda/bin/ncu 2>/dev/null || ls -d /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
  if [ -n "$ncu_bin" ]; then
    # bench gpu --quick runs batches 256..4096; the full run reaches 2^20.
    timeout 240 "$ncu_bin" --kernel-name regex:verify --launch-skip 6 --launch-count 3 \
      --section SpeedOfLight --section Occupancy --section LaunchStats \
      --section ComputeWorkloadAnalysis --section MemoryWorkloadAnalysis \
      --section WarpStateStats "$cx" bench gpu >"$out/ncu.txt" 2>&1
    echo "ncu exit $?"; grep -E "Duration|Registers|Achieved Occupancy|Theoretical Occupancy|Compute \(SM\) Throughput|Block Size|Grid Size|Local" "$out/ncu.txt" | head -40
  else
    echo "ncu not found"
  fi
fi
step "done"
