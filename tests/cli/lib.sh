# Helpers for the CLI tests (sourced). Usage: BIN=path-to-chainexec.
# Every check prints what it ran when it fails, then the script exits 1.
set -u

BIN=${1:?usage: $0 CHAINEXEC_BIN [SHARED_DIR]}
SHARED=${2:-}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/chainexec-cli.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
FAILS=0

fail() {
  echo "FAIL: $*" >&2
  FAILS=$((FAILS + 1))
}

finish() {
  if [ "$FAILS" -ne 0 ]; then
    echo "$FAILS check(s) failed" >&2
    exit 1
  fi
  echo "all checks passed"
  exit 0
}

# The fixtures of the shared folder, or skip (77), or fail under CI.
shared_fixtures() {
  if [ -z "$SHARED" ] || ! ls "$SHARED"/fixtures/*.json >/dev/null 2>&1; then
    if [ "${CI:-}" = "true" ]; then
      echo "shared fixtures missing at '$SHARED/fixtures' (CI needs ../shared)" >&2
      exit 1
    fi
    echo "SKIP: shared fixtures missing at '$SHARED/fixtures'" >&2
    exit 77
  fi
  ls "$SHARED"/fixtures/*.json
}

# run_expect CODE NAME CMD...: runs CMD, stdout to $WORK/NAME.out, stderr to
# $WORK/NAME.err; checks the exit status, and for a non-zero status that
# stderr is exactly one line.
run_expect() {
  local want=$1 name=$2
  shift 2
  "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    fail "$name: exit $got, expected $want: $*"
    sed 's/^/  stderr: /' "$WORK/$name.err" | head -5 >&2
    return 1
  fi
  if [ "$want" -ne 0 ]; then
    local lines
    lines=$(wc -l <"$WORK/$name.err")
    if [ "$lines" -ne 1 ]; then
      fail "$name: stderr has $lines lines, expected 1: $*"
      sed 's/^/  stderr: /' "$WORK/$name.err" | head -5 >&2
      return 1
    fi
  fi
  return 0
}

# stderr_has NAME TEXT: the last run's stderr mentions TEXT.
stderr_has() {
  grep -qF -- "$2" "$WORK/$1.err" || fail "$1: stderr lacks '$2': $(cat "$WORK/$1.err")"
}

# same A B: two files are identical.
same() {
  cmp -s "$1" "$2" || { fail "outputs differ: $1 vs $2"; diff "$1" "$2" | head -5 >&2; }
}

# dbsum DIR: checksum of a database's contents (LMDB's lock file, which
# every open touches, left out).
dbsum() {
  find "$1" -type f ! -name 'lock.mdb' -print0 | sort -z | xargs -0 cat | sha256sum
}
