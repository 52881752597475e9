# gen -> replay: a generated fixture (expect from the sequential path)
# replays with exit 0 on the parallel and GPU paths; gen is deterministic
# per seed; info reports the replayed chain.
. "$(dirname "$0")/lib.sh"
G="gen --accounts 20 --blocks 4 --txs 150 --mix mixed --bad-rate 0.15"
# shellcheck disable=SC2086
run_expect 0 gen1 "$BIN" $G --seed 7 -o "$WORK/a.json" || finish
# shellcheck disable=SC2086
run_expect 0 gen2 "$BIN" $G --seed 7 --threads 1 -o "$WORK/b.json" &&
  same "$WORK/a.json" "$WORK/b.json"
# shellcheck disable=SC2086
run_expect 0 gen3 "$BIN" $G --seed 8 -o "$WORK/c.json" &&
  cmp -s "$WORK/a.json" "$WORK/c.json" && fail "different seeds, same fixture"
grep -q '"expect"' "$WORK/a.json" || fail "generated fixture has no expect"
for s in '0,' '1,' '2,' '3,'; do
  grep -q "\"statuses\": \[.*$s" "$WORK/a.json" || fail "no status ${s%,} in the mixed fixture"
done
run_expect 0 par "$BIN" replay "$WORK/a.json" --json --quiet --threads 2 --strategy auto
run_expect 0 gpu "$BIN" replay "$WORK/a.json" --json --quiet --threads 2 \
  --strategy gpu --gpu sim:fail=0.2,wrong=0.1 && same "$WORK/par.out" "$WORK/gpu.out"
run_expect 0 t "$BIN" gen --accounts 2 --blocks 2 --txs 30 -o "$WORK/t.json" &&
  run_expect 0 tr "$BIN" replay "$WORK/t.json" --quiet --db "$WORK/db"
run_expect 0 info "$BIN" info --db "$WORK/db" --json &&
  grep -q '"height": 2,' "$WORK/info.out" || fail "info: $(cat "$WORK/info.out")"
gen_root=$(grep -o '"genesis_state_root": "[0-9a-f]*"' "$WORK/t.json")
grep -qF "$gen_root" "$WORK/info.out" || fail "info genesis root differs from the fixture"
run_expect 0 info_h "$BIN" info --db "$WORK/db" && grep -q "^height *2" "$WORK/info_h.out" ||
  fail "info (text) lacks the height"
finish
