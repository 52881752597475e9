# Replay resume: a replay killed midway (SIGKILL) and run again with the
# same --db prints exactly what a clean run prints; a database holding
# another chain is refused and left as it was.
. "$(dirname "$0")/lib.sh"
FX=$WORK/chain.json
OTHER=$WORK/other.json
run_expect 0 gen "$BIN" gen --accounts 8 --blocks 12 --txs 60 --mix mixed \
  --bad-rate 0.1 --seed 5 -o "$FX" || finish
run_expect 0 gen_other "$BIN" gen --accounts 8 --blocks 3 --txs 10 --seed 6 \
  -o "$OTHER" || finish
run_expect 0 clean "$BIN" replay "$FX" --json --quiet --threads 2 || finish

# 1. Killed by SIGKILL right after block 5 committed (exact test hook).
CHAINEXEC_TEST_KILL_AFTER_BLOCK=5 "$BIN" replay "$FX" --json --quiet \
  --threads 2 --db "$WORK/db1" >/dev/null 2>&1
st=$?
[ "$st" -eq 137 ] || fail "hooked replay exited $st, expected 137 (SIGKILL)"
run_expect 0 info1 "$BIN" info --db "$WORK/db1" --json &&
  grep -q '"height": 5,' "$WORK/info1.out" || fail "killed db is not at height 5: $(cat "$WORK/info1.out")"
run_expect 0 resume1 "$BIN" replay "$FX" --json --quiet --threads 2 --db "$WORK/db1" &&
  same "$WORK/clean.out" "$WORK/resume1.out"
# Replaying a finished database resumes nothing and prints the same.
run_expect 0 again1 "$BIN" replay "$FX" --json --quiet --db "$WORK/db1" &&
  same "$WORK/clean.out" "$WORK/again1.out"
# Without the integrity check at open: the same.
run_expect 0 again1nv "$BIN" replay "$FX" --json --quiet --no-verify --db "$WORK/db1" &&
  same "$WORK/clean.out" "$WORK/again1nv.out"

# 2. Killed from outside at an arbitrary moment.
"$BIN" replay "$FX" --json --quiet --threads 1 --db "$WORK/db2" >/dev/null 2>&1 &
pid=$!
sleep 0.3
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
run_expect 0 resume2 "$BIN" replay "$FX" --json --quiet --threads 2 --db "$WORK/db2" &&
  same "$WORK/clean.out" "$WORK/resume2.out"

# 2b. A fixture without `expect`: statuses of resumed blocks come from the
# database (stored with each block), so the output still equals a clean run.
# (gen writes `expect` as the last top-level member: cut it, close the object)
awk '/^  "expect": \{/ { exit } { lines[n++] = $0 }
     END { sub(/,$/, "", lines[n - 1]); for (i = 0; i < n; i++) print lines[i]; print "}" }' \
  "$FX" >"$WORK/noexpect.json" || fail "cannot strip expect"
run_expect 0 clean_noexp "$BIN" replay "$WORK/noexpect.json" --json --quiet || finish
CHAINEXEC_TEST_KILL_AFTER_BLOCK=4 "$BIN" replay "$WORK/noexpect.json" --json \
  --quiet --db "$WORK/db3" >/dev/null 2>&1
run_expect 0 resume3 "$BIN" replay "$WORK/noexpect.json" --json --quiet --db "$WORK/db3" &&
  same "$WORK/clean_noexp.out" "$WORK/resume3.out"
grep -q '"statuses": null' "$WORK/resume3.out" && fail "resumed blocks lost their statuses"

# 3. Another chain's fixture on this database: refused, database unchanged.
sum_before=$(dbsum "$WORK/db1")
run_expect 1 other "$BIN" replay "$OTHER" --json --quiet --db "$WORK/db1" &&
  stderr_has other "another chain"
sum_after=$(dbsum "$WORK/db1")
[ "$sum_before" = "$sum_after" ] || fail "refused replay changed the database"
# The same blocks with a different expect: refused before running.
sed '0,/"state_root": "[0-9a-f]*"/s//"state_root": "'"$(printf '0%.0s' $(seq 64))"'"/' \
  "$FX" >"$WORK/tampered.json"
run_expect 1 tampered "$BIN" replay "$WORK/tampered.json" --quiet --db "$WORK/db1" &&
  stderr_has tampered "differ from the fixture's expect"
[ "$sum_before" = "$(dbsum "$WORK/db1")" ] || fail "refused replay changed the database"
# A fixture shorter than the database's chain: refused.
head_fx=$WORK/short.json
run_expect 0 gen_short "$BIN" gen --accounts 8 --blocks 2 --txs 60 --mix mixed \
  --bad-rate 0.1 --seed 5 -o "$head_fx" &&
  run_expect 1 short "$BIN" replay "$head_fx" --quiet --db "$WORK/db1" &&
  stderr_has short "height 12"
finish
