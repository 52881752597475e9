# chainexec.engine.example: examples/embed.c built against the installed
# header and library (cmake --install into a temporary prefix, then
# pkg-config and find_package), run without LD_LIBRARY_PATH, and its output
# compared with known results. chainexec.engine.example_multiarch: the same
# against a fresh /usr, lib/x86_64-linux-gnu install (Debian's layout).
set(_cx_example_flags "")
if(NOT CHAINEXEC_SANITIZE STREQUAL "OFF")
  # The installed library carries the sanitizer runtime references.
  set(_cx_example_flags "-fsanitize=${CHAINEXEC_SANITIZE}")
endif()
add_test(NAME chainexec.engine.example
         COMMAND sh ${CMAKE_SOURCE_DIR}/tests/example_install.sh
                 ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR} ${CMAKE_C_COMPILER}
                 ${_cx_example_flags})
set_tests_properties(chainexec.engine.example PROPERTIES
  LABELS "engine" TIMEOUT 300)
add_test(NAME chainexec.engine.example_multiarch
         COMMAND sh ${CMAKE_SOURCE_DIR}/tests/example_install.sh --multiarch
                 ${CMAKE_SOURCE_DIR} ${CMAKE_C_COMPILER})
set_tests_properties(chainexec.engine.example_multiarch PROPERTIES
  LABELS "engine" TIMEOUT 300)

# chainexec.engine.no_signing: libchainexec.so holds no signing code (the
# signer and the fixture generator live in signing/, outside the library).
add_test(NAME chainexec.engine.no_signing
         COMMAND sh ${CMAKE_SOURCE_DIR}/tests/no_signing.sh
                 $<TARGET_FILE:chainexec_shared>)
set_tests_properties(chainexec.engine.no_signing PROPERTIES LABELS "engine")
