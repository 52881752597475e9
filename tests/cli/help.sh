# Every subcommand answers --help on stdout with exit 0; the top level too.
. "$(dirname "$0")/lib.sh"
cmds=("" replay gen info devices version bench)
# `bench tps` is there only in a build with the benchmarks.
[ "${CX_CLI_HAVE_BENCH:-1}" = 0 ] || cmds+=("bench tps")
for cmd in "${cmds[@]}"; do
  # shellcheck disable=SC2086
  run_expect 0 "help_${cmd// /_}" "$BIN" $cmd --help || continue
  grep -q "usage: chainexec" "$WORK/help_${cmd// /_}.out" ||
    fail "'chainexec $cmd --help' prints no usage line"
done
run_expect 0 version "$BIN" version && grep -q "^CUDA: " "$WORK/version.out" ||
  fail "version lacks the CUDA line"
grep -q "^SHA-256: " "$WORK/version.out" || fail "version lacks the SHA line"
run_expect 0 devices "$BIN" devices
run_expect 0 devices_json "$BIN" devices --json &&
  grep -q '"cuda_build": ' "$WORK/devices_json.out" || fail "devices --json"
finish
