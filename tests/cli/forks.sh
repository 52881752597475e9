# Block trees (SPEC section 9) through the CLI: every fork fixture replays
# with exit 0 under every configuration of the linear fixtures, with and
# without --head-each, identical --json output; bad parent links are
# invalid fixtures refused before anything runs; a --db ends holding the
# canonical chain; resume after a kill (also in the middle of branch
# switches); --reorg; revert and state.
. "$(dirname "$0")/lib.sh"
FX=${3:-$SHARED/forks/forks.json}
if [ ! -f "$FX" ]; then
  [ "${CI:-}" = "true" ] && { echo "fork fixture missing at '$FX'" >&2; exit 1; }
  echo "SKIP: fork fixture missing at '$FX'" >&2
  exit 77
fi
base=$(basename "$FX" .json)
FAULTS=sim:fail=0.3,wrong=0.2,hang=0.05
i=0
while read -r args; do
  i=$((i + 1))
  # shellcheck disable=SC2086
  run_expect 0 "$base.$i" "$BIN" replay "$FX" --json --quiet $args || continue
  [ "$i" -gt 1 ] && same "$WORK/$base.1.out" "$WORK/$base.$i.out"
done <<CONFIGS
--threads 1 --strategy cpu
--threads 2 --strategy cpu
--threads 2 --strategy auto
--threads 1 --strategy gpu --gpu sim
--threads 2 --strategy gpu --gpu $FAULTS
--threads 1 --strategy balance --gpu $FAULTS
--threads 2 --strategy auto --gpu sim --no-pipeline
--threads 1 --strategy cpu --head-each
--threads 2 --strategy gpu --gpu $FAULTS --head-each
--threads 2 --strategy cpu --preverify
--threads 2 --strategy auto --head-each --preverify
CONFIGS
grep -q '"height": 15' "$WORK/$base.1.out" || fail "no block at height 15 in the output"

# Bad parent links: exit 1 naming the block, nothing created.
mkbad() { # mkbad NAME SED-EXPR: the fixture with its 4th block's parent changed
  sed "0,/\"parent\": -1/s//$2/" "$FX" >"$WORK/$1.json"
}
for bad in '"parent": 99' '"parent": "zero"' '"parent": 1.5' '"parent": -2' '"parent": 3'; do
  name=bad$((i++))
  mkbad "$name" "$bad"
  run_expect 1 "$name" "$BIN" replay "$WORK/$name.json" --quiet --db "$WORK/$name.db" &&
    stderr_has "$name" "blocks[3].parent"
  [ -e "$WORK/$name.db" ] && fail "$name: refused fixture created a database"
done

# A wrong expect names the block and its height.
awk 'BEGIN{n=0} /"write_root"/ { n++; if (n == 5) sub(/"write_root": "[0-9a-f]/, "\"write_root\": \"Z") } {print}' "$FX" |
  sed 's/"write_root": "Z[0-9a-f]/"write_root": "00/' >"$WORK/wrong.json"
run_expect 1 wrong "$BIN" replay "$WORK/wrong.json" --quiet &&
  stderr_has wrong "mismatch at block 5 (height 4): write_root"

# A --db ends with the canonical chain: the same state, whichever way.
run_expect 0 db_a "$BIN" replay "$FX" --json --quiet --db "$WORK/a" || finish
run_expect 0 db_b "$BIN" replay "$FX" --json --quiet --head-each --db "$WORK/b" || finish
run_expect 0 info_a "$BIN" info --db "$WORK/a" --json &&
  grep -q '"height": 15,' "$WORK/info_a.out" || fail "db is not at height 15: $(cat "$WORK/info_a.out")"
run_expect 0 state_a "$BIN" state --db "$WORK/a" --json || finish
run_expect 0 state_b "$BIN" state --db "$WORK/b" --json && same "$WORK/state_a.out" "$WORK/state_b.out"
# A finished database replayed again with --head-each stays at the head.
run_expect 0 db_b2 "$BIN" replay "$FX" --json --quiet --head-each --db "$WORK/b" &&
  same "$WORK/db_b.out" "$WORK/db_b2.out"
run_expect 0 state_b2 "$BIN" state --db "$WORK/b" --json && same "$WORK/state_a.out" "$WORK/state_b2.out"
grep -q '"state_root": "'"$(sed -n 's/.*"height": 15, "statuses": \[[^]]*\], "tx_root": "[0-9a-f]*", "receipts_root": "[0-9a-f]*", "write_root": "[0-9a-f]*", "state_root": "\([0-9a-f]*\)".*/\1/p' "$WORK/db_a.out" | tail -1)"'"' "$WORK/state_a.out" ||
  fail "state --json does not carry the head's state root"

