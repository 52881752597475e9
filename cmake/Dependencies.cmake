# Third-party libraries, found with pkg-config (scripts/install-deps.sh
# installs the Debian packages that provide them).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

function(cx_require_pkg var module debian_pkg)
  pkg_check_modules(${var} QUIET IMPORTED_TARGET GLOBAL ${module})
  if(NOT ${var}_FOUND)
    message(FATAL_ERROR
      "${module} not found by pkg-config. Install it with "
      "'apt-get install ${debian_pkg}' or run scripts/install-deps.sh.")
  endif()
  message(STATUS "${module}: ${${var}_VERSION}")
endfunction()

cx_require_pkg(SECP256K1 libsecp256k1 libsecp256k1-dev)
cx_require_pkg(LMDB lmdb liblmdb-dev)
cx_require_pkg(CJSON libcjson libcjson-dev)
cx_require_pkg(MHD libmicrohttpd libmicrohttpd-dev)
if(CHAINEXEC_BUILD_BENCH)
  # Baseline for the SHA-256 benchmark: a plain OpenSSL SHA256() loop.
  cx_require_pkg(OPENSSL libcrypto libssl-dev)
endif()
if(CHAINEXEC_BUILD_TESTS)
  cx_require_pkg(CRITERION criterion libcriterion-dev)
endif()
