# Compiler set-up: ccache when present, warnings, sanitizers.
find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  # A translation unit built with the precompiled header is cacheable only when ccache may
  # ignore the macros the header defines and the time macros (ccache manual, "Precompiled
  # headers"); without this every Asio-heavy file is recompiled on each rebuild.
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CMAKE_COMMAND} -E env
      CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
      ${CCACHE_PROGRAM})
endif()

if(RSTREAM_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  # -no-pie: a PIE executable gets ~200 MB of UBSan's static data relocated at start-up, which
  # made every sanitized process ~460 MB resident; 100 concurrent test clients then brought
  # the OOM killer onto the server under test. Non-PIE, those pages stay clean and unread.
  add_link_options(-fsanitize=address,undefined -no-pie)
endif()

function(rstream_apply_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12 misreads Asio's coroutine frames (allocated with aligned_alloc, freed by the
    # frame's own operator delete) as a new/delete mismatch; ASan checks the real thing.
    target_compile_options(${target} PRIVATE -Wno-mismatched-new-delete)
  endif()
endfunction()
