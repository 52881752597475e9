# cx_module_library(<target> <glob patterns...>): a static library from the
# module folder's sources. A module without sources yet (while it is being
# written) still configures, with a warning, so the rest of the tree builds.
function(cx_module_library target)
  file(GLOB _srcs CONFIGURE_DEPENDS ${ARGN})
  if(NOT _srcs)
    message(WARNING "${target}: no sources yet; building an empty library")
    set(_stub ${CMAKE_CURRENT_BINARY_DIR}/${target}_empty.c)
    file(WRITE ${_stub} "/* generated: ${target} has no sources yet */\ntypedef int cx_empty_unit;\n")
    set(_srcs ${_stub})
  endif()
  add_library(${target} STATIC ${_srcs})
  target_include_directories(${target} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
endfunction()
