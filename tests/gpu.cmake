# gpu/ suites: the ECDSA suite reads the Wycheproof JSON vectors with cJSON.
if(TARGET test_gpu_ecdsa)
  target_link_libraries(test_gpu_ecdsa PRIVATE PkgConfig::CJSON)
endif()

# The verify kernel's resource report (scripts/gpu-resources.sh, sm_90):
# fails when the kernel spills; its code size is reported against the
# 200 KB target, not enforced yet (docs/gpu.md). The script compiles the
# kernel itself (about 40 s), so it needs only nvcc and readelf; without
# them it exits 77 and CTest reports the test as skipped.
find_program(CX_REPORT_NVCC nvcc HINTS /usr/local/cuda/bin ENV CUDA_HOME PATH_SUFFIXES bin)
set(CX_REPORT_VARIANT "")
if(CHAINEXEC_GPU_OUTLINE)
  set(CX_REPORT_VARIANT --outline)
endif()
add_test(NAME chainexec.gpu.resources
  COMMAND ${CMAKE_SOURCE_DIR}/scripts/gpu-resources.sh --check --arch 90
          --file ${CMAKE_SOURCE_DIR}/gpu/kernels_ecdsa.cu ${CX_REPORT_VARIANT})
set_tests_properties(chainexec.gpu.resources PROPERTIES
  LABELS "gpu;slow" SKIP_RETURN_CODE 77 TIMEOUT 300
  ENVIRONMENT "NVCC=$<IF:$<BOOL:${CX_REPORT_NVCC}>,${CX_REPORT_NVCC},/nonexistent/nvcc>")
