// A server's live-sessions API (docs/api.md, "Server: live sessions"), typed for the client:
// where the server is (--url, token, TLS trust), one call per operation (list, show, create,
// kill, cleanup, control requests, events, and following the events as Server-Sent Events),
// each returning the answer's JSON or a failure with the exit code the sessions commands
// document and a message for the user. Nothing here prints.
//
// Thread-safety: each call runs its own io_context on the calling thread.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "rstream/api/live_requests.hpp"
#include "rstream/base/result.hpp"
#include "rstream/client/server_url.hpp"
#include "rstream/transport/connect.hpp"
#include "rstream/transport/endpoint_url.hpp"

namespace rstream::client {

/// A server whose live sessions we speak to, directly (never through an engine yet).
struct live_server {
  direct_server_url url;
  std::string given;                   ///< --url as typed, for messages
  transport::connect_options connect;  ///< token, TLS trust, connect timeout

  /// The request target for an API path ("/api/terminal/sessions"), under the URL's path.
  std::string target(const std::string& api_path) const { return url.path + api_path; }
  /// The WebSocket URL of the server (its host and port), for connect_message_socket.
  transport::endpoint_url websocket_url() const;
};

/// Why a call failed: the exit code (1 refused, 2 usage, 3 not found, 4 denied, 255 no
/// answer), the server's error code ("session_not_found", "name_taken", ...; may be empty) and
/// a sentence for the user.
struct live_failure {
  int exit_code = 0;
  std::string code;
  std::string message;
};

/// The JSON body of a 2xx answer, or why not.
using live_reply = base::result<nlohmann::json, live_failure>;

/// Resolves --url for live sessions. rstrm:// is refused (usage: not supported yet).
base::result<live_server, live_failure> resolve_live_server(
    const std::string& url, const transport::connect_options& connect);

/// Turns a response (status 0: none, see `transport_error`) into a reply.
live_reply interpret_live_response(const live_server& server, int status, const std::string& body,
                                   const std::string& transport_error);

/// "/api/terminal/sessions/" + the percent-encoded id or name.
std::string session_path(const std::string& id_or_name);

/// How following a session's events ended: the exit code (0 when the server ended the stream,
/// 141 when on_event said stdout is gone, 128+N on signal N) and the message (empty: none).
struct live_follow_result {
  int exit_code = 0;
  std::string message;
};

class live_sessions_client {
 public:
  explicit live_sessions_client(live_server server) : server_(std::move(server)) {}
  const live_server& server() const { return server_; }

  /// One request with an optional JSON body.
  live_reply call(const std::string& method, const std::string& api_path,
                  const std::optional<nlohmann::json>& body = std::nullopt) const;

  live_reply list(const std::string& status) const;  ///< status: "", active or terminated
  live_reply show(const std::string& session) const;
  live_reply create(const api::live_session_request& request) const;
  live_reply kill(const std::string& session) const;
  live_reply cleanup() const;
  live_reply request_control(const std::string& session,
                             const api::live_control_request& request) const;
  live_reply control_requests(const std::string& session) const;
  /// A `request_id` that is not a number fails with exit_usage, before any request.
  live_reply resolve_control(const std::string& session, const std::string& request_id,
                             const api::live_control_decision& decision) const;
  /// The retained events after `since` (-1: all).
  live_reply events(const std::string& session, long long since) const;
  /// Streams the events after `since` (-1: all), then live ones, to `on_event` (each the
  /// event's JSON object, completed with the SSE id and type), until the server ends the
  /// stream, `on_event` returns false (stdout is gone), or SIGINT/SIGTERM/SIGHUP.
  live_follow_result follow_events(
      const std::string& session, long long since,
      const std::function<bool(const nlohmann::json&)>& on_event) const;

 private:
  live_server server_;
};

}  // namespace rstream::client
