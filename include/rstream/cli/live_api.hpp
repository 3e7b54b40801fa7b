// Calling a server's live-sessions API (docs/api.md, "Server: live sessions") from a command:
// where the server is (--url, --token, TLS trust), one JSON request, and turning a refusal into
// "rstream: MESSAGE" on stderr plus the exit code the sessions commands document.
// Thread-safety: each call runs its own io_context on the calling thread.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "rstream/client/server_url.hpp"
#include "rstream/transport/connect.hpp"
#include "rstream/transport/endpoint_url.hpp"

namespace rstream::cli {

/// A server whose live sessions we speak to, directly (never through an engine yet).
struct live_server {
  client::direct_server_url url;
  std::string given;                   ///< --url as typed, for messages
  transport::connect_options connect;  ///< token, TLS trust, connect timeout

  /// The request target for an API path ("/api/terminal/sessions"), under the URL's path.
  std::string target(const std::string& api_path) const { return url.path + api_path; }
  /// The WebSocket URL of the server (its host and port), for connect_message_socket.
  transport::endpoint_url websocket_url() const;
};

/// Resolves --url for live sessions. rstrm:// is refused (usage: not supported yet). On failure
/// prints the reason and sets `exit_code`.
std::optional<live_server> resolve_live_server(const std::string& url,
                                               const transport::connect_options& connect,
                                               int& exit_code);

struct live_api_result {
  bool ok = false;      ///< a 2xx answer with a JSON body
  int status = 0;       ///< HTTP status, 0 when no answer
  int exit_code = 0;    ///< when !ok: 1, 3, 4 or 255
  std::string code;     ///< the error code of a refusal ("session_not_found", ...)
  std::string message;  ///< what went wrong, for users (already printed unless quiet)
  nlohmann::json body;
};

/// One request with an optional JSON body. Unless `quiet`, a failure is printed as
/// "rstream: ..." (the server's message) before returning.
live_api_result call_live_api(const live_server& server, const std::string& method,
                              const std::string& api_path,
                              const std::optional<nlohmann::json>& body = std::nullopt,
                              bool quiet = false);

/// Turns a response (status 0: none, see `transport_error`) into a result, as call_live_api.
live_api_result interpret_live_response(const live_server& server, int status,
                                        const std::string& body, const std::string& transport_error,
                                        bool quiet = false);

/// "/api/terminal/sessions/" + the percent-encoded id or name.
std::string session_path(const std::string& id_or_name);

}  // namespace rstream::cli
