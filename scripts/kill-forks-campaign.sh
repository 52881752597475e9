#!/usr/bin/env bash
# Kill campaign for branch switches (SPEC section 9): replays a block tree
# with --head-each (a forkchoice per block: reverts and commits in one
# transaction at every switch of branch) and runs `chainexec revert`, and
# SIGKILLs them at random moments; after every kill the database must be
# at a block of the tree, with exactly that block's state.
#
# Usage: scripts/kill-forks-campaign.sh [--kills N] [--fixture F]
#                                       [--seed S] [--bin CHAINEXEC]
#                                       [--work DIR]
#   --kills N    SIGKILLs to deliver in all (default 100)
#   --fixture F  a fixture with parent links (default
#                ../shared/forks/forks.json)
#   --seed S     seed of the kill moments (default: time)
#   --bin        the chainexec executable (default $CHAINEXEC_BIN, else
#                build/release/cli/chainexec)
#   --work DIR   scratch folder (default: a new temporary one, removed at
#                the end unless the campaign fails)
#
# Reference: for every block b, the state (`chainexec state --json`) right
# after b was made the head, taken by a replay stopped there by the test
# hook CHAINEXEC_TEST_KILL_AFTER_HEADS (b's state root is checked against
# the fixture's expect). Checks after each kill (`info`, `state`):
#   - the database opens (its integrity check passes);
#   - its head is a block of the tree at that height (its state root is
#     one of theirs), or the genesis: never a state between two blocks;
#   - its whole state is byte for byte that block's reference state: no
#     mix of the old and the new branch;
# and at the end of every round (a replay with --reorg that completes):
#   - it exits 0 (every block matched expect), and the state equals the
#     canonical chain's.
# Exit status 0 when every check passed, 1 otherwise, 2 on usage errors.
set -euo pipefail

kills=100 fixture="" seed="" bin="${CHAINEXEC_BIN:-}" work=""
while [ $# -gt 0 ]; do
  case "$1" in
    --kills) kills="${2:?}"; shift 2 ;;
    --fixture) fixture="${2:?}"; shift 2 ;;
    --seed) seed="${2:?}"; shift 2 ;;
    --bin) bin="${2:?}"; shift 2 ;;
    --work) work="${2:?}"; shift 2 ;;
    -h|--help) sed -n '2,33p' "$0"; exit 0 ;;
    *) echo "kill-forks-campaign: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$kills" in ''|*[!0-9]*) echo "kill-forks-campaign: --kills must be a whole number" >&2; exit 2 ;; esac
here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${bin:-$here/build/release/cli/chainexec}"
fixture="${fixture:-$here/../shared/forks/forks.json}"
[ -x "$bin" ] || { echo "kill-forks-campaign: chainexec not found at $bin (build it or pass --bin)" >&2; exit 2; }
[ -f "$fixture" ] || { echo "kill-forks-campaign: no fixture at $fixture (pass --fixture)" >&2; exit 2; }
seed="${seed:-$(date +%s)}"
RANDOM=$((seed % 32768))
own_work=0
if [ -z "$work" ]; then work="$(mktemp -d "${TMPDIR:-/tmp}/cx-kill-forks.XXXXXX")"; own_work=1; fi
mkdir -p "$work"
echo "kill-forks-campaign: seed $seed, $kills kills, fixture $fixture, work $work"

fail() {
  echo "kill-forks-campaign: FAILED: $*" >&2
  echo "kill-forks-campaign: replay with --seed $seed; evidence kept in $work" >&2
  exit 1
}
now_ms() { date +%s%3N; }
json_field() { grep -o "\"$1\": *\"[0-9a-f]*\"" | sed 's/.*"\([0-9a-f]*\)"$/\1/'; }
info_height() { grep -o '"height": *[0-9]*' "$1" | head -1 | grep -o '[0-9]*$'; }

# The clean run, and its state roots per block.
t0=$(now_ms)
"$bin" replay "$fixture" --json --quiet --head-each --db "$work/clean" \
  >"$work/clean.json" 2>"$work/clean.err" ||
  fail "clean replay failed: $(head -1 "$work/clean.err")"
