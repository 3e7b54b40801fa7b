# Third-party libraries, all from Debian packages (scripts/setup.sh installs them).
find_package(Threads REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(spdlog REQUIRED)
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
