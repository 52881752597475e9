# install(): the shared library, the public headers, the CLI, chainexec.pc
# and a small CMake package config (chainexec::chainexec).
#
# Paths follow GNUInstallDirs, any CMAKE_INSTALL_LIBDIR included (Debian's
# lib/x86_64-linux-gnu under /usr). chainexec.pc and the package config
# find the prefix relative to their own location, so an install moved
# with `cmake --install --prefix DIR` or DESTDIR still points at itself;
# an absolute CMAKE_INSTALL_LIBDIR or INCLUDEDIR is used as given.
#
# Run time: the CLI links the modules statically and needs no
# libchainexec.so. A program built against the library finds it through
# the dynamic loader's path when the library directory is a system one
# (run ldconfig after installing there), else through an rpath to the
# library directory that chainexec.pc and the package config add to its
# link line, so it runs without LD_LIBRARY_PATH.
install(TARGETS chainexec_shared chainexec
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES engine/chainexec.h crypto/cx_error.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/chainexec)

# cx_install_rel_prefix(<out> <dir>): the way back from <dir>, relative to
# the prefix, to the prefix ("../.." for lib/pkgconfig).
function(cx_install_rel_prefix out dir)
  # "/p/<dir>" -> "/p": as many ".." as <dir> has components.
  file(RELATIVE_PATH rel "/cx_prefix/${dir}" "/cx_prefix")
  string(REGEX REPLACE "/$" "" rel "${rel}")
  set(${out} "${rel}" PARENT_SCOPE)
endfunction()

set(CX_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
set(CX_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/chainexec)
foreach(kind LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${kind}}")
    set(CX_PC_${kind} "${CMAKE_INSTALL_${kind}}")
    set(CX_CMAKE_${kind} "${CMAKE_INSTALL_${kind}}")
  else()
    set(CX_PC_${kind} "\${prefix}/${CMAKE_INSTALL_${kind}}")
    set(CX_CMAKE_${kind} "\${_cx_prefix}/${CMAKE_INSTALL_${kind}}")
  endif()
endforeach()
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  # The .pc and config files sit under an absolute libdir: no relative
  # way back to the prefix, so name it.
  set(CX_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(CX_CMAKE_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  cx_install_rel_prefix(_rel ${CX_PC_DIR})
  set(CX_PC_PREFIX "\${pcfiledir}/${_rel}")
  cx_install_rel_prefix(_rel ${CX_CMAKE_DIR})
  set(CX_CMAKE_PREFIX "\${CMAKE_CURRENT_LIST_DIR}/${_rel}")
endif()

# An rpath for programs linking the library, unless its directory is one
# the linker and loader search anyway.
set(CX_PC_RPATH " -Wl,-rpath,\${libdir}")
set(CX_CMAKE_RPATH "LINKER:-rpath,${CX_CMAKE_LIBDIR}")
if(CMAKE_INSTALL_FULL_LIBDIR IN_LIST CMAKE_C_IMPLICIT_LINK_DIRECTORIES OR
   CMAKE_INSTALL_FULL_LIBDIR MATCHES "^/(usr/)?lib(64)?(/[^/]*-linux-gnu)?$")
  set(CX_PC_RPATH "")
  set(CX_CMAKE_RPATH "")
endif()

configure_file(cmake/chainexec.pc.in chainexec.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/chainexec.pc DESTINATION ${CX_PC_DIR})
configure_file(cmake/chainexecConfig.cmake.in chainexecConfig.cmake @ONLY)
include(CMakePackageConfigHelpers)
write_basic_package_version_file(
  ${CMAKE_BINARY_DIR}/chainexecConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/chainexecConfig.cmake
              ${CMAKE_BINARY_DIR}/chainexecConfigVersion.cmake
        DESTINATION ${CX_CMAKE_DIR})
