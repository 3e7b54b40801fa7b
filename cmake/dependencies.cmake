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

# SQLite, the engine's embedded store (src/store). Linked statically outside sanitizer builds:
# one shared object fewer to load at every start of the binary (exec's start-up time).
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
add_library(rstream::sqlite INTERFACE IMPORTED)
if(NOT RSTREAM_SANITIZE)
  find_library(SQLITE3_STATIC_LIBRARY NAMES libsqlite3.a HINTS ${SQLITE3_LIBRARY_DIRS} REQUIRED)
  target_include_directories(rstream::sqlite INTERFACE ${SQLITE3_INCLUDE_DIRS})
  target_link_libraries(rstream::sqlite INTERFACE ${SQLITE3_STATIC_LIBRARY} m ${CMAKE_DL_LIBS} Threads::Threads)
else()
  target_link_libraries(rstream::sqlite INTERFACE PkgConfig::SQLITE3)
endif()

# zstd (Debian's libzstd-dev), the store's compression of recorded payloads (src/store only).
# Linked statically outside sanitizer builds, like SQLite.
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
add_library(rstream::zstd INTERFACE IMPORTED)
if(NOT RSTREAM_SANITIZE)
  find_library(ZSTD_STATIC_LIBRARY NAMES libzstd.a HINTS ${ZSTD_LIBRARY_DIRS} REQUIRED)
  target_include_directories(rstream::zstd INTERFACE ${ZSTD_INCLUDE_DIRS})
  target_link_libraries(rstream::zstd INTERFACE ${ZSTD_STATIC_LIBRARY})
else()
  target_link_libraries(rstream::zstd INTERFACE PkgConfig::ZSTD)
endif()

# libvterm (Debian's libvterm-dev, 0.1.4), the terminal model of live sessions (src/live only).
# Linked statically outside sanitizer builds, like SQLite: one shared object fewer to load.
pkg_check_modules(VTERM REQUIRED IMPORTED_TARGET vterm)
add_library(rstream::vterm INTERFACE IMPORTED)
if(NOT RSTREAM_SANITIZE)
  find_library(VTERM_STATIC_LIBRARY NAMES libvterm.a HINTS ${VTERM_LIBRARY_DIRS} REQUIRED)
  target_include_directories(rstream::vterm INTERFACE ${VTERM_INCLUDE_DIRS})
  target_link_libraries(rstream::vterm INTERFACE ${VTERM_STATIC_LIBRARY})
else()
  target_link_libraries(rstream::vterm INTERFACE PkgConfig::VTERM)
endif()
