#!/bin/sh
# The examples/ program against the installed library, the way a user
# builds it: install, compile examples/embed.c with the flags pkg-config
# gives for chainexec and again through CMake's find_package(chainexec),
# run both, and compare their output with results worked out independently
# (balances by hand, roots with crypto/ alone).
#
#   example_install.sh BUILD_DIR SOURCE_DIR C_COMPILER [EXTRA_FLAGS...]
#     `cmake --install BUILD_DIR --prefix TMP`: a prefix outside the
#     loader's path, so the programs must run without LD_LIBRARY_PATH
#     (the rpath chainexec.pc and the package config add).
#   example_install.sh --multiarch SOURCE_DIR C_COMPILER
#     a /usr-style Debian install: a fresh tree configured with prefix /usr
#     and libdir lib/x86_64-linux-gnu, installed with DESTDIR (the loader
#     would find a real one after ldconfig; here LD_LIBRARY_PATH stands in).
set -eu
multiarch=0
if [ "$1" = --multiarch ]; then
  multiarch=1
  shift
  build="" src=$1 cc=$2
  shift 2
else
  build=$1 src=$2 cc=$3
  shift 3
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cx-example-XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

fail() { echo "example: $*" >&2; exit 1; }
logged() { # logged NAME CMD...: runs CMD, shows its log only on failure
  log=$tmp/$1.log
  shift
  "$@" >"$log" 2>&1 || { cat "$log" >&2; fail "'$*' failed"; }
}

if [ "$multiarch" = 1 ]; then
  root=$tmp/root
  prefix=$root/usr
  libdir=$prefix/lib/x86_64-linux-gnu
  logged configure cmake -S "$src" -B "$tmp/build" -DCMAKE_C_COMPILER="$cc" \
    -DCMAKE_BUILD_TYPE=None -DCMAKE_INSTALL_PREFIX=/usr \
    -DCMAKE_INSTALL_LIBDIR=lib/x86_64-linux-gnu -DCHAINEXEC_CUDA=OFF \
    -DCHAINEXEC_BUILD_TESTS=OFF -DCHAINEXEC_BUILD_BENCH=OFF
  logged build cmake --build "$tmp/build" -j 2
  DESTDIR=$root logged install cmake --install "$tmp/build"
  # A system library directory: no rpath; ldconfig's part.
  LD_LIBRARY_PATH=$libdir
  export LD_LIBRARY_PATH
else
  prefix=$tmp/prefix
  logged install cmake --install "$build" --prefix "$prefix"
  libdir=$(dirname "$(find "$prefix" -name 'libchainexec.so' | head -n 1)")
  unset LD_LIBRARY_PATH || true
fi
[ -f "$libdir/libchainexec.so" ] || fail "libchainexec.so not in $libdir"
[ -f "$libdir/pkgconfig/chainexec.pc" ] || fail "chainexec.pc not in $libdir/pkgconfig"
[ -f "$libdir/cmake/chainexec/chainexecConfig.cmake" ] ||
  fail "chainexecConfig.cmake not in $libdir/cmake/chainexec"
[ -f "$prefix/include/chainexec/chainexec.h" ] || fail "chainexec.h not installed"

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
check() { # check NAME PROGRAM
  "$2" >"$tmp/$1.out" || fail "$1: $2 exited with $?"
  diff -u "$tmp/want.txt" "$tmp/$1.out" >&2 ||
    fail "$1: output differs from the expected results"
}

# pkg-config, with nothing but the .pc file's own paths (it finds the
# prefix relative to itself).
export PKG_CONFIG_PATH="$libdir/pkgconfig"
cflags=$(pkg-config --cflags chainexec)
libs=$(pkg-config --libs chainexec)
case "$cflags" in *"$prefix/"*) ;; *) fail "pkg-config --cflags '$cflags' is not under $prefix" ;; esac
# shellcheck disable=SC2086  # flags are word lists
"$cc" -std=c11 -Wall -Wextra -Werror "$@" $cflags -o "$tmp/embed" \
  "$src/examples/embed.c" $libs
check pkg-config "$tmp/embed"

# CMake: find_package(chainexec) and the imported target.
mkdir "$tmp/proj"
cat >"$tmp/proj/CMakeLists.txt" <<CML
cmake_minimum_required(VERSION 3.25)
project(embed C)
find_package(chainexec 0.1 CONFIG REQUIRED)
add_executable(embed "$src/examples/embed.c")
target_link_libraries(embed PRIVATE chainexec::chainexec)
CML
logged proj-configure cmake -S "$tmp/proj" -B "$tmp/proj/build" \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_C_FLAGS="$*" -DCMAKE_SKIP_BUILD_RPATH=ON
logged proj-build cmake --build "$tmp/proj/build"
check find_package "$tmp/proj/build/embed"

echo "example: built against $prefix ($libdir) with pkg-config and find_package; both produced the expected results"
