# The replay progress bar (on a terminal: `script` gives replay one) moves
# every block and, within a call that runs many blocks, at least twice a
# second: 4 blocks slowed to about 0.4 s each by the software device's
# latency (sim:delay_us) run in one engine call, so only the watcher thread
# can show the heights in between.
. "$(dirname "$0")/lib.sh"
if ! command -v script >/dev/null 2>&1; then
  echo "SKIP: script(1) (util-linux) not installed: no terminal to draw on" >&2
  exit 77
fi
FX=$WORK/p.json
run_expect 0 gen "$BIN" gen --accounts 20 --blocks 4 --txs 300 -o "$FX" || finish
start=$(date +%s%N)
script -qfec "'$BIN' replay '$FX' --strategy gpu --gpu sim:delay_us=400000 >/dev/null" \
  /dev/null >"$WORK/tty.raw" 2>&1 || fail "replay on a terminal failed: $(tr '\r' '\n' <"$WORK/tty.raw" | tail -3)"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
tr '\r' '\n' <"$WORK/tty.raw" | grep -o '[0-9]*/4 blocks  [0-9]*/1200 txs verified' >"$WORK/bars.txt"
# Heights 1..3 each last about 0.4 s, the watcher polls every 0.25 s: it
# sees them (two of three required, so a loaded machine cannot make it
# flaky; without the watcher it sees none: one call runs all 4 blocks).
seen=0
for h in 1 2 3; do
  if grep -q "^$h/4 blocks" "$WORK/bars.txt"; then seen=$((seen + 1)); fi
done
[ "$seen" -ge 2 ] ||
  fail "the bar showed $seen of the heights 1..3: $(sort -u "$WORK/bars.txt" | tr '\n' ';')"
grep -q '^4/4 blocks  1200/1200 txs verified' "$WORK/bars.txt" || fail "the bar never reached 4/4 blocks"
draws=$(wc -l <"$WORK/bars.txt")
# At least two redraws a second over the run (the watcher polls at 4 Hz).
if [ $((draws * 1000)) -lt $((2 * elapsed_ms)) ]; then
  fail "$draws redraws in $elapsed_ms ms: fewer than two a second"
fi
# --quiet, or a stderr that is not a terminal: no bar at all.
run_expect 0 quiet "$BIN" replay "$FX" --strategy gpu --gpu sim:delay_us=1000 || finish
if grep -q 'blocks/s' "$WORK/quiet.err"; then fail "a bar was drawn on a pipe"; fi
finish
