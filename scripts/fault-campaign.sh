#!/usr/bin/env bash
# Fault campaign: injects storage and GPU faults into `chainexec replay`
# and checks that no fault ever yields a crash, a wrong root or a partial
# block, and that each one is reported with a clear message.
#
# Usage: scripts/fault-campaign.sh [--quick] [--seed S] [--bin CHAINEXEC]
#                                  [--work DIR] [--fixtures DIR]
#   --quick     the short CTest version (fewer levels, cases and fixtures)
#
# Kinds of fault (each counted in the summary):
#   diskfull  the replay runs under `ulimit -f` (SIGXFSZ ignored, so writes
#             fail with EFBIG, as on a full disk) at several limits below
#             what the chain needs: it must exit 1 with one message line; the
#             database must still open at a height h whose state_root equals
#             the clean run's; a retry without the limit must complete with
#             the clean run's roots.
#   fsfull    the same against a small tmpfs (real ENOSPC), when root may
#             mount one; space returns by remounting it larger.
#   readonly  the database directory and files are read-only to the user
#             running the replay (run as `nobody` via setpriv when we are
#             root, since root ignores permission bits): exit 1, a message,
#             the database unchanged.
#   corrupt   data.mdb truncated (several lengths) or with flipped bytes
#             (meta pages and random pages): `info` and a resuming `replay`
#             must exit 0 or 1 (never a signal or a sanitizer report), with
#             a message when 1; an exit 0 replay must have matched `expect`
#             (the fixture's roots), so a wrong root can never pass.
#   gpu       every shared fixture replayed with --strategy gpu --gpu sim at
#             high fail / wrong / hang rates and all together: exit 0 and
#             roots identical to the CPU run; the device's error, timeout
#             and mismatch counters (metrics file) are summed.
# Exit status 0 when every check passed, 1 otherwise, 2 on usage errors.
set -euo pipefail

quick=0 seed="" bin="${CHAINEXEC_BIN:-}" work="" fixtures=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; shift ;;
    --seed) seed="${2:?}"; shift 2 ;;
    --bin) bin="${2:?}"; shift 2 ;;
    --work) work="${2:?}"; shift 2 ;;
    --fixtures) fixtures="${2:?}"; shift 2 ;;
    -h|--help) sed -n '2,32p' "$0"; exit 0 ;;
    *) echo "fault-campaign: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${bin:-$here/build/release/cli/chainexec}"
