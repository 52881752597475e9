#!/bin/sh
# The shipped library holds no signing code (docs/security.md section 2):
# no test signer, no fixture generator, no libsecp256k1 signing call, in
# any symbol table of libchainexec.so (local symbols included).
# usage: no_signing.sh LIBCHAINEXEC_SO
set -eu
so=$1
[ -f "$so" ] || { echo "no_signing: $so not built" >&2; exit 1; }
found=$(nm -a "$so" | grep -E ' (cx_signer_[a-z_]+|cx_fixture_generate|secp256k1_ecdsa_sign)$' || true)
if [ -n "$found" ]; then
  echo "no_signing: $so holds signing code:" >&2
  echo "$found" >&2
  exit 1
fi
echo "no_signing: $so holds no signing symbols"
