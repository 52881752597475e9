# The Wycheproof suite parses the vector files with cJSON.
target_link_libraries(test_crypto_verify PRIVATE PkgConfig::CJSON)
