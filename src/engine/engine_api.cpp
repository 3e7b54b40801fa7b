// The engine's HTTP side: the front door (ui/front_door.hpp), the control API (docs/api.md) as
// a route table with one function per route, and the published browser endpoint of each tunnel
// (a WebSocket carrying WebTTY frames). The bodies are typed in api/engine_messages.hpp.
#include <spdlog/spdlog.h>

#include "rstream/api/engine_messages.hpp"
#include "rstream/api/json_text.hpp"
#include "rstream/api/router.hpp"
#include "rstream/engine/engine_server.hpp"
#include "rstream/engine/inventory_view.hpp"
#include "rstream/tunnel/filter.hpp"
#include "rstream/tunnel/http_stream.hpp"
#include "rstream/ui/front_door.hpp"
#include "rstream/version.hpp"

namespace asio = boost::asio;
using json = nlohmann::json;

namespace rstream::engine {
namespace {

constexpr std::size_t max_api_body = 64 * 1024;

/// The routes of the engine's API (docs/api.md).
enum engine_route : int {
  health,
  list_tunnels,
  show_tunnel,
  tunnel_webtty,
  tunnel_files,
  list_tokens,
  create_token,
  revoke_token,
  list_servers,
  show_server,
  create_server,
  update_server,
  delete_server,
  enroll_server,
  list_sessions,
  session_groups,
  show_session,
  kill_session,
  session_events,
  list_control_requests,
  create_control_request,
  resolve_control_request,
  join_session,
  cleanup_sessions,
  recording_export
};

/// The route table: method, path pattern, route. A route's methods are listed in Allow in this
/// order; "/api/tunnels/{}/fs" stands for its whole tree (routing_path).
struct route_row {
  const char* method;
  const char* pattern;
  engine_route route;
};
constexpr route_row engine_route_rows[] = {
    {"*", "/api/health", health},
    {"GET", "/api/tunnels", list_tunnels},
    {"HEAD", "/api/tunnels", list_tunnels},
    {"GET", "/api/tunnels/{}", show_tunnel},
    {"HEAD", "/api/tunnels/{}", show_tunnel},
    {"*", "/api/tunnels/{}/webtty", tunnel_webtty},
    {"*", "/api/tunnels/{}/fs", tunnel_files},
    {"GET", "/api/tokens", list_tokens},
    {"POST", "/api/tokens", create_token},
    {"DELETE", "/api/tokens/{}", revoke_token},
    {"GET", "/api/servers", list_servers},
    {"POST", "/api/servers", create_server},
    {"GET", "/api/servers/{}", show_server},
    {"PATCH", "/api/servers/{}", update_server},
    {"DELETE", "/api/servers/{}", delete_server},
    {"POST", "/api/servers/{}/enrollment", enroll_server},
    {"GET", "/api/webtty/sessions", list_sessions},
    {"GET", "/api/webtty/sessions/groups", session_groups},
    {"POST", "/api/webtty/sessions/cleanup", cleanup_sessions},
    {"GET", "/api/webtty/sessions/{}", show_session},
    {"DELETE", "/api/webtty/sessions/{}", kill_session},
    {"GET", "/api/webtty/sessions/{}/events", session_events},
    {"GET", "/api/webtty/sessions/{}/control-requests", list_control_requests},
    {"POST", "/api/webtty/sessions/{}/control-requests", create_control_request},
    {"POST", "/api/webtty/sessions/{}/control-requests/{}", resolve_control_request},
    {"*", "/api/webtty/sessions/{}/ws", join_session},
    {"GET", "/api/webtty/sessions/{}/export", recording_export},
};

const api::router& engine_routes() {
  static const api::router table = [] {
    api::router built;
    for (const auto& row : engine_route_rows) built.add(row.method, row.pattern, row.route);
    return built;
  }();
  return table;
}

bool is_token_route(int route) {
  return route == list_tokens || route == create_token || route == revoke_token;
}

bool is_server_route(int route) { return route >= list_servers && route <= enroll_server; }

bool is_session_route(int route) { return route >= list_sessions && route <= join_session; }

/// The /api/webtty/sessions route of a table route (their order is the same).
sessions_route sessions_route_of(int route) {
  return static_cast<sessions_route>(route - list_sessions);
}

bool is_recording_route(int route) { return route == recording_export; }

/// The routes whose first parameter names a tunnel or a registered server.
bool is_tunnel_route(int route) {
  return route == show_tunnel || route == tunnel_webtty || route == tunnel_files;
}

/// The /api/servers route of a table route (their order is the same).
server_records_route records_route_of(int route) {
  return static_cast<server_records_route>(route - list_servers);
}

/// The path the route table sees: the whole WebDAV tree below /api/tunnels/NAME/fs is one
/// route ("/api/tunnels/NAME/fs/a/b" → "/api/tunnels/NAME/fs"); other paths as they are.
std::string routing_path(std::string_view path) {
  std::vector<std::string_view> segments;
  std::string_view rest = path;
  while (!rest.empty() && segments.size() < 4) {
    const auto end = rest.find('/');
    if (end != 0) segments.push_back(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }
  if (segments.size() == 4 && segments[0] == "api" && segments[1] == "tunnels" &&
      segments[3] == "fs") {
    return "/api/tunnels/" + std::string(segments[2]) + "/fs";
  }
  return std::string(path);
}

asio::awaitable<void> no_endpoint(transport::http_exchange& ex) {
  const std::string why = "no API endpoint at " + std::string(ex.request().path());
  co_await ex.respond_error(404, "not_found", why);
}

/// The refusal of a method the route does not take (with Allow).
asio::awaitable<void> method_not_allowed(transport::http_exchange& ex, int route,
                                         std::string allowed) {
  if (route == show_tunnel) {
    // Only GET reads an entry; anything else at a tunnel's path is no endpoint.
    co_await no_endpoint(ex);
    co_return;
  }
  const char* why =
      route == list_tunnels       ? "use GET on /api/tunnels"
      : is_server_route(route)    ? "use GET or POST on /api/servers; GET, PATCH or DELETE on "
                                    "/api/servers/ID; POST on /api/servers/ID/enrollment"
      : is_session_route(route)   ? "use GET on /api/webtty/sessions and its events and control "
                                    "requests; DELETE on /api/webtty/sessions/ID; POST to ask "
                                    "for or resolve control"
      : is_recording_route(route) ? "a session's recording is read with GET"
                                  : "use GET or POST on /api/tokens, DELETE on /api/tokens/ID";
  std::vector<transport::http_header> allow{{"Allow", std::move(allowed)}};
  co_await ex.respond_error(405, "method_not_allowed", why, std::move(allow));
}

}  // namespace

ui::token_gate engine_server::door_gate() {
  ui::token_gate gate;
  gate.throttle = &auth_throttle_;
  gate.token_valid = [this](const std::string& token) {
    return tokens_.authenticate(token).has_value();
  };
  gate.missing_token_message = "missing token: send \"Authorization: Bearer TOKEN\"";
  gate.invalid_token_message = "invalid or revoked token";
  return gate;
}

asio::awaitable<void> engine_server::on_request(transport::http_exchange& ex) {
  // Host and Origin rules for every request, before any route (docs/security.md).
  if (!co_await ui::screen_request(ex, front_door_)) co_return;
  const std::string_view path = ex.request().path();
  if (ui::is_browser_route(path)) {
    // The dashboard, its files and the login that sets its cookie (docs/ui.md).
    const ui::browser_site site = door_.site("dashboard.html", ex.peer());
    co_await ui::serve_browser_route(ex, site);
    co_return;
  }
  if (path.substr(0, 5) != "/api/" && path != "/api") {
    co_await ex.respond_error(404, "not_found",
                              "no such page: the engine serves its API under /api/");
    co_return;
  }
  // A Bearer token (CLI, scripts) or the dashboard's login cookie, then the browser rules.
  const auto admitted = co_await ui::pass_front_door(ex, door_);
  if (!admitted) co_return;
  // The door accepted this very token a moment ago, on this thread: it is a token's.
  const token_info who = tokens_.authenticate(admitted->token).value();
  co_await dispatch_api(ex, who);
}

asio::awaitable<void> engine_server::dispatch_api(transport::http_exchange& ex,
                                                  const token_info& who) {
  const auto& req = ex.request();
  const auto match = engine_routes().match(req.method, routing_path(req.path()));
  if (match.what == api::route_match::kind::malformed_path) {
    co_await ex.respond_error(400, "bad_request", "malformed percent-encoding in path");
    co_return;
  }
  if (match.what == api::route_match::kind::no_route) {
    co_await no_endpoint(ex);
    co_return;
  }
  if (is_token_route(match.route) && who.role != token_role::admin) {
    co_await ex.respond_error(403, "forbidden", "managing tokens needs an admin token");
    co_return;
  }
  // Every route under /api/tunnels/NAME names a tunnel or a registered server: an unknown one
  // is 404 whatever else; a registered one offline is shown, and 503 for a session or files.
  std::optional<tunnel_record> target;
  std::optional<api::server_record> registered;
  if (!match.params.empty() && is_tunnel_route(match.route)) {
    const std::string& name = match.params[0];
    if (const api::server_record* record = registered_target(name)) registered = *record;
    const tunnel_record* found =
        registered ? inventory_.find_server(registered->id) : inventory_.find(name);
    if (found) target = *found;  // a copy: the tunnel may go offline while this request waits
    if (!found && !registered) {
      const std::string why = "no tunnel named '" + name + "' is online on this engine";
      co_await ex.respond_error(404, "tunnel_not_found", why);
      co_return;
    }
  }
  if (match.what == api::route_match::kind::method_not_allowed) {
    co_await method_not_allowed(ex, match.route, match.allow);
    co_return;
  }
  if (registered && (match.route == tunnel_webtty || match.route == tunnel_files)) {
    // The record's policies hold on every path to its server (server_admission.hpp).
    std::optional<refusal> refused =
        target ? check_session_access(
                     *registered, who.id, who.name,
                     match.route == tunnel_webtty ? session_path::browser : session_path::files)
               : offline_refusal(*registered);
    if (refused) {
      co_await ex.respond_error(refused->http_status, refused->code, refused->message);
      co_return;
    }
  }
  switch (static_cast<engine_route>(match.route)) {
    case health:
      co_await api_health(ex);
      break;
    case list_tunnels:
      co_await api_list_tunnels(ex);
      break;
    case show_tunnel: {
      const api::tunnel_entry entry =
          registered ? registered_entry_of(*registered, target ? &*target : nullptr, base_url())
                     : entry_of(*target, base_url());
      const std::string answer = api::json_text(api::to_json(entry));
      co_await ex.respond_json(200, answer);
      break;
    }
    case tunnel_webtty:
      co_await api_tunnel_webtty(ex, who, *target);
      break;
    case tunnel_files:
      co_await api_tunnel_files(ex, who, *target);
      break;
    case list_tokens:
      co_await api_list_tokens(ex);
      break;
    case create_token:
      co_await api_create_token(ex, who);
      break;
    case revoke_token:
      co_await api_revoke_token(ex, who, match.params[0]);
      break;
    case list_servers:
    case show_server:
    case create_server:
    case update_server:
    case delete_server:
    case enroll_server: {
      // Named before the co_await: GCC 12 miscompiles a conditional temporary inside one.
      std::string id_or_name;
      if (!match.params.empty()) id_or_name = match.params[0];
      co_await api_server_records(ex, who, records_route_of(match.route), std::move(id_or_name));
      break;
    }
    case session_events: {
      // Followed as Server-Sent Events: the live session's events (any token); read as JSON:
      // the recording's events (admin; `sessions events ID --from-seq N --limit N`).
      const std::string* accept = req.header("Accept");
      if (accept && accept->find("text/event-stream") != std::string::npos) {
        co_await api_sessions(ex, who, sessions_route_of(match.route), match.params);
      } else {
        co_await api_recordings(ex, who, recordings_route::events, match.params[0]);
      }
      break;
    }
    case list_sessions:
    case session_groups:
    case show_session:
    case kill_session:
    case list_control_requests:
    case create_control_request:
    case resolve_control_request:
    case join_session:
    case cleanup_sessions:
      co_await api_sessions(ex, who, sessions_route_of(match.route), match.params);
      break;
    case recording_export:
      co_await api_recordings(ex, who, recordings_route::export_body, match.params[0]);
      break;
  }
}

asio::awaitable<void> engine_server::api_health(transport::http_exchange& ex) {
  api::engine_health health;
  health.version = RSTREAM_VERSION;
  health.tunnels = inventory_.size();
  co_await ex.respond_json(200, api::json_text(api::to_json(health)));
}

asio::awaitable<void> engine_server::api_list_tunnels(transport::http_exchange& ex) {
  std::string error;
  auto filter = tunnel::tunnel_filter::parse(ex.request().query("filter").value_or(""), error);
  if (!filter) {
    co_await ex.respond_error(400, "bad_filter", error);
    co_return;
  }
  if (filter->empty()) {
    // The common case, kept fast for large fleets: registered entries come from a cache.
    const std::shared_ptr<const std::string> answer = tunnels_answer();
    co_await ex.respond(200, "application/json", *answer);
    co_return;
  }
  json out = json::array();
  for (const auto& entry : entries()) {
    json listed = api::to_json(entry);
    if (filter->matches(listed)) out.push_back(std::move(listed));
  }
  co_await ex.respond_json(200, api::json_text(out));
}

asio::awaitable<void> engine_server::api_tunnel_webtty(transport::http_exchange& ex,
                                                       const token_info& who,
                                                       tunnel_record target) {
  // The published browser endpoint.
  if (!ex.request().is_websocket_upgrade()) {
    co_await ex.respond_error(426, "upgrade_required",
                              "this is a WebSocket endpoint carrying WebTTY frames");
    co_return;
  }
  if (!target.publish) {
    co_await ex.respond_error(
        403, "not_published",
        "tunnel '" + target.name +
            "' is not published (--no-publish): browsers cannot reach it; native clients can, at "
            "rstrm://" +
            target.name);
    co_return;
  }
  if (who.role == token_role::read_only) {
    co_await ex.respond_error(403, "forbidden",
                              "token '" + who.name + "' is read-only: it cannot open sessions");
    co_return;
  }
  std::string error;
  std::shared_ptr<transport::frame_channel> client =
      co_await ex.accept_websocket(config_.max_payload, error);
  if (!client) {
    spdlog::info("browser upgrade for '{}' failed: {}", target.name, error);
    co_return;
  }
  client->leave_pending();  // authenticated above, at the HTTP upgrade
  co_await route_authenticated(client, target.id, who, session_path::browser);
}

asio::awaitable<void> engine_server::api_tunnel_files(transport::http_exchange& ex,
                                                      const token_info& who, tunnel_record record) {
  const auto& req = ex.request();
  const bool reads_only = req.method == "GET" || req.method == "HEAD" || req.method == "PROPFIND" ||
                          req.method == "OPTIONS";
  if (who.role == token_role::read_only && !reads_only) {
    const std::string why = "token '" + who.name + "' is read-only: it cannot change files";
    co_await ex.respond_error(403, "forbidden", why);
    co_return;
  }
  if (label_or(record, "rstream.webtty.capabilities", "").find("fs") == std::string::npos) {
    const std::string why =
        "tunnel '" + record.name + "' serves no files (its server runs without --fs-root DIR)";
    co_await ex.respond_error(404, "fs_disabled", why);
    co_return;
  }
  // The server sees "/fs/..." with the query; the prefix before it is where the client sees
  // the server's root (its links and MOVE destinations use it).
  const std::string_view path = req.path();
  const std::size_t segment_end = path.find('/', std::string_view("/api/tunnels/").size());
  std::string external_prefix(path.substr(0, segment_end));
  std::string target(path.substr(segment_end));
  const std::string_view full = req.target;
  if (auto q = full.find('?'); q != std::string_view::npos) target += full.substr(q);
  codec::error_frame failure;
  auto server = co_await open_stream(record.id, record.name, tunnel::stream_kind::http, failure);
  if (!server) {
    ex.close_after_response();
    co_await ex.respond_error(502, failure.code, failure.message);
    co_return;
  }
  co_await tunnel::forward_http_exchange(ex, *server, std::move(target),
                                         std::move(external_prefix));
  server->close();
}

asio::awaitable<void> engine_server::api_list_tokens(transport::http_exchange& ex) {
  co_await ex.respond_json(200, api::json_text(api::to_json(tokens_.list())));
}

asio::awaitable<std::optional<json>> engine_server::read_api_body(transport::http_exchange& ex) {
  auto body = co_await ex.read_body(max_api_body);
  if (body.what != transport::body_result::kind::ok) {
    co_await ex.respond_error(body.what == transport::body_result::kind::too_large ? 413 : 400,
                              "bad_request", "the request body is missing or too large");
    co_return std::nullopt;
  }
  co_return json::parse(body.body, nullptr, false);
}

asio::awaitable<void> engine_server::api_create_token(transport::http_exchange& ex,
                                                      const token_info& who) {
  const auto body = co_await read_api_body(ex);
  if (!body) co_return;
  const auto request = api::read_token_request(*body);
  if (!request) {
    co_await ex.respond_error(400, request.error().code, request.error().message);
    co_return;
  }
  token_info info;
  std::string error;
  std::string secret = tokens_.create(request->role, request->name, info, error);
  if (secret.empty()) {
    co_await ex.respond_error(500, "store_failed", error);
    co_return;
  }
  spdlog::info("token '{}' ({}) created by '{}'", info.name, role_name(info.role), who.name);
  const api::token_created created{info, std::move(secret)};
  co_await ex.respond_json(201, api::json_text(api::to_json(created)));
}

asio::awaitable<void> engine_server::api_revoke_token(transport::http_exchange& ex,
                                                      const token_info& who, std::string id) {
  token_info revoked;
  std::string error;
  if (!tokens_.revoke(id, revoked, error)) {
    co_await ex.respond_error(404, "token_not_found", error);
    co_return;
  }
  servers_.forget_token(revoked.id);  // the store took it off every allow list too
  spdlog::info("token '{}' revoked by '{}'", revoked.name, who.name);
  co_await ex.respond_json(200, api::json_text(api::to_json(revoked)));
}

}  // namespace rstream::engine
