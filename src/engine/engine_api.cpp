// The engine's HTTP side: authentication, the control API (docs/api.md) and the published
// browser endpoint of each tunnel (a WebSocket carrying WebTTY frames).
#include <spdlog/spdlog.h>

#include "rstream/engine/engine_server.hpp"
#include "rstream/engine/frame_relay.hpp"
#include "rstream/tunnel/filter.hpp"
#include "rstream/tunnel/http_stream.hpp"
#include "rstream/ui/browser_auth.hpp"
#include "rstream/version.hpp"
#include "rstream/base/percent.hpp"
#include "rstream/api/json_text.hpp"

namespace asio = boost::asio;
using json = nlohmann::json;

namespace rstream::engine {
namespace {

constexpr std::size_t max_api_body = 64 * 1024;

/// "/api/tunnels/NAME/webtty" → {"NAME", "webtty"}; splits the path after `prefix`.
std::vector<std::string> path_parts(std::string_view path, std::string_view prefix) {
  std::vector<std::string> parts;
  if (path.substr(0, prefix.size()) != prefix) return parts;
  path.remove_prefix(prefix.size());
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    auto slash = path.find('/');
    std::string decoded;
    if (!base::percent_decode(path.substr(0, slash), decoded)) decoded = "\x01invalid";
    parts.push_back(decoded);
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash);
  }
  return parts;
}

json token_json(const token_info& t) {
  return {
      {"id", t.id}, {"name", t.name}, {"role", role_name(t.role)}, {"created_at", t.created_at}};
}

}  // namespace

asio::awaitable<void> engine_server::on_request(transport::http_exchange& ex) {
  const auto& req = ex.request();
  const std::string_view path = req.path();
  // Host and Origin rules for every request, before any route (docs/security.md).
  if (auto refused = ui::front_door_violation(req, ex.secure(), front_door_)) {
    spdlog::info("refused {} {} from {}: {}", req.method, path, ex.peer(), refused->message);
    ex.close_after_response();
    co_await ex.respond_error(refused->status, refused->code, refused->message);
    co_return;
  }
  if (ui::is_browser_route(path)) {
    // The dashboard, its files and the login that sets its cookie (docs/ui.md).
    ui::browser_site site;
    site.index_asset = "dashboard.html";
    site.token_valid = [this, peer = ex.peer()](const std::string& t) {
      bool throttled = false;
      return authenticate(t, peer, throttled).has_value();
    };
    co_await ui::serve_browser_route(ex, site);
    co_return;
  }
  if (path.substr(0, 5) != "/api/" && path != "/api") {
    co_await ex.respond_error(404, "not_found",
                              "no such page: the engine serves its API under /api/");
    co_return;
  }
  // A Bearer token (CLI, scripts) or the dashboard's login cookie.
  const ui::presented_credential given = ui::find_credential(req);
  if (given.token.empty()) {
    co_await ex.respond_error(401, "unauthorized",
                              "missing token: send \"Authorization: Bearer TOKEN\"");
    co_return;
  }
  bool throttled = false;
  auto who = authenticate(given.token, ex.peer(), throttled);
  if (!who) {
    ex.close_after_response();
    if (throttled) {
      co_await ex.respond_error(429, "too_many_failures", base::too_many_failures_message);
    } else {
      co_await ex.respond_error(401, "unauthorized", "invalid or revoked token");
    }
    co_return;
  }
  if (auto why = ui::browser_rule_violation(req, given.kind, ex.secure())) {
    co_await ex.respond_error(403, "forbidden", *why);
    co_return;
  }
  if (path == "/api/health") {
    const json body = {
        {"status", "ok"}, {"version", RSTREAM_VERSION}, {"tunnels", inventory_.size()}};
    co_await ex.respond_json(200, body.dump());
  } else if (path.substr(0, 12) == "/api/tunnels") {
    co_await api_tunnels(ex, *who);
  } else if (path.substr(0, 11) == "/api/tokens") {
    co_await api_tokens(ex, *who);
  } else {
    co_await ex.respond_error(404, "not_found", "no API endpoint at " + std::string(path));
  }
}

