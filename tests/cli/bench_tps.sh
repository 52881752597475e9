# `bench tps`: --quick prints a JSON document with the issue's keys, the
# table prints, and --plot writes its data (and a plot when gnuplot is
# installed, else says how to install it).
. "$(dirname "$0")/lib.sh"
run_expect 0 tps "$BIN" bench tps --quick --json --quiet --durability nosync --threads 2 || finish
for k in '"runs": [' '"accounts": 2' '"tps": ' '"sequential_tps": ' \
  '"verify_s": ' '"execute_s": ' '"commit_s": ' '"baseline_verify_per_s": ' \
  '"reexecutions": ' '"verify_cpu_items": '; do
  grep -qF -- "$k" "$WORK/tps.out" || fail "bench tps JSON lacks $k"
done
run_expect 0 pre "$BIN" bench tps --quick --json --quiet --durability nosync \
  --threads 2 --preverify || finish
for k in '"block_latency_s": ' '"preverified_block_latency_s": ' \
  '"preverify_sigs_per_s": ' '"pool_verify_per_s": ' '"evictions": ' \
  '"resident_bytes": ' '"within_limit": true'; do
  grep -qF -- "$k" "$WORK/pre.out" || fail "bench tps --preverify JSON lacks $k"
done
run_expect 0 table "$BIN" bench tps --accounts 3 --txs 50 --blocks 1 --quiet &&
  grep -q "verify_loop" "$WORK/table.out" || fail "bench tps prints no table"
run_expect 0 plot "$BIN" bench tps --accounts 2,5 --txs 20 --blocks 1 \
  --durability nosync --quiet --plot "$WORK/tps.png" || finish
[ -s "$WORK/tps.png.dat" ] || fail "--plot wrote no data file"
if command -v gnuplot >/dev/null 2>&1; then
  [ -s "$WORK/tps.png" ] || fail "--plot drew nothing although gnuplot is installed"
else
  stderr_has plot "apt-get install gnuplot"
fi
finish
