#!/bin/sh
# The examples/ program against the installed library, the way a user
# builds it: `cmake --install` into a temporary prefix, compile
# examples/embed.c with the flags pkg-config gives for chainexec, run it,
# and compare its output with results worked out independently (balances
# by hand, roots with crypto/ alone).
# usage: example_install.sh BUILD_DIR SOURCE_DIR C_COMPILER [EXTRA_FLAGS...]
set -eu
build=$1 src=$2 cc=$3
shift 3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cx-example-XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
prefix=$tmp/prefix

cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 || {
  cat "$tmp/install.log" >&2
  echo "example: cmake --install failed" >&2
  exit 1
}
pc=$(find "$prefix" -name chainexec.pc | head -n 1)
[ -n "$pc" ] || { echo "example: chainexec.pc not installed" >&2; exit 1; }
[ -f "$prefix/include/chainexec/chainexec.h" ] ||
  { echo "example: chainexec.h not installed" >&2; exit 1; }
export PKG_CONFIG_PATH="$(dirname "$pc")"
# The .pc file names the configured prefix; point it at the temporary one.
pkgflags="--define-variable=prefix=$prefix"
cflags=$(pkg-config $pkgflags --cflags chainexec)
libs=$(pkg-config $pkgflags --libs chainexec)
libdir=$(pkg-config $pkgflags --variable=libdir chainexec)
# shellcheck disable=SC2086  # flags are word lists
"$cc" -std=c11 -Wall -Wextra -Werror "$@" $cflags -o "$tmp/embed" \
  "$src/examples/embed.c" $libs "-Wl,-rpath,$libdir"
"$tmp/embed" >"$tmp/out.txt"

cat >"$tmp/want.txt" <<'WANT'
genesis_state_root 16408352c18e7ef764511d1f07aea68c921b499945afed67e45f48a229298801
height 1 statuses 0 0
tx_root 5ca035d0ac38400bd9bf3ead3e14ec939237a15f58c74e5dbd714a6dd5aa3773
receipts_root bde1746c364f8d8db060a8693fd878c4452df6593b12826a46f70e033af639ea
write_root 0fac5c2db01e0ec017793a59bef571ea7668cf9c82ba6db268132e2407f09064
state_root fce32c01932f3a1f88cd78cc05fda6fefedc24dcf85fcd12769994e409a1b7cf
alice balance 650 nonce 2
bob balance 350 nonce 0
WANT
if ! diff -u "$tmp/want.txt" "$tmp/out.txt"; then
  echo "example: output differs from the expected results" >&2
  exit 1
fi
echo "example: built against $prefix and produced the expected results"
