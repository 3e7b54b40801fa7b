// Browser authentication rules and routes (see browser_auth.hpp).
#include "rstream/ui/browser_auth.hpp"

#include <nlohmann/json.hpp>

#include <vector>

#include "rstream/ui/assets.hpp"
#include "rstream/base/percent.hpp"

namespace asio = boost::asio;
using json = nlohmann::json;

namespace rstream::ui {
namespace {

constexpr std::size_t max_login_body = 8 * 1024;

/// The Origin rule: why an upgrade or state-changing request from another origin is refused.
std::optional<std::string> foreign_origin(const transport::http_request& request, bool secure) {
  const std::string* origin = request.header("Origin");
  if (!origin || !(request.is_websocket_upgrade() || is_state_changing(request.method))) {
    return std::nullopt;
  }
  const std::string* host = request.header("Host");
  auto from = origin_authority(*origin);
  auto ours = host ? host_authority(*host, secure) : std::nullopt;
  if (from && ours && *from == *ours) return std::nullopt;
  return "cross-origin request refused: Origin '" + *origin + "' is not this server (" +
         (host ? *host : std::string("no Host header")) + ")";
}

}  // namespace

presented_credential find_credential(const transport::http_request& request) {
  presented_credential out;
  out.token = request.bearer_token();
  if (!out.token.empty()) {
    out.kind = credential::bearer;
    return out;
  }
  const std::string* cookies = request.header("Cookie");
  const std::string* host = request.header("Host");
  if (cookies && host) {
    auto value = cookie_value(*cookies, login_cookie_name(*host));
    std::string token;
    if (value && !value->empty() && base::percent_decode(*value, token)) {
      out.kind = credential::cookie;
      out.token = std::move(token);
    }
  }
  return out;
}

bool is_state_changing(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

std::optional<front_door_refusal> front_door_violation(const transport::http_request& request,
                                                       bool secure, const front_door& door) {
  const bool vouched = door.auth_required && !request.bearer_token().empty();
  if (!vouched) {
    const std::string* host = request.header("Host");
    if (!host) {
      return front_door_refusal{400, "bad_request", "a request needs a Host header"};
    }
    if (!host_allowed(*host, door.names)) {
      // 421 Misdirected Request: this listener does not answer to that name.
      return front_door_refusal{
          421, "unknown_host",
          "this server does not answer to the name in Host '" + *host +
              "' (DNS-rebinding protection): use its address, localhost, or a name it was "
              "started with (--public-url)"};
    }
  }
  if (auto why = foreign_origin(request, secure)) {
    return front_door_refusal{403, "forbidden", std::move(*why)};
  }
  return std::nullopt;
}

std::optional<std::string> browser_rule_violation(const transport::http_request& request,
                                                  credential used, bool secure) {
  if (auto why = foreign_origin(request, secure)) return why;
  const std::string* origin = request.header("Origin");
  const bool upgrade = request.is_websocket_upgrade();
  if (used != credential::cookie) return std::nullopt;
  if (upgrade) {
    if (!origin) return std::string("a WebSocket upgrade authenticated by cookie needs an Origin");
    return std::nullopt;
  }
  if (is_state_changing(request.method)) {
    const std::string* csrf = request.header(csrf_header);
    if (!csrf || trim_ows(*csrf) != "1") {
      return "a " + request.method + " authenticated by cookie needs the header " +
             std::string(csrf_header) + ": 1";
    }
  }
  return std::nullopt;
}

bool is_browser_route(std::string_view path) {
  return path == "/" || path == "/index.html" || path.substr(0, 8) == "/assets/" ||
         path == "/api/login" || path == "/api/logout";
}

asio::awaitable<void> serve_browser_route(transport::http_exchange& exchange,
                                          const browser_site& site) {
  const auto& request = exchange.request();
  const std::string_view path = request.path();
  if (path == "/" || path == "/index.html") {
    co_await serve_asset(exchange, site.index_asset);
    co_return;
  }
  if (path.substr(0, 8) == "/assets/") {
    std::string_view name = path.substr(8);
    // Pages link their own files only; keep the two HTML pages to "/".
    if (name.size() > 5 && name.substr(name.size() - 5) == ".html") name = {};
    co_await serve_asset(exchange, name);
    co_return;
  }
  const std::string* host = request.header("Host");
  const std::string cookie = login_cookie_name(host ? *host : "");
  std::vector<transport::http_header> no_store{{"Cache-Control", "no-store"}};
  if (path == "/api/login" && (request.method == "GET" || request.method == "HEAD")) {
    const presented_credential given = find_credential(request);
    const bool authenticated =
        !site.auth_required || (!given.token.empty() && site.token_valid(given.token));
    const json body = {{"auth_required", site.auth_required}, {"authenticated", authenticated}};
    co_await exchange.respond_json(200, body.dump(), std::move(no_store));
    co_return;
  }
  if (request.method != "POST") {
    std::vector<transport::http_header> allow{{"Allow", "GET, POST"}};
    co_await exchange.respond_error(405, "method_not_allowed", "use POST (and GET on /api/login)",
                                    std::move(allow));
    co_return;
  }
  // Logging in or out changes state: same-origin pages only, with the CSRF header (a page
  // elsewhere must not log a browser into an account of its choosing, nor out of ours).
  if (auto why = browser_rule_violation(request, credential::cookie, exchange.secure())) {
    co_await exchange.respond_error(403, "forbidden", *why);
    co_return;
  }
  if (path == "/api/logout") {
    no_store.push_back({"Set-Cookie", logout_set_cookie(cookie, exchange.secure())});
    co_await exchange.respond_json(200, R"({"authenticated":false})", std::move(no_store));
    co_return;
  }
  auto body = co_await exchange.read_body(max_login_body);
  if (body.what != transport::body_result::kind::ok) {
    exchange.close_after_response();
    co_await exchange.respond_error(
        body.what == transport::body_result::kind::too_large ? 413 : 400, "invalid_argument",
        "expected a small JSON body {\"token\": \"...\"}");
    co_return;
  }
  const json j = json::parse(body.body, nullptr, false);
  if (!j.is_object() || !j.contains("token") || !j["token"].is_string()) {
    co_await exchange.respond_error(400, "invalid_argument", "expected {\"token\": \"...\"}");
    co_return;
  }
  const std::string token = j["token"].get<std::string>();
  if (site.auth_required && (token.empty() || !site.token_valid(token))) {
    co_await exchange.respond_error(401, "unauthorized", "invalid token");
    co_return;
  }
  if (site.auth_required) {
    no_store.push_back({"Set-Cookie", login_set_cookie(cookie, token, exchange.secure())});
  }
  co_await exchange.respond_json(200, R"({"authenticated":true})", std::move(no_store));
}

}  // namespace rstream::ui
