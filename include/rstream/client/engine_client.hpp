// The engine's control API seen from a client: resolve the project context (engine URL and
// token), make one HTTP request (any, or one of the typed calls below), and say what went wrong in
// a sentence a user can act on, with the exit code it deserves. Printing is the caller's (the CLI
// prints `message`).
//
// Thread-safety: call_engine runs its own io_context on the calling thread; no shared state.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace rstream::client {

struct engine_reply {
  bool ok = false;
  int exit_code = 0;    ///< when !ok: 1 the engine said no, 255 unreachable or bad token
  int status = 0;       ///< the HTTP status (0: no answer)
  nlohmann::json body;  ///< the parsed JSON answer (also of a refusal, when it was JSON)
  std::string message;  ///< when !ok: why, in one sentence
  std::string text;     ///< call_engine_text only: the answer's bytes (body is then unset)
};

/// One request to the engine of `context` (empty: $RSTREAM_CONTEXT or the current one).
/// `body` is sent as JSON when not empty.
engine_reply call_engine(const std::string& context, const std::string& method,
                         const std::string& path, const std::string& body);
/// The same call for a large answer the caller reads as it goes (api::read_array_elements): a
/// successful answer is left unparsed in `text`; a refusal is read as call_engine reads it.
engine_reply call_engine_text(const std::string& context, const std::string& method,
                              const std::string& path, const std::string& body);

/// POST /api/tokens: creates a token with `role` and `name`; the body holds its secret (once)
/// and its id, name and role.
engine_reply create_token(const std::string& context, const std::string& role,
                          const std::string& name);
/// GET /api/tokens: the tokens' ids, names, roles and creation times (never secrets).
engine_reply list_tokens(const std::string& context);
/// DELETE /api/tokens/ID: revokes the token with this id or name; the body names it.
engine_reply revoke_token(const std::string& context, const std::string& id_or_name);
/// GET /api/tunnels?filter=FILTER: the online tunnels matching `filter` (empty: all) whose
/// application protocol is WebTTY; the body is their array. A filter that does not parse
/// fails with exit_usage ("--filter: ..."), before any request.
engine_reply list_webtty_tunnels(const std::string& context, const std::string& filter);

}  // namespace rstream::client
