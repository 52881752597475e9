# gpu/ suites: the ECDSA suite reads the Wycheproof JSON vectors with cJSON.
if(TARGET test_gpu_ecdsa)
  target_link_libraries(test_gpu_ecdsa PRIVATE PkgConfig::CJSON)
endif()
