# Reliability suite (issue 10): CTest registrations that are not Criterion
# suites. Included by tests/CMakeLists.txt.
#
#  chainexec.reliability.fuzz_seeds        builds the seed corpora from the
#                                          shared fixtures (CTest fixture)
#  chainexec.reliability.fuzz_{tx,diff,fixture}
#                                          replays seeds + committed
#                                          regression inputs through each
#                                          fuzz harness's property checks,
#                                          without libFuzzer (any compiler)
#  chainexec.reliability.{kill,fault,soak} short campaigns of the scripts
#                                          in scripts/ (see docs/bad-input.md)
set(CX_FUZZ_DIR ${CMAKE_CURRENT_SOURCE_DIR}/fuzz)
set(CX_FUZZ_SEEDS ${CMAKE_CURRENT_BINARY_DIR}/fuzz-seeds)

add_executable(reliability_fuzz_corpus ${CX_FUZZ_DIR}/fuzz_corpus.c)
target_link_libraries(reliability_fuzz_corpus PRIVATE PkgConfig::CJSON)
add_test(NAME chainexec.reliability.fuzz_seeds
         COMMAND reliability_fuzz_corpus ${CHAINEXEC_SHARED_DIR}/fixtures
                 ${CX_FUZZ_SEEDS})
set_tests_properties(chainexec.reliability.fuzz_seeds PROPERTIES
  FIXTURES_SETUP cx_fuzz_seeds LABELS reliability TIMEOUT 120)

# harness -> libraries and seed folder
set(CX_REPLAY_tx_LIBS cx_crypto)
set(CX_REPLAY_tx_SEEDS tx)
set(CX_REPLAY_diff_LIBS cx_mvcc cx_crypto Threads::Threads)
set(CX_REPLAY_diff_SEEDS diff)
set(CX_REPLAY_fixture_LIBS cx_engine)
set(CX_REPLAY_fixture_SEEDS fixture)
foreach(h tx diff fixture)
  if(NOT EXISTS ${CX_FUZZ_DIR}/fuzz_${h}.c)
    continue()
  endif()
  add_executable(reliability_replay_${h} ${CX_FUZZ_DIR}/fuzz_${h}.c
                 ${CX_FUZZ_DIR}/replay_main.c)
  target_include_directories(reliability_replay_${h} PRIVATE ${CX_FUZZ_DIR})
  target_link_libraries(reliability_replay_${h} PRIVATE ${CX_REPLAY_${h}_LIBS})
  set(name chainexec.reliability.fuzz_${h})
  add_test(NAME ${name} COMMAND reliability_replay_${h}
           ${CX_FUZZ_DIR}/regressions/fuzz_${h}
           ${CX_FUZZ_SEEDS}/${CX_REPLAY_${h}_SEEDS})
  set(labels reliability)
  if(h STREQUAL "diff")
    list(APPEND labels concurrency)  # Block-STM on real threads: TSan runs it
  endif()
  set_tests_properties(${name} PROPERTIES FIXTURES_REQUIRED cx_fuzz_seeds
    LABELS "${labels}" TIMEOUT 300)
endforeach()

# Short campaigns (the full ones: scripts/kill-campaign.sh --kills 100,
# scripts/kill-forks-campaign.sh --kills 100,
# scripts/fault-campaign.sh, CX_SOAK=1 for the soak suite). Seeds are fixed
# here so a CI failure replays exactly; the scripts print the seed.
find_program(CX_BASH bash)
if(CX_BASH)
  add_test(NAME chainexec.reliability.kill
           COMMAND ${CX_BASH} ${CMAKE_SOURCE_DIR}/scripts/kill-campaign.sh
                   --kills 10 --blocks 40 --txs 30 --seed 20261125
                   --bin $<TARGET_FILE:chainexec>)
  add_test(NAME chainexec.reliability.fault
           COMMAND ${CX_BASH} ${CMAKE_SOURCE_DIR}/scripts/fault-campaign.sh
                   --quick --seed 20261125 --bin $<TARGET_FILE:chainexec>
                   --fixtures ${CHAINEXEC_SHARED_DIR}/fixtures)
  add_test(NAME chainexec.reliability.kill_forks
           COMMAND ${CX_BASH} ${CMAKE_SOURCE_DIR}/scripts/kill-forks-campaign.sh
                   --kills 15 --seed 20261202 --bin $<TARGET_FILE:chainexec>
                   --fixture ${CHAINEXEC_SHARED_DIR}/forks/forks.json)
  set_tests_properties(chainexec.reliability.kill chainexec.reliability.fault
                       chainexec.reliability.kill_forks
    PROPERTIES LABELS "reliability" TIMEOUT 300
    ENVIRONMENT "CX_SHARED_DIR=${CHAINEXEC_SHARED_DIR}")
endif()
