// Calling the engine's control API from a command: client::call_engine (client/engine_client.hpp)
// with the failure printed as "rstream: ..." for the commands that only need that.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace rstream::cli {

struct api_result {
  bool ok = false;
  int exit_code = 0;  ///< when !ok: 2 usage, 1 engine said no, 255 engine unreachable
  nlohmann::json body;
};

/// One request to the engine of `context` (empty: $RSTREAM_CONTEXT or the current one).
/// Errors are printed ("rstream: ...") before returning !ok.
api_result call_engine_api(const std::string& context, const std::string& method,
                           const std::string& path, const std::string& body);

}  // namespace rstream::cli
