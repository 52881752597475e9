# CLI tests: run the built `chainexec` through the shell scripts in
# tests/cli/ (each prints what failed; exit 77 = skipped when ../shared is
# absent outside CI). Included from tests/CMakeLists.txt.
set(CX_CLI_DIR ${CMAKE_CURRENT_SOURCE_DIR}/cli)

function(cx_cli_test topic script)
  add_test(NAME chainexec.cli.${topic}
           COMMAND bash ${CX_CLI_DIR}/${script} $<TARGET_FILE:chainexec>
                   ${CHAINEXEC_SHARED_DIR} ${ARGN})
  set_tests_properties(chainexec.cli.${topic} PROPERTIES
    LABELS "cli" TIMEOUT 300 SKIP_RETURN_CODE 77
    ENVIRONMENT "CX_SHARED_DIR=${CHAINEXEC_SHARED_DIR};CX_CLI_HAVE_BENCH=$<BOOL:${CHAINEXEC_BUILD_BENCH}>")
endfunction()

cx_cli_test(help help.sh)
cx_cli_test(invalid invalid.sh)
cx_cli_test(resume resume.sh)
cx_cli_test(gen_roundtrip gen_roundtrip.sh)
if(CHAINEXEC_BUILD_BENCH) # `chainexec bench` exists only with the benchmarks
  cx_cli_test(bench_tps bench_tps.sh)
endif()
cx_cli_test(metrics metrics.sh)
cx_cli_test(progress progress.sh)

cx_cli_test(forks forks.sh)

# One replay matrix per shared fixture, so a failure names the fixture.
file(GLOB CX_CLI_FIXTURES ${CHAINEXEC_SHARED_DIR}/fixtures/*.json)
if(CX_CLI_FIXTURES)
  foreach(fx IN LISTS CX_CLI_FIXTURES)
    get_filename_component(name ${fx} NAME_WE)
    cx_cli_test(replay.${name} replay_matrix.sh ${fx})
  endforeach()
else()
  cx_cli_test(replay replay_matrix.sh) # skips, or fails under CI=true
endif()
