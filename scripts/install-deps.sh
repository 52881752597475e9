#!/usr/bin/env bash
# Installs what chainexec needs to build and test, and only what is missing.
# Checks each dependency with pkg-config (or the command it provides) first,
# so a machine that has everything pays one pkg-config call per package.
set -euo pipefail

# pkg-config module -> Debian package
declare -A pc_pkgs=(
  [libsecp256k1]=libsecp256k1-dev
  [lmdb]=liblmdb-dev
  [criterion]=libcriterion-dev
  [libcjson]=libcjson-dev
  [libmicrohttpd]=libmicrohttpd-dev
  [libcrypto]=libssl-dev
)
# command -> Debian package
declare -A cmd_pkgs=(
  [cmake]=cmake
  [pkg-config]=pkg-config
  [cc]=gcc
  [make]=make
  [git]=git
  [curl]=curl             # metrics test: fetch /metrics over HTTP
  [promtool]=prometheus   # metrics test: promtool check metrics
)

missing=()
for cmd in "${!cmd_pkgs[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${cmd_pkgs[$cmd]}")
done
# clang with the libFuzzer runtime, for the fuzz stage of scripts/test.sh.
command -v clang >/dev/null 2>&1 || missing+=(clang)
dpkg -s libclang-rt-14-dev >/dev/null 2>&1 || missing+=(libclang-rt-14-dev)
if command -v pkg-config >/dev/null 2>&1; then
  for pc in "${!pc_pkgs[@]}"; do
    pkg-config --exists "$pc" 2>/dev/null || missing+=("${pc_pkgs[$pc]}")
  done
else
  missing+=("${pc_pkgs[@]}")
fi

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all dependencies present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: need root to apt-get install: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
