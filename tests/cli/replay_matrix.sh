# Every shared fixture replays with exit 0 (so it matches its expect) under
# 1 and 2 threads and strategies cpu, auto, gpu and balance on the software
# device, with and without injected faults, and with a forkchoice per block
# (--head-each: every block executed speculatively, then made the head),
# and with --preverify:
# identical --json output.
. "$(dirname "$0")/lib.sh"
FIXTURES=${3:-}
[ -n "$FIXTURES" ] || FIXTURES=$(shared_fixtures)
FAULTS=sim:fail=0.3,wrong=0.2,hang=0.05
for fx in $FIXTURES; do
  base=$(basename "$fx" .json)
  i=0
  while read -r args; do
    i=$((i + 1))
    # shellcheck disable=SC2086
    run_expect 0 "$base.$i" "$BIN" replay "$fx" --json --quiet $args || continue
    if [ "$i" -gt 1 ]; then
      cmp -s "$WORK/$base.1.out" "$WORK/$base.$i.out" ||
        fail "$base: output with '$args' differs from '--threads 1 --strategy cpu'"
    fi
  done <<CONFIGS
--threads 1 --strategy cpu
--threads 2 --strategy cpu
--threads 1 --strategy auto
--threads 2 --strategy auto
--threads 1 --strategy gpu --gpu sim
--threads 2 --strategy gpu --gpu sim
--threads 2 --strategy auto --gpu sim
--threads 2 --strategy gpu --gpu $FAULTS
--threads 1 --strategy balance --gpu $FAULTS
--threads 2 --strategy auto --gpu sim --no-pipeline
--threads 2 --strategy auto --head-each
--threads 2 --strategy cpu --preverify
--threads 2 --strategy gpu --gpu $FAULTS --preverify
CONFIGS
  grep -q '"genesis_state_root"' "$WORK/$base.1.out" || fail "$base: no JSON"
done
finish
