// The HTTP side of a live session that the server's live API (/api/terminal/sessions/{id}/...)
// and the engine's managed-sessions API (/api/webtty/sessions/{id}/...) share, whoever hosts
// the session: its events (JSON, or Server-Sent Events that follow it), its control requests
// (list, request, resolve) and a participant's WebSocket. Each surface decides who may call
// which (the server: its one token acts as admin; the engine: the token's role), and says so in
// a `live_caller`.
//
// Thread-safety: one single-threaded io_context; everything on its thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "rstream/live_io/live_host.hpp"
#include "rstream/transport/http.hpp"

namespace rstream::live_io {

/// Who calls: an admin may resolve any request; anyone else acts only as a participant it
/// owns (one that joined with its token: live_host::owned_by).
struct live_caller {
  bool admin = false;
  std::string owner;  ///< the token's id ("" on a server, where the one token owns all)
};

/// Reads a JSON object body (empty body: {}); answers 400/413 itself and returns nullopt.
boost::asio::awaitable<std::optional<nlohmann::json>> read_json_body(
    transport::http_exchange& exchange);
/// The answer to a refusal of the live layer (400, 403, 404 or 409 with its code).
boost::asio::awaitable<void> respond_live_refusal(transport::http_exchange& exchange,
                                                  const live::error& error);
/// {"KEY": VALUE} as JSON text.
std::string keyed_text(const char* key, const nlohmann::json& value);

/// GET .../events[?since=SEQ]: JSON, or Server-Sent Events when the client accepts them.
boost::asio::awaitable<void> respond_events(transport::http_exchange& exchange,
                                            std::shared_ptr<live_host> host);
/// GET .../control-requests
boost::asio::awaitable<void> respond_control_requests(transport::http_exchange& exchange,
                                                      const live_host& host);
/// POST .../control-requests {participant_id, reason}
boost::asio::awaitable<void> create_control_request(transport::http_exchange& exchange,
                                                    std::shared_ptr<live_host> host,
                                                    live_caller caller);
/// POST .../control-requests/{request} {action, approver_participant_id}: without an approver
/// the caller acts as admin (refused unless it is one).
boost::asio::awaitable<void> resolve_control_request(transport::http_exchange& exchange,
                                                     std::shared_ptr<live_host> host,
                                                     std::string request_text, live_caller caller);
/// A participant's WebSocket (query: name, role=spectator). A null host answers
/// session_not_found on the socket; `spectator_only` (a read-only token) forces a spectator
/// whatever the query says, one that may not ask for control.
boost::asio::awaitable<void> serve_participant_socket(transport::http_exchange& exchange,
                                                      std::shared_ptr<live_host> host,
                                                      std::string id, std::string owner,
                                                      bool spectator_only = false);

}  // namespace rstream::live_io
