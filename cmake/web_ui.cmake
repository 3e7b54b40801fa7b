# The browser UI (docs/ui.md): web/ is bundled at build time (npm ci from the committed lock
# file, then esbuild through web/build.mjs) and every output file is embedded into the
# library rstream_ui by one generated translation unit. No file is read at run time.
#
# node_modules lives in the build directory (BUILD/web/node_modules); `npm ci` runs again only
# when web/package.json or web/package-lock.json change, the bundle only when web/ sources do.
find_program(RSTREAM_NODE NAMES node nodejs)
find_program(RSTREAM_NPM npm)
if(NOT RSTREAM_NODE OR NOT RSTREAM_NPM)
  message(FATAL_ERROR
    "rstream's web UI is bundled at build time and needs node and npm, which were not found. "
    "Run scripts/setup.sh (installs Debian's nodejs and npm), or: apt-get install nodejs npm")
endif()

set(rstream_web_source ${PROJECT_SOURCE_DIR}/web)
set(rstream_web_build ${PROJECT_BINARY_DIR}/web)
set(rstream_web_modules_stamp ${rstream_web_build}/node_modules/.rstream-npm-ci)
set(rstream_web_dist ${rstream_web_build}/dist)
set(rstream_web_generated ${PROJECT_BINARY_DIR}/generated/rstream_ui_assets.cpp)
file(MAKE_DIRECTORY ${rstream_web_build} ${PROJECT_BINARY_DIR}/generated)

add_custom_command(
  OUTPUT ${rstream_web_modules_stamp}
  COMMAND ${CMAKE_COMMAND} -E copy ${rstream_web_source}/package.json
          ${rstream_web_source}/package-lock.json ${rstream_web_build}/
  COMMAND ${RSTREAM_NPM} ci --no-audit --no-fund --loglevel=error
  COMMAND ${CMAKE_COMMAND} -E touch ${rstream_web_modules_stamp}
  WORKING_DIRECTORY ${rstream_web_build}
  DEPENDS ${rstream_web_source}/package.json ${rstream_web_source}/package-lock.json
  COMMENT "web UI: npm ci (web/package-lock.json)"
  VERBATIM)

file(GLOB_RECURSE rstream_web_inputs CONFIGURE_DEPENDS ${rstream_web_source}/src/*)
# The stamp is the rule's output; the generated file is a byproduct that embed_assets.cmake
# rewrites only when its content changed (ninja's restat), so a change to a page's script does
# not recompile anything when the bundle came out the same.
add_custom_command(
  OUTPUT ${rstream_web_build}/bundle.stamp
  BYPRODUCTS ${rstream_web_generated}
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${rstream_web_dist}
  COMMAND ${RSTREAM_NODE} ${rstream_web_source}/build.mjs ${rstream_web_dist}
          ${rstream_web_build}/node_modules
  COMMAND ${CMAKE_COMMAND} -DINPUT_DIR=${rstream_web_dist} -DOUTPUT=${rstream_web_generated}
          -P ${PROJECT_SOURCE_DIR}/cmake/embed_assets.cmake
  COMMAND ${CMAKE_COMMAND} -E touch ${rstream_web_build}/bundle.stamp
  DEPENDS ${rstream_web_modules_stamp} ${rstream_web_inputs} ${rstream_web_source}/build.mjs
          ${PROJECT_SOURCE_DIR}/cmake/embed_assets.cmake
  COMMENT "web UI: bundle web/ and embed it"
  VERBATIM)

add_custom_target(rstream_web_bundle DEPENDS ${rstream_web_build}/bundle.stamp)

file(GLOB rstream_ui_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/ui/*.cpp)
add_library(rstream_ui STATIC ${rstream_ui_sources} ${rstream_web_generated})
target_include_directories(rstream_ui PUBLIC ${PROJECT_SOURCE_DIR}/include)
target_link_libraries(rstream_ui PUBLIC rstream_transport nlohmann_json::nlohmann_json)
add_dependencies(rstream_ui rstream_web_bundle)
rstream_apply_warnings(rstream_ui)
# The generated arrays need no Asio: keep them out of the precompiled header.
set_source_files_properties(${rstream_web_generated} PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