asio::awaitable<void> engine_server::api_tunnels(transport::http_exchange& ex,
                                                 const token_info& who) {
  const auto& req = ex.request();
  auto parts = path_parts(req.path(), "/api/tunnels");
  if (parts.empty()) {
    if (req.method != "GET" && req.method != "HEAD") {
      co_await ex.respond_error(405, "method_not_allowed", "use GET on /api/tunnels");
      co_return;
    }
    std::string error;
    auto filter = tunnel::tunnel_filter::parse(req.query("filter").value_or(""), error);
    if (!filter) {
      co_await ex.respond_error(400, "bad_filter", error);
      co_return;
    }
    json out = json::array();
    for (auto& entry : tunnels_json()) {
      if (filter->matches(entry)) out.push_back(std::move(entry));
    }
    co_await ex.respond_json(200, api::json_text(out));
    co_return;
  }
  const tunnel_record* found = inventory_.find(parts[0]);
  if (!found) {
    co_await ex.respond_error(404, "tunnel_not_found",
                              "no tunnel named '" + parts[0] + "' is online on this engine");
    co_return;
  }
  // A copy: the tunnel may go offline while this request waits.
  const tunnel_record target = *found;
  if (parts.size() == 1 && (req.method == "GET" || req.method == "HEAD")) {
    co_await ex.respond_json(200, api::json_text(entry_json(target, base_url())));
    co_return;
  }
  if (parts.size() >= 2 && parts[1] == "fs") {
    co_await api_tunnel_files(ex, who, target);
    co_return;
  }
  if (parts.size() != 2 || parts[1] != "webtty") {
    co_await ex.respond_error(404, "not_found", "no API endpoint at " + std::string(req.path()));
    co_return;
  }
  // The published browser endpoint.
  if (!req.is_websocket_upgrade()) {
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
  co_await route_authenticated(client, target.name);
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

asio::awaitable<void> engine_server::api_tokens(transport::http_exchange& ex,
                                                const token_info& who) {
  const auto& req = ex.request();
  if (who.role != token_role::admin) {
    co_await ex.respond_error(403, "forbidden", "managing tokens needs an admin token");
    co_return;
  }
  auto parts = path_parts(req.path(), "/api/tokens");
  if (parts.empty() && req.method == "GET") {
    json out = json::array();
    for (const auto& t : tokens_.list()) out.push_back(token_json(t));
    co_await ex.respond_json(200, out.dump());
    co_return;
  }
  if (parts.empty() && req.method == "POST") {
    auto body = co_await ex.read_body(max_api_body);
    if (body.what != transport::body_result::kind::ok) {
      co_await ex.respond_error(body.what == transport::body_result::kind::too_large ? 413 : 400,
                                "bad_request", "the request body is missing or too large");
      co_return;
    }
    json j = json::parse(body.body, nullptr, false);
    if (!j.is_object() || !j.contains("role") || !j["role"].is_string() ||
        (j.contains("name") && !j["name"].is_string())) {
      co_await ex.respond_error(400, "bad_request",
                                "expected {\"role\": \"admin|read-write|read-only\", \"name\": "
                                "\"...\"}");
      co_return;
    }
    auto role = parse_role(j["role"].get<std::string>());
    if (!role) {
      co_await ex.respond_error(400, "bad_role",
                                "role must be admin, read-write or read-only, not '" +
                                    j["role"].get<std::string>() + "'");
      co_return;
    }
    std::string name = j.value("name", "");
    if (name.size() > 128) {
      co_await ex.respond_error(400, "bad_request", "token name longer than 128 bytes");
      co_return;
    }
    token_info info;
    std::string error;
    std::string secret = tokens_.create(*role, name, info, error);
    if (secret.empty()) {
      co_await ex.respond_error(500, "store_failed", error);
      co_return;
    }
    spdlog::info("token '{}' ({}) created by '{}'", info.name, role_name(info.role), who.name);
    json out = token_json(info);
    out["token"] = secret;
    co_await ex.respond_json(201, out.dump());
    co_return;
  }
  if (parts.size() == 1 && req.method == "DELETE") {
    token_info revoked;
    std::string error;
    if (!tokens_.revoke(parts[0], revoked, error)) {
      co_await ex.respond_error(404, "token_not_found", error);
      co_return;
    }
    spdlog::info("token '{}' revoked by '{}'", revoked.name, who.name);
    co_await ex.respond_json(200, token_json(revoked).dump());
    co_return;
  }
  co_await ex.respond_error(405, "method_not_allowed",
                            "use GET or POST on /api/tokens, DELETE on /api/tokens/ID");
}

}  // namespace rstream::engine
