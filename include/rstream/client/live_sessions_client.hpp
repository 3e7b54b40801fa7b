// A server's live-sessions API (docs/api.md, "Server: live sessions"), typed for the client:
// where the server is (--url, token, TLS trust), one call per operation (list, show, create,
// kill, cleanup, control requests, events, and following the events as Server-Sent Events),
// each returning the answer's JSON or a failure with the exit code the sessions commands
// document and a message for the user. Nothing here prints.
//
// Thread-safety: each call runs its own io_context on the calling thread.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "rstream/api/live_requests.hpp"
#include "rstream/base/result.hpp"
#include "rstream/client/server_url.hpp"
#include "rstream/transport/connect.hpp"
#include "rstream/transport/endpoint_url.hpp"

namespace rstream::client {

/// Where live sessions are: a server reached directly (its own live sessions, /api/terminal),
/// or the current context's engine (its managed sessions, /api/webtty: docs/api.md), maybe
/// scoped to one registered server (--url rstrm://NAME).
struct live_server {
  direct_server_url url;
  std::string given;                   ///< --url as typed (or the engine's URL), for messages
  transport::connect_options connect;  ///< token, TLS trust, connect timeout
  bool engine = false;                 ///< the engine's managed sessions
  std::string scope;                   ///< engine only: the server of rstrm://NAME ("" all)

  /// The request target for an API path ("/api/terminal/sessions"), under the URL's path.
  std::string target(const std::string& api_path) const { return url.path + api_path; }
  /// "/api/terminal/sessions" on a server, "/api/webtty/sessions" on an engine.
  std::string sessions_path() const;
  /// sessions_path() + "/" + the percent-encoded id or name.
  std::string session_path(const std::string& id_or_name) const;
  /// A participant's WebSocket path: "/ws/terminal/ID" or "/api/webtty/sessions/ID/ws".
  std::string socket_path(const std::string& id) const;
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

/// Resolves --url for live sessions: a server's own URL; or, empty or rstrm://NAME, the engine
/// of `context` (empty: the current one), whose token is used unless connect.token is set.
base::result<live_server, live_failure> resolve_live_server(
    const std::string& url, const transport::connect_options& connect,
    const std::string& context = {});

/// Turns a response (status 0: none, see `transport_error`) into a reply.
live_reply interpret_live_response(const live_server& server, int status, const std::string& body,
                                   const std::string& transport_error);

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
  /// The engine's list, narrowed (GET /api/webtty/sessions's query; empty values are left out).
  live_reply list(const std::map<std::string, std::string>& query) const;
  /// The engine's session groups.
  live_reply groups() const;
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
  /// Engine only: a page of the session's recording, `limit` events from `from_seq`
  /// (GET .../events?from_seq=N&limit=N; an admin token).
  live_reply recording_page(const std::string& session, std::uint64_t from_seq,
                            std::uint64_t limit) const;
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
