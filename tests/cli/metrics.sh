# Metrics: --metrics-file writes Prometheus text at exit (promtool checks it
# when installed); --metrics-listen serves it over HTTP while replay runs.
# The software device's added latency (sim:delay_us) keeps the replay
# running for seconds, long enough to fetch /metrics from it.
. "$(dirname "$0")/lib.sh"
FX=$WORK/m.json
run_expect 0 gen "$BIN" gen --accounts 5 --blocks 10 --txs 20 -o "$FX" || finish
run_expect 0 file "$BIN" replay "$FX" --quiet --metrics-file "$WORK/m.prom" || finish
grep -q '^# TYPE ' "$WORK/m.prom" || fail "metrics file has no # TYPE line"
grep -q '^chainexec_height 10$' "$WORK/m.prom" || fail "metrics file lacks chainexec_height 10"
# scripts/install-deps.sh installs promtool and curl; under CI their
# absence is a failure, elsewhere the check is skipped with a message.
need_tool() {
  command -v "$1" >/dev/null 2>&1 && return 0
  [ "${CI:-}" = true ] && fail "$1 is not installed (scripts/install-deps.sh installs it)"
  echo "$1 not installed: its check is skipped" >&2
  return 1
}
if need_tool promtool; then
  promtool check metrics <"$WORK/m.prom" || fail "promtool rejects the metrics"
fi
need_tool curl || finish
"$BIN" replay "$FX" --strategy gpu --gpu sim:delay_us=200000 \
  --metrics-listen 127.0.0.1:0 >/dev/null 2>"$WORK/listen.err" &
pid=$!
port=
for _ in $(seq 50); do
  port=$(sed -n 's/.*on port \([0-9]*\).*/\1/p' "$WORK/listen.err")
  [ -n "$port" ] && break
  sleep 0.1
done
if [ -z "$port" ]; then
  fail "replay did not report its metrics port: $(cat "$WORK/listen.err")"
else
  curl -sf "http://127.0.0.1:$port/metrics" >"$WORK/http.prom" ||
    fail "GET /metrics on port $port failed"
  grep -q '^chainexec_height ' "$WORK/http.prom" || fail "served metrics lack chainexec_height"
fi
wait "$pid" || fail "replay with --metrics-listen exited $?"
finish
