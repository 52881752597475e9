# mvcc extras. The fixture suite parses the shared JSON fixtures with cJSON.
if(TARGET test_mvcc_fixtures)
  target_link_libraries(test_mvcc_fixtures PRIVATE PkgConfig::CJSON)
endif()

# Smoke run of `chainexec bench exec`: a tiny grid whose every timed run is
# checked against the sequential executor's statuses and write set (the
# benchmark exits 1 on a mismatch). Timings are printed, never asserted.
if(TARGET chainexec AND CHAINEXEC_BUILD_BENCH)
  add_test(NAME chainexec.mvcc.bench_exec_quick
           COMMAND chainexec bench exec --quick --json)
  set_tests_properties(chainexec.mvcc.bench_exec_quick PROPERTIES
    LABELS "mvcc;bench" TIMEOUT 300)
  add_test(NAME chainexec.mvcc.bench_exec_quick_warm
           COMMAND chainexec bench exec --quick --warm --base lmdb)
  set_tests_properties(chainexec.mvcc.bench_exec_quick_warm PROPERTIES
    LABELS "mvcc;bench" TIMEOUT 300)
endif()