fixtures="${fixtures:-${CX_SHARED_DIR:-$here/../shared}/fixtures}"
[ -x "$bin" ] || { echo "fault-campaign: chainexec not found at $bin (pass --bin)" >&2; exit 2; }
[ -d "$fixtures" ] || { echo "fault-campaign: no fixtures at $fixtures" >&2; exit 2; }
seed="${seed:-$(date +%s)}"
RANDOM=$((seed % 32768))
own_work=0 mnt=""
if [ -z "$work" ]; then work="$(mktemp -d "${TMPDIR:-/tmp}/cx-fault.XXXXXX")"; own_work=1; fi
# A scratch folder of our own goes at exit, whatever the outcome (the tmpfs
# unmounted first, else rm cannot remove its mount point); pass --work DIR
# to keep the evidence.
cleanup() {
  if [ -n "$mnt" ]; then umount "$mnt" 2>/dev/null || true; fi
  if [ "$own_work" = 1 ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
mkdir -p "$work"
chmod 755 "$work"
echo "fault-campaign: seed $seed, work $work$([ $quick = 1 ] && echo ', quick')"

keep_hint() {
  if [ "$own_work" = 1 ]; then
    echo "fault-campaign: replay with --seed $seed --work DIR to keep the evidence" >&2
  else
    echo "fault-campaign: replay with --seed $seed; evidence kept in $work" >&2
  fi
}
fail() {
  echo "fault-campaign: FAILED: $*" >&2
  keep_hint
  exit 1
}
json_field() { grep -o "\"$1\": *\"[0-9a-f]*\"" | sed 's/.*"\([0-9a-f]*\)"$/\1/'; }

# A process that died from a signal (exit > 128) or printed a sanitizer
# report crashed; anything else is a controlled outcome. Crashes are
# collected (the campaign goes on to the next case, so one bug does not hide
# the others) and fail the campaign at the end.
crashes=()
check_no_crash() { # what rc errfile
  local what=$1 rc=$2 errf=$3
  if [ "$rc" -ge 128 ]; then
    crashes+=("$what: crashed (exit $rc, signal $((rc - 128)))")
  elif grep -qE 'ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer' "$errf"; then
    crashes+=("$what: sanitizer report: $(grep -m1 -E 'ERROR|runtime error' "$errf")")
  else
    return 0
  fi
  echo "  CRASH ${crashes[-1]}" >&2
  return 1
}
# exit 1 must come with a message line on stderr.
check_message() { # what rc errfile
  if [ "$2" -eq 1 ] && [ ! -s "$3" ]; then fail "$1: exit 1 without a message"; fi
}

declare -A injected=([diskfull]=0 [fsfull]=0 [readonly]=0 [corrupt]=0 [gpu_fail]=0
                     [gpu_wrong]=0 [gpu_hang]=0)
declare -A outcomes=()
note() { outcomes[$1]=$(( ${outcomes[$1]:-0} + 1 )); }

# ---- the chain every storage fault runs against -------------------------
blocks=$([ $quick = 1 ] && echo 24 || echo 60)
fx="$work/fixture.json"
"$bin" gen --accounts 64 --blocks "$blocks" --txs 60 --mix mixed \
       --bad-rate 0.05 --seed "$seed" -o "$fx" >/dev/null || fail "chainexec gen failed"
"$bin" replay "$fx" --json --quiet --db "$work/clean-db" >"$work/clean.json" \
  2>"$work/clean.err" || fail "clean replay failed: $(head -1 "$work/clean.err")"
mapfile -t clean_roots < <(json_field state_root <"$work/clean.json")
[ "${#clean_roots[@]}" -eq "$blocks" ] || fail "clean run printed ${#clean_roots[@]} roots"
final_root=${clean_roots[$((blocks - 1))]}
data_kb=$(( $(stat -c %s "$work/clean-db/data.mdb") / 1024 ))
echo "fault-campaign: clean chain $blocks blocks, data.mdb ${data_kb} KiB"

# Height and state_root of a database into DB_H and DB_ROOT; fails when it
# does not open.
db_state() { # dir what
  "$bin" info --db "$1" --json >"$work/info.json" 2>"$work/info.err" ||
    fail "$2: database does not open afterwards: $(head -1 "$work/info.err")"
  DB_H=$(grep -o '"height": *[0-9]*' "$work/info.json" | head -1 | grep -o '[0-9]*$')
  DB_ROOT=$(json_field state_root <"$work/info.json" | head -1)
}
# The stored state_root at height h must be the clean run's.
check_at_height() { # what h root
  [ "$2" -eq 0 ] && return 0
  [ "$3" = "${clean_roots[$(($2 - 1))]}" ] ||
    fail "$1: state_root at height $2 is $3, clean run has ${clean_roots[$(($2 - 1))]}"
}

# ---- diskfull ---------------------------------------------------------------
if [ $quick = 1 ]; then fractions=(30 70); else fractions=(10 25 40 55 70 85 95); fi
for pct in "${fractions[@]}"; do
  limit=$(( data_kb * pct / 100 )); [ "$limit" -ge 64 ] || limit=64
  db="$work/full-db-$pct"
  rm -rf "$db"
  rc=0
  ( trap '' XFSZ; ulimit -f "$limit"
    exec "$bin" replay "$fx" --json --quiet --db "$db" ) \
    >"$work/full.json" 2>"$work/full.err" || rc=$?
  check_no_crash "diskfull ${limit}KiB" "$rc" "$work/full.err" || continue
  if [ "$rc" -eq 0 ]; then
    # The limit sat above what this chain needed (map growth is sparse).
    note diskfull_not_reached
    continue
  fi
  injected[diskfull]=$(( injected[diskfull] + 1 ))
  [ "$rc" -eq 1 ] || fail "diskfull ${limit}KiB: exit $rc, expected 1"
  check_message "diskfull ${limit}KiB" "$rc" "$work/full.err"
  [ "$(wc -l <"$work/full.err")" -le 2 ] ||
    fail "diskfull ${limit}KiB: expected one clear line, got: $(cat "$work/full.err")"
  db_state "$db" "diskfull ${limit}KiB"; h=$DB_H root=$DB_ROOT
  check_at_height "diskfull ${limit}KiB" "$h" "$root"
  [ "$h" -lt "$blocks" ] || fail "diskfull ${limit}KiB: failed but stored all blocks"
  rc=0
  "$bin" replay "$fx" --json --quiet --db "$db" >"$work/retry.json" 2>"$work/retry.err" || rc=$?
  [ "$rc" -eq 0 ] || fail "diskfull ${limit}KiB: retry exited $rc: $(head -1 "$work/retry.err")"
  [ "$(json_field state_root <"$work/retry.json" | tail -1)" = "$final_root" ] ||
    fail "diskfull ${limit}KiB: retry final root differs from the clean run"
  note "diskfull_h$h"
  echo "  diskfull ${limit} KiB: exit 1 at height $h ('$(head -1 "$work/full.err")'), retry ok"
done

# ---- diskfull on a real filesystem (tmpfs), when we may mount -------------
# ENOSPC from a full filesystem rather than EFBIG from a file size limit;
# "space returns" is a remount with a larger size.
mkdir -p "$work/smallfs"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=$(( data_kb / 2 ))k tmpfs "$work/smallfs" 2>/dev/null; then
  mnt="$work/smallfs" # unmounted by cleanup
  for pct in $([ $quick = 1 ] && echo 50 || echo 20 50 80); do
    db="$mnt/db"
    rm -rf "$db"
    mount -o remount,size=$(( data_kb * pct / 100 + 16 ))k "$mnt" ||
      fail "fs-full: cannot resize the tmpfs at $mnt"
    rc=0
    "$bin" replay "$fx" --json --quiet --db "$db" >"$work/full.json" 2>"$work/full.err" || rc=$?
    check_no_crash "fs-full ${pct}%" "$rc" "$work/full.err" || continue
    if [ "$rc" -eq 0 ]; then note fsfull_not_reached; continue; fi
    first_rc=$rc
    injected[fsfull]=$(( ${injected[fsfull]:-0} + 1 ))
    check_message "fs-full ${pct}%" "$rc" "$work/full.err"
    db_state "$db" "fs-full ${pct}%"; h=$DB_H root=$DB_ROOT
    check_at_height "fs-full ${pct}%" "$h" "$root"
    mount -o remount,size=$(( data_kb * 4 + 1024 ))k "$mnt"
    rc=0
    "$bin" replay "$fx" --json --quiet --db "$db" >"$work/retry.json" 2>"$work/retry.err" || rc=$?
    [ "$rc" -eq 0 ] || fail "fs-full ${pct}%: retry exited $rc: $(head -1 "$work/retry.err")"
    [ "$(json_field state_root <"$work/retry.json" | tail -1)" = "$final_root" ] ||
      fail "fs-full ${pct}%: retry final root differs from the clean run"
    echo "  fs-full ${pct}%: exit $first_rc at height $h ('$(head -1 "$work/full.err")'), retry ok"
  done
  umount "$mnt"
else
  echo "  fs-full: skipped (needs root and tmpfs mounts)"
fi

# ---- readonly ---------------------------------------------------------------
ro="$work/ro-db"
rm -rf "$ro"
"$bin" replay "$fx" --json --quiet --db "$ro" >/dev/null 2>&1 || fail "readonly: setup replay failed"
db_state "$ro" readonly-setup; h0=$DB_H root0=$DB_ROOT
runner=()
if [ "$(id -u)" = 0 ]; then
  if command -v setpriv >/dev/null 2>&1; then
    runner=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  else
    echo "  readonly: skipped (root without setpriv: permissions are not enforced)"
  fi
fi
if [ "$(id -u)" != 0 ] || [ "${#runner[@]}" -gt 0 ]; then
  chmod -R a-w "$ro"
  chmod a+rx "$ro"; chmod a+r "$ro"/* "$fx"
  # A second fixture with one more block is not needed: a resume of the
  # same chain must still open the database, find nothing to do or fail.
  for cmd in info replay; do
    rc=0
    if [ $cmd = info ]; then
      "${runner[@]}" "$bin" info --db "$ro" >"$work/ro.out" 2>"$work/ro.err" || rc=$?
    else
      "${runner[@]}" "$bin" replay "$fx" --quiet --db "$ro" >"$work/ro.out" 2>"$work/ro.err" || rc=$?
    fi
    check_no_crash "readonly $cmd" "$rc" "$work/ro.err" || continue
    check_message "readonly $cmd" "$rc" "$work/ro.err"
    injected[readonly]=$(( injected[readonly] + 1 ))
    note "readonly_${cmd}_exit$rc"
    echo "  readonly $cmd: exit $rc $(head -1 "$work/ro.err")"
  done
  # A fresh database in a read-only parent directory.
  mkdir -p "$work/ro-parent"; chmod 555 "$work/ro-parent"
  rc=0
  "${runner[@]}" "$bin" replay "$fx" --quiet --db "$work/ro-parent/db" >/dev/null 2>"$work/ro.err" || rc=$?
  check_no_crash "readonly parent" "$rc" "$work/ro.err"
  [ "$rc" -eq 1 ] || fail "readonly parent: exit $rc, expected 1"
  check_message "readonly parent" "$rc" "$work/ro.err"
  injected[readonly]=$(( injected[readonly] + 1 ))
  echo "  readonly parent: exit 1 $(head -1 "$work/ro.err")"
  chmod -R u+w "$ro" "$work/ro-parent"
  db_state "$ro" readonly-after; h1=$DB_H root1=$DB_ROOT
  [ "$h1 $root1" = "$h0 $root0" ] || fail "readonly: database changed ($h0 -> $h1)"
fi

# ---- corrupt ----------------------------------------------------------------
# A database at half height, so a resuming replay reads state and commits.
half="$work/half-db"
rm -rf "$half"
{ CHAINEXEC_TEST_KILL_AFTER_BLOCK=$((blocks / 2)) "$bin" replay "$fx" --quiet \
  --db "$half" >/dev/null 2>&1; } 2>/dev/null || true
db_state "$half" corrupt-setup
[ "$DB_H" -gt 0 ] || fail "corrupt: setup database has no blocks"
size=$(stat -c %s "$half/data.mdb")
cases=()
for len in 0 1 4096 8191 8192 $((size / 2)) $((size - 4096)) $((size - 1)); do
  [ "$len" -ge 0 ] && [ "$len" -lt "$size" ] && cases+=("truncate:$len")
done
nflip=$([ $quick = 1 ] && echo 6 || echo 40)
for _ in $(seq "$nflip"); do
  # Half the flips land in the two meta pages, half anywhere.
  if [ $((RANDOM % 2)) = 0 ]; then off=$(( (RANDOM * 32768 + RANDOM) % 8192 ))
  else off=$(( (RANDOM * 32768 + RANDOM) % size )); fi
  cases+=("flip:$off:$(( (RANDOM % 255) + 1 ))")
done
[ $quick = 1 ] && cases=("${cases[@]:0:4}" "${cases[@]: -6}")
for c in "${cases[@]}"; do
  db="$work/corrupt-db"
  rm -rf "$db"; cp -r "$half" "$db"
  IFS=: read -r kind a b <<<"$c"
  if [ "$kind" = truncate ]; then
    truncate -s "$a" "$db/data.mdb"
  else
    byte=$(od -An -tu1 -j "$a" -N1 "$db/data.mdb" | tr -d ' ')
    printf "$(printf '\\%03o' $(( (byte ^ b) & 255 )))" |
      dd of="$db/data.mdb" bs=1 seek="$a" conv=notrunc status=none
  fi
  injected[corrupt]=$(( injected[corrupt] + 1 ))
  rc=0
  "$bin" info --db "$db" >"$work/c.out" 2>"$work/c.err" || rc=$?
  check_no_crash "corrupt $c info" "$rc" "$work/c.err" || { note corrupt_crash; continue; }
  check_message "corrupt $c info" "$rc" "$work/c.err"
  rc2=0
  "$bin" replay "$fx" --json --quiet --db "$db" >"$work/c.json" 2>"$work/c2.err" || rc2=$?
  check_no_crash "corrupt $c replay" "$rc2" "$work/c2.err" || { note corrupt_crash; continue; }
  check_message "corrupt $c replay" "$rc2" "$work/c2.err"
  if [ "$rc2" -eq 0 ]; then
    [ "$(json_field state_root <"$work/c.json" | tail -1)" = "$final_root" ] ||
      fail "corrupt $c: replay exited 0 with a wrong final root"
  fi
  note "corrupt_info$rc"
  note "corrupt_replay$rc2"
  [ "$rc" -eq 1 ] && echo "  corrupt $c: info exit 1: $(head -1 "$work/c.err")"
done

# ---- gpu (sim) --------------------------------------------------------------
specs=("sim:fail=0.5" "sim:wrong=0.5" "sim:hang=0.5,delay_us=200"
       "sim:fail=0.3,wrong=0.3,hang=0.1,delay_us=100")
[ $quick = 1 ] && specs=("sim:fail=0.3,wrong=0.3,hang=0.1,delay_us=100")
metric_sum() { # file metric
  awk -v m="$2" '$1 ~ "^"m"[{ ]" || $1 == m { s += $NF } END { print s + 0 }' "$1"
}
for f in "$fixtures"/*.json; do
  name=$(basename "$f" .json)
  "$bin" replay "$f" --json --quiet --strategy cpu >"$work/cpu.json" 2>"$work/cpu.err" ||
    fail "gpu: cpu replay of $name failed: $(head -1 "$work/cpu.err")"
  for spec in "${specs[@]}"; do
    for threads in 1 4; do
      rc=0
      "$bin" replay "$f" --json --quiet --strategy gpu --gpu "$spec" \
        --threads "$threads" --metrics-file "$work/m.prom" \
        >"$work/gpu.json" 2>"$work/gpu.err" || rc=$?
      check_no_crash "gpu $name $spec" "$rc" "$work/gpu.err" || continue
      [ "$rc" -eq 0 ] || fail "gpu $name $spec threads $threads: exit $rc: $(head -1 "$work/gpu.err")"
      cmp -s <(json_field state_root <"$work/cpu.json") <(json_field state_root <"$work/gpu.json") &&
      cmp -s <(grep -o '"statuses": *\[[0-9, ]*\]' "$work/cpu.json") \
             <(grep -o '"statuses": *\[[0-9, ]*\]' "$work/gpu.json") ||
        fail "gpu $name $spec threads $threads: roots or statuses differ from the CPU run"
      if [ -f "$work/m.prom" ]; then
        injected[gpu_fail]=$(( injected[gpu_fail] + $(metric_sum "$work/m.prom" chainexec_sched_device_errors_total) ))
        injected[gpu_wrong]=$(( injected[gpu_wrong] + $(metric_sum "$work/m.prom" chainexec_sched_device_mismatches_total) ))
        injected[gpu_hang]=$(( injected[gpu_hang] + $(metric_sum "$work/m.prom" chainexec_sched_device_timeouts_total) ))
        rm -f "$work/m.prom"
      fi
      note gpu_runs
    done
  done
done

if [ "${#crashes[@]}" -gt 0 ]; then
  printf 'fault-campaign: FAILED: %d crashes:\n' "${#crashes[@]}" >&2
  printf '  %s\n' "${crashes[@]}" >&2
  keep_hint
  result=1
else
  echo "fault-campaign: PASS, zero crashes, zero wrong roots"
  result=0
fi
printf '  faults injected: diskfull %d (ulimit) + %d (full tmpfs), readonly %d, corrupt %d, gpu: %d fail, %d wrong, %d hang (device counters) over %d replays\n' \
  "${injected[diskfull]}" "${injected[fsfull]}" "${injected[readonly]}" "${injected[corrupt]}" \
  "${injected[gpu_fail]}" "${injected[gpu_wrong]}" "${injected[gpu_hang]}" "${outcomes[gpu_runs]:-0}"
for k in $(printf '%s\n' "${!outcomes[@]}" | sort); do printf '  %-28s %d\n' "$k" "${outcomes[$k]}"; done
exit $result