# Resume: killed after height 6 committed, and in --head-each mode after 4
# forkchoices (the head is then block 3, off the canonical chain).
CHAINEXEC_TEST_KILL_AFTER_BLOCK=6 "$BIN" replay "$FX" --quiet --db "$WORK/k1" >/dev/null 2>&1
[ $? -eq 137 ] || fail "hooked replay was not killed"
run_expect 0 resume_k1 "$BIN" replay "$FX" --json --quiet --db "$WORK/k1" &&
  same "$WORK/$base.1.out" "$WORK/resume_k1.out"
CHAINEXEC_TEST_KILL_AFTER_HEADS=4 "$BIN" replay "$FX" --quiet --head-each --db "$WORK/k2" >/dev/null 2>&1
[ $? -eq 137 ] || fail "hooked --head-each replay was not killed"
run_expect 0 info_k2 "$BIN" info --db "$WORK/k2" --json &&
  grep -q '"height": 1,' "$WORK/info_k2.out" || fail "k2 is not at height 1: $(cat "$WORK/info_k2.out")"
sum=$(dbsum "$WORK/k2")
run_expect 1 refuse_k2 "$BIN" replay "$FX" --quiet --db "$WORK/k2" &&
  stderr_has refuse_k2 "--reorg"
[ "$sum" = "$(dbsum "$WORK/k2")" ] || fail "a refused resume changed the database"
run_expect 0 reorg_k2 "$BIN" replay "$FX" --json --quiet --reorg --db "$WORK/k2" &&
  same "$WORK/$base.1.out" "$WORK/reorg_k2.out"
run_expect 0 state_k2 "$BIN" state --db "$WORK/k2" --json && same "$WORK/state_a.out" "$WORK/state_k2.out"

# revert and state at a height: the state at 10 before equals the state
# after reverting to 10; below the floor is refused with the setting named.
run_expect 0 state10 "$BIN" state --db "$WORK/a" --height 10 --json || finish
grep -q '"height": 10,' "$WORK/state10.out" || fail "state --height 10 says another height"
run_expect 0 revert10 "$BIN" revert --db "$WORK/a" --to 10 --json &&
  grep -q '"reverted": 5' "$WORK/revert10.out" || fail "revert --json: $(cat "$WORK/revert10.out")"
run_expect 0 state10b "$BIN" state --db "$WORK/a" --json && same "$WORK/state10.out" "$WORK/state10b.out"
run_expect 1 revert_up "$BIN" revert --db "$WORK/a" --to 12 && stderr_has revert_up "height 10"
run_expect 0 gen_c "$BIN" gen --accounts 4 --blocks 15 --txs 5 --seed 3 -o "$WORK/lin.json" || finish
run_expect 0 db_c "$BIN" replay "$WORK/lin.json" --quiet --retention 2 --db "$WORK/c" || finish
run_expect 0 info_c "$BIN" info --db "$WORK/c" --json &&
  grep -q '"retention_floor": 13' "$WORK/info_c.out" || fail "retention floor: $(cat "$WORK/info_c.out")"
run_expect 1 revert_floor "$BIN" revert --db "$WORK/c" --to 12 --retention 2 &&
  stderr_has revert_floor "undo_retention"
run_expect 1 state_floor "$BIN" state --db "$WORK/c" --height 5 &&
  stderr_has state_floor "retention floor"
[ -s "$WORK/state_floor.out" ] && fail "a refused state printed something"
# Forks deeper than the retention cannot be replayed: a clear error.
run_expect 1 shallow "$BIN" replay "$FX" --quiet --retention 2 &&
  stderr_has shallow "blocks[3]: its parent" && stderr_has shallow "undo_retention"
run_expect 2 revert_usage "$BIN" revert --db "$WORK/a"
# The benchmark runs and reports every depth (figures: docs/forks.md).
if [ "${CX_CLI_HAVE_BENCH:-1}" != 0 ] && [ "${CX_CLI_HAVE_BENCH:-1}" != OFF ]; then
  run_expect 0 bench "$BIN" bench forks --quick --nosync --rounds 1 --txs 200 \
    --accounts 100 --json &&
    grep -q '"reorgs": \[{"depth": 1' "$WORK/bench.out" &&
    grep -q '"depth": 8, "s"' "$WORK/bench.out" || fail "bench forks --json: $(cat "$WORK/bench.out")"
fi
finish
