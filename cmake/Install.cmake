# install(): the shared library, the public headers, the CLI, chainexec.pc
# and a small CMake package config (chainexec::chainexec).
install(TARGETS chainexec_shared chainexec
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES engine/chainexec.h crypto/cx_error.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/chainexec)
configure_file(cmake/chainexec.pc.in chainexec.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/chainexec.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
configure_file(cmake/chainexecConfig.cmake.in chainexecConfig.cmake @ONLY)
include(CMakePackageConfigHelpers)
write_basic_package_version_file(
  ${CMAKE_BINARY_DIR}/chainexecConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/chainexecConfig.cmake
              ${CMAKE_BINARY_DIR}/chainexecConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/chainexec)