clean_ms=$(( $(now_ms) - t0 ))
mapfile -t roots < <(json_field state_root <"$work/clean.json")
genesis_root=$(json_field genesis_state_root <"$work/clean.json" | head -1)
n=${#roots[@]}
[ "$n" -gt 0 ] || fail "the clean run printed no block"
"$bin" state --db "$work/clean" --json >"$work/final.state" || fail "state of the clean run"

# Reference states: block b right after it became the head.
for ((b = 0; b < n; b++)); do
  rm -rf "$work/ref"
  rc=0
  CHAINEXEC_TEST_KILL_AFTER_HEADS=$((b + 1)) "$bin" replay "$fixture" --quiet \
    --head-each --db "$work/ref" >/dev/null 2>&1 || rc=$?
  [ "$rc" -eq 137 ] || [ "$b" -eq $((n - 1)) ] || fail "reference run $b exited $rc"
  "$bin" state --db "$work/ref" --json >"$work/ref.$b.state" || fail "reference state $b"
  grep -q "\"state_root\": \"${roots[$b]}\"" "$work/ref.$b.state" ||
    fail "reference state of block $b does not carry its state root"
done
rm -rf "$work/ref"
window=$(( clean_ms > 80 ? clean_ms : 80 ))
echo "kill-forks-campaign: clean run ${clean_ms} ms, kill window ${window} ms, $n blocks"

# check_db KILL: the database is at a block of the tree, with its state.
check_db() {
  [ -e "$db/data.mdb" ] || return 0
  "$bin" info --db "$db" --json >"$work/info.json" 2>"$work/info.err" ||
    fail "kill $1: database does not open: $(head -1 "$work/info.err")"
  grep -q '"has_genesis": true' "$work/info.json" || return 0
  local h root b found=-1
  h=$(info_height "$work/info.json")
  root=$(json_field state_root <"$work/info.json" | head -1)
  if [ "$h" -eq 0 ]; then
    [ "$root" = "$genesis_root" ] || fail "kill $1: height 0 with root $root"
    return 0
  fi
  for ((b = 0; b < n; b++)); do
    [ "${roots[$b]}" = "$root" ] && { found=$b; break; }
  done
  [ "$found" -ge 0 ] || fail "kill $1: head (height $h) has state root $root, no block of the tree has it"
  "$bin" state --db "$db" --json >"$work/now.state" 2>"$work/state.err" ||
    fail "kill $1: state: $(head -1 "$work/state.err")"
  cmp -s "$work/now.state" "$work/ref.$found.state" ||
    fail "kill $1: the state at the head (block $found, height $h) differs from its reference"
}

db="$work/db"
delivered=0 rounds=0 reverts=0
rm -rf "$db"
while [ "$delivered" -lt "$kills" ]; do
  delay_ms=$(( (RANDOM * 32768 + RANDOM) % window ))
  t=$((1 + RANDOM % 3))
  if [ -e "$db/data.mdb" ] && [ $((RANDOM % 4)) = 0 ]; then
    # A revert, killed (or not) midway.
    "$bin" info --db "$db" --json >"$work/info.json" 2>/dev/null || fail "info before revert"
    h=$(info_height "$work/info.json")
    fl=$(grep -o '"retention_floor": *[0-9]*' "$work/info.json" | grep -o '[0-9]*$')
    [ "$h" -gt "$fl" ] || continue
    to=$(( fl + RANDOM % (h - fl) ))
    "$bin" revert --db "$db" --to "$to" --json >/dev/null 2>"$work/run.err" &
    reverts=$((reverts + 1))
    kind=revert
  else
    kind=replay
    "$bin" replay "$fixture" --json --quiet --head-each --reorg --db "$db" \
      --threads "$t" >"$work/run.json" 2>"$work/run.err" &
  fi
  pid=$!
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  kill -KILL "$pid" 2>/dev/null || true
  rc=0
  wait "$pid" 2>/dev/null || rc=$?
  echo "$kind after ${delay_ms} ms: exit $rc" >>"$work/log" # evidence
  if [ "$rc" -eq 137 ]; then
    delivered=$((delivered + 1))
    check_db "$delivered"
    continue
  fi
  [ "$rc" -eq 0 ] || fail "a run exited $rc: $(head -1 "$work/run.err")"
  check_db "after-run"
  if [ "$kind" = replay ]; then
    "$bin" state --db "$db" --json >"$work/now.state" || fail "state after a round"
    cmp -s "$work/now.state" "$work/final.state" || fail "round $rounds ended with another state"
    rounds=$((rounds + 1))
    [ $((RANDOM % 2)) = 0 ] && rm -rf "$db"
  fi
done
"$bin" replay "$fixture" --json --quiet --head-each --reorg --db "$db" \
  >"$work/run.json" 2>"$work/run.err" || fail "final resume: $(head -1 "$work/run.err")"
"$bin" state --db "$db" --json >"$work/now.state" || fail "final state"
cmp -s "$work/now.state" "$work/final.state" || fail "the final state differs from the clean run's"
echo "kill-forks-campaign: PASS: $delivered kills survived ($reverts during reverts)," \
     "$rounds rounds completed, every database at a block of the tree with" \
     "exactly its state, final state equal to the clean run's"
[ "$own_work" = 1 ] && rm -rf "$work"
exit 0
