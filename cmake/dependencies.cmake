# Third-party libraries, all from Debian packages (scripts/setup.sh installs them).
find_package(Threads REQUIRED)
if(NOT RSTREAM_SANITIZE)
  set(OPENSSL_USE_STATIC_LIBS TRUE)  # start-up time: libcrypto is the largest relocation cost
endif()
find_package(OpenSSL REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
# spdlog and fmt header-only: no libstdc++-dependent shared objects to load at start-up, so the
# binary can link libstdc++ statically (see CMakeLists.txt).
add_library(rstream::logging INTERFACE IMPORTED)
target_compile_definitions(rstream::logging INTERFACE SPDLOG_HEADER_ONLY SPDLOG_FMT_EXTERNAL FMT_HEADER_ONLY)
target_include_directories(rstream::logging INTERFACE
  $<TARGET_PROPERTY:spdlog::spdlog_header_only,INTERFACE_INCLUDE_DIRECTORIES>
  $<TARGET_PROPERTY:fmt::fmt-header-only,INTERFACE_INCLUDE_DIRECTORIES>)
target_link_libraries(rstream::logging INTERFACE Threads::Threads)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)

# Boost 1.81 is header-only for what we use (Asio, Beast, System).
find_package(Boost 1.81 REQUIRED)
if(Boost_VERSION VERSION_LESS 1.81)
  message(FATAL_ERROR "rstream needs Boost >= 1.81 (found ${Boost_VERSION}); run scripts/setup.sh")
endif()
add_library(rstream::boost INTERFACE IMPORTED)
target_link_libraries(rstream::boost INTERFACE Boost::headers)
target_compile_definitions(rstream::boost INTERFACE
  BOOST_ASIO_SEPARATE_COMPILATION BOOST_BEAST_SEPARATE_COMPILATION
  BOOST_ASIO_NO_DEPRECATED BOOST_ASIO_DISABLE_BOOST_COROUTINE)

# rstream_static_library(TARGET PKG MODULE ARCHIVE [LINKS...]): the pkg-config MODULE (its
# variables prefixed PKG) as the interface target TARGET, linked from its static ARCHIVE (with
# LINKS) outside sanitizer builds (one shared object fewer to load at every start of the
# binary: exec's start-up time), and shared in sanitizer builds.
function(rstream_static_library target pkg module archive)
  pkg_check_modules(${pkg} REQUIRED IMPORTED_TARGET GLOBAL ${module})
  add_library(${target} INTERFACE IMPORTED GLOBAL)
  if(NOT RSTREAM_SANITIZE)
    find_library(${pkg}_STATIC_LIBRARY NAMES ${archive} HINTS ${${pkg}_LIBRARY_DIRS} REQUIRED)
    target_include_directories(${target} INTERFACE ${${pkg}_INCLUDE_DIRS})
    target_link_libraries(${target} INTERFACE ${${pkg}_STATIC_LIBRARY} ${ARGN})
  else()
    target_link_libraries(${target} INTERFACE PkgConfig::${pkg})
  endif()
endfunction()

# SQLite, the engine's embedded store (src/store).
rstream_static_library(rstream::sqlite SQLITE3 sqlite3 libsqlite3.a m ${CMAKE_DL_LIBS} Threads::Threads)

# zstd (Debian's libzstd-dev), the store's compression of recorded payloads (src/store only).
rstream_static_library(rstream::zstd ZSTD libzstd libzstd.a)

# libvterm (Debian's libvterm-dev, 0.1.4), the terminal model of live sessions (src/live only).
rstream_static_library(rstream::vterm VTERM vterm libvterm.a)
