// /api/webtty/sessions (docs/api.md, "Managed sessions"): the engine's managed sessions over
// HTTP, with the same shapes as a server's /api/terminal/sessions so that `rstream webtty
// sessions` speaks to either. The token's role decides (every refusal a 403 that names what is
// missing):
//   read-only   lists sessions, reads their events and control requests, watches as a spectator;
//   read-write  also joins as a participant, asks for control, resolves requests on a session
//               it controls (as its own participant), ends sessions it started;
//   admin       everything, and resolves any request.
// A server whose record is `restricted` hides its sessions from tokens it does not allow.
// POST /api/webtty/sessions/cleanup removes the terminated sessions now (read-write: those its
// token started; admin: all), as POST /api/terminal/cleanup does on a server.
#include <spdlog/spdlog.h>

#include "rstream/api/json_text.hpp"
#include "rstream/engine/engine_server.hpp"
#include "rstream/live_io/live_routes.hpp"

namespace asio = boost::asio;
using json = nlohmann::json;

namespace rstream::engine {
namespace {

std::string read_only_refusal(const token_info& who, const char* what) {
  return "token '" + who.name + "' is read-only: " + what + " needs a read-write token";
}

/// Whether a token that is not read-only may end (or clean up) `session`: an admin any, a
/// read-write token the ones it started.
bool may_end(const managed_session& session, const token_info& who) {
  return who.role == token_role::admin || session.info().started_by_token_id == who.id;
}

}  // namespace

bool engine_server::may_see(const managed_session& session, const token_info& who) const {
  if (who.role == token_role::admin) return true;
  const api::server_record* record = servers_.find(session.info().server_id);
  return !record || !check_session_access(*record, who.id, who.name, session_path::native);
}

asio::awaitable<void> engine_server::api_sessions(transport::http_exchange& ex,
                                                  const token_info& who, sessions_route route,
                                                  std::vector<std::string> params) {
  const auto& req = ex.request();
  if (route == sessions_route::list) {
    std::string error;
    auto filter = parse_session_filter(
        req.query("status").value_or(""), req.query("server_id").value_or(""),
        req.query("origin").value_or(""), req.query("group_id").value_or(""),
        req.query("started_from").value_or(""), req.query("started_to").value_or(""), error);
    if (!filter) {
      co_await ex.respond_error(400, "invalid_argument", error);
      co_return;
    }
    const json visible =
        sessions_.list(*filter, [&](const managed_session& s) { return may_see(s, who); });
    co_await ex.respond_json(200, live_io::keyed_text("sessions", visible));
    co_return;
  }
  if (route == sessions_route::cleanup) {
    // As on a server: the terminated sessions go now. Each token clears what it may end.
    if (who.role == token_role::read_only) {
      co_await ex.respond_error(403, "forbidden",
                                read_only_refusal(who, "removing terminated sessions"));
      co_return;
    }
    const auto removed = sessions_.cleanup(
        [&](const managed_session& s) { return may_see(s, who) && may_end(s, who); });
    json answer = json::object();
    answer["removed"] = removed;
    const std::string text = api::json_text(answer);
    co_await ex.respond_json(200, text);
    co_return;
  }
  if (route == sessions_route::groups) {
    co_await ex.respond_json(200, live_io::keyed_text("groups", sessions_.groups()));
    co_return;
  }
  std::shared_ptr<managed_session> session = sessions_.find(params.at(0));
  if (!session || !may_see(*session, who)) {
    if (route == sessions_route::join) {
      co_await live_io::serve_participant_socket(ex, nullptr, params[0], who.id);
      co_return;
    }
    const std::string why = "no managed session '" + params[0] + "' on this engine";
    co_await ex.respond_error(404, "session_not_found", why);
    co_return;
  }
  const live_io::live_caller caller{who.role == token_role::admin, who.id};
  switch (route) {
    case sessions_route::show:
      co_await ex.respond_json(200, api::json_text(session->to_json()));
      break;
    case sessions_route::kill: {
      if (who.role == token_role::read_only) {
        co_await ex.respond_error(403, "forbidden", read_only_refusal(who, "ending a session"));
        break;
      }
      if (!may_end(*session, who)) {
        co_await ex.respond_error(403, "forbidden",
                                  "ending another token's session needs an admin token");
        break;
      }
      session->kill();
      // As on a server: the answer is the session's last state, once it ended.
      const auto limit = session->kill_grace() + std::chrono::seconds(3);
      co_await session->wait_terminated(limit);
      co_await ex.respond_json(200, api::json_text(session->to_json()));
      break;
    }
    case sessions_route::events:
      co_await live_io::respond_events(ex, session);
      break;
    case sessions_route::list_control_requests:
      co_await live_io::respond_control_requests(ex, *session);
      break;
    case sessions_route::create_control_request:
      if (who.role == token_role::read_only) {
        co_await ex.respond_error(403, "forbidden", read_only_refusal(who, "requesting control"));
        break;
      }
      co_await live_io::create_control_request(ex, session, caller);
      break;
    case sessions_route::resolve_control_request:
      if (who.role == token_role::read_only) {
        co_await ex.respond_error(403, "forbidden",
                                  read_only_refusal(who, "resolving a control request"));
        break;
      }
      co_await live_io::resolve_control_request(ex, session, params.at(1), caller);
      break;
    case sessions_route::join: {
      if (session->end_to_end()) {
        const std::string why = "session " + session->id() +
                                " is end-to-end encrypted between its client and server '" +
                                session->info().server_name +
                                "': the engine cannot read it, so no one else can join it";
        co_await ex.respond_error(409, "end_to_end_session", why);
        break;
      }
      // A read-only token watches; it never types.
      const bool spectator_only = who.role == token_role::read_only;
      co_await live_io::serve_participant_socket(ex, session, session->id(), who.id,
                                                 spectator_only);
      break;
    }
    case sessions_route::list:
    case sessions_route::groups:
    case sessions_route::cleanup:
      break;
  }
}

}  // namespace rstream::engine
