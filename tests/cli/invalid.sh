# Invalid fixtures exit 1 and bad flags exit 2, each with one line on
# stderr, and neither creates nor changes a database.
. "$(dirname "$0")/lib.sh"
FX=$WORK/ok.json
run_expect 0 gen "$BIN" gen --accounts 3 --blocks 2 --txs 5 --seed 1 -o "$FX" || finish

bad() { # bad NAME EXPECTED-TEXT JSON
  printf '%s' "$3" >"$WORK/$1.json"
  run_expect 1 "$1" "$BIN" replay "$WORK/$1.json" --db "$WORK/db_$1" &&
    stderr_has "$1" "$2"
  [ ! -e "$WORK/db_$1" ] || fail "$1: invalid fixture created a database"
}
A=7b758bb7dddb370ca0e8f73d31517a630846960f
G='"genesis": {"accounts": [{"address": "'$A'", "balance": "5"}]}'
bad badjson "not valid JSON" '{"format": "chainexec-fixture/1", '
bad format "format" '{"format": "chainexec-fixture/9", '"$G"', "blocks": []}'
bad oddhex "blocks[1].txs[0]: odd number of hex digits" \
  '{"format": "chainexec-fixture/1", '"$G"', "blocks": [{"txs": []}, {"txs": ["abc"]}]}'
bad badhex "blocks[0].txs[1]: not a hex digit" \
  '{"format": "chainexec-fixture/1", '"$G"', "blocks": [{"txs": ["00", "0g"]}]}'
bad u64 "genesis.accounts[0].balance" \
  '{"format": "chainexec-fixture/1", "genesis": {"accounts": [{"address": "'$A'", "balance": "18446744073709551616"}]}, "blocks": []}'
bad number "decimal string" \
  '{"format": "chainexec-fixture/1", "genesis": {"accounts": [{"address": "'$A'", "balance": 5}]}, "blocks": []}'
bad dup "listed twice" \
  '{"format": "chainexec-fixture/1", "genesis": {"accounts": [{"address": "'$A'", "balance": "1"}, {"address": "'$A'", "balance": "2"}]}, "blocks": []}'
run_expect 1 missing "$BIN" replay "$WORK/nonexistent.json" && stderr_has missing "nonexistent.json"

# A valid database is not touched by an invalid fixture.
run_expect 0 fill "$BIN" replay "$FX" --quiet --db "$WORK/db" || finish
sum_before=$(dbsum "$WORK/db")
run_expect 1 baddb "$BIN" replay "$WORK/oddhex.json" --db "$WORK/db"
[ "$sum_before" = "$(dbsum "$WORK/db")" ] || fail "invalid fixture changed the database"

# A mismatch with expect: exit 1, the first difference named.
sed '0,/"state_root": "[0-9a-f]*"/s//"state_root": "'"$(printf '0%.0s' $(seq 64))"'"/' \
  "$FX" >"$WORK/tampered.json"
run_expect 1 mismatch "$BIN" replay "$WORK/tampered.json" --json --quiet &&
  stderr_has mismatch "mismatch at block 1: state_root"

# Usage errors: exit 2, one line, nothing created.
run_expect 2 nocmd "$BIN"
run_expect 2 unknown "$BIN" frobnicate
run_expect 2 nofile "$BIN" replay
run_expect 2 twofiles "$BIN" replay "$FX" "$FX"
run_expect 2 badopt "$BIN" replay "$FX" --bogus
run_expect 2 threads0 "$BIN" replay "$FX" --threads 0 --db "$WORK/db_t"
run_expect 2 threadsx "$BIN" replay "$FX" --threads two
run_expect 2 strategy "$BIN" replay "$FX" --strategy fastest --db "$WORK/db_t"
run_expect 2 novalue "$BIN" replay "$FX" --db
[ ! -e "$WORK/db_t" ] || fail "usage error created a database"
run_expect 2 gen_missing "$BIN" gen --accounts 3 -o "$WORK/x.json"
run_expect 2 gen_rate "$BIN" gen --accounts 3 --blocks 1 --txs 1 --bad-rate 2 -o "$WORK/x.json"
run_expect 2 gen_mix "$BIN" gen --accounts 3 --blocks 1 --txs 1 --mix odd -o "$WORK/x.json"
[ ! -e "$WORK/x.json" ] || fail "gen usage error wrote a file"
run_expect 2 info_nodb "$BIN" info
run_expect 1 info_missing "$BIN" info --db "$WORK/nodb"
[ ! -e "$WORK/nodb" ] || fail "info created a database"
mkdir "$WORK/emptydir"
run_expect 1 info_empty "$BIN" info --db "$WORK/emptydir" && stderr_has info_empty "no database"
[ -z "$(ls -A "$WORK/emptydir")" ] || fail "info wrote into an empty directory"
run_expect 2 bench_none "$BIN" bench
run_expect 2 bench_unknown "$BIN" bench nosuch
run_expect 2 tps_dur "$BIN" bench tps --durability maybe
run_expect 2 tps_list "$BIN" bench tps --accounts 2,,3
run_expect 2 metrics_addr "$BIN" replay "$FX" --quiet --metrics-listen "not an address"
finish
