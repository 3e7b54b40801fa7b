// The engine's control API seen from a client: resolve the project context (engine URL and
// token), make one HTTP request, and say what went wrong in a sentence a user can act on, with
// the exit code it deserves. Printing is the caller's (the CLI prints `message`).
//
// Thread-safety: call_engine runs its own io_context on the calling thread; no shared state.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace rstream::client {

struct engine_reply {
  bool ok = false;
  int exit_code = 0;    ///< when !ok: 1 the engine said no, 255 unreachable or bad token
  nlohmann::json body;  ///< the parsed JSON answer (also of a refusal, when it was JSON)
  std::string message;  ///< when !ok: why, in one sentence
};

/// One request to the engine of `context` (empty: $RSTREAM_CONTEXT or the current one).
/// `body` is sent as JSON when not empty.
engine_reply call_engine(const std::string& context, const std::string& method,
                         const std::string& path, const std::string& body);

}  // namespace rstream::client
