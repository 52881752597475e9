# CHAINEXEC_SANITIZE=address,undefined | thread | OFF (C code only; nvcc
# device code is not instrumented).
if(NOT CHAINEXEC_SANITIZE STREQUAL "OFF")
  set(_cx_san "-fsanitize=${CHAINEXEC_SANITIZE}")
  add_compile_options($<$<COMPILE_LANGUAGE:C>:${_cx_san}>
                      $<$<COMPILE_LANGUAGE:C>:-fno-omit-frame-pointer>)
  if(CHAINEXEC_SANITIZE MATCHES "undefined")
    add_compile_options($<$<COMPILE_LANGUAGE:C>:-fno-sanitize-recover=undefined>)
  endif()
  add_link_options(${_cx_san})
  message(STATUS "Sanitizers: ${CHAINEXEC_SANITIZE}")
endif()
