// Browser authentication rules and routes (see browser_auth.hpp).
#include "rstream/ui/browser_auth.hpp"

#include <arpa/inet.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <vector>

#include "rstream/ui/assets.hpp"

namespace asio = boost::asio;
using json = nlohmann::json;

namespace rstream::ui {
namespace {

constexpr std::size_t max_login_body = 8 * 1024;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
         c == '~' || c == '%';
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.size() <= 5 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

/// "host[:port]" → {"host", "port"} with the host lowercased; "[v6]" kept in brackets.
std::optional<std::pair<std::string, std::string>> split_authority(std::string_view authority) {
  std::string_view host;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(0, close + 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
    }
    const std::string_view inside = host.substr(1, host.size() - 2);
    if (inside.empty() || !std::all_of(inside.begin(), inside.end(), [](unsigned char c) {
          return std::isxdigit(c) || c == ':' || c == '.';
        })) {
      return std::nullopt;
    }
  } else {
    const auto colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    if (host.empty() || !std::all_of(host.begin(), host.end(), is_host_char)) return std::nullopt;
  }
  if (!port.empty() && !all_digits(port)) return std::nullopt;
  return std::pair{lower(host), std::string(port)};
}

std::string strip_leading_zeros(std::string port) {
  const auto first = port.find_first_not_of('0');
  return first == std::string::npos ? "0" : port.substr(first);
}

}  // namespace

std::string login_cookie_name(std::string_view host) {
  auto parts = split_authority(trim(host));
  if (!parts || parts->second.empty()) return "rstream_token";
  return "rstream_token_" + strip_leading_zeros(parts->second);
}

std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
  std::size_t start = 0;
  while (start <= header.size()) {
    std::size_t end = header.find(';', start);
    if (end == std::string_view::npos) end = header.size();
    std::string_view pair = trim(header.substr(start, end - start));
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && trim(pair.substr(0, eq)) == name) {
      std::string_view value = trim(pair.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return std::string(value);
    }
    start = end + 1;
  }
  return std::nullopt;
}

std::string login_set_cookie(std::string_view name, std::string_view token, bool secure) {
  // Any byte outside the unreserved set is %XX-encoded: a token may hold ';', ' ' or '"'.
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string value;
  for (unsigned char c : token) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      value += static_cast<char>(c);
    } else {
      value += '%';
      value += hex[c >> 4];
      value += hex[c & 15];
    }
  }
  std::string out = std::string(name) + "=" + value + "; Path=/; HttpOnly; SameSite=Strict";
  if (secure) out += "; Secure";
  return out;
}

std::string logout_set_cookie(std::string_view name, bool secure) {
  std::string out = std::string(name) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";
  if (secure) out += "; Secure";
  return out;
}

std::optional<std::string> origin_authority(std::string_view origin) {
  origin = trim(origin);
  const auto sep = origin.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  const std::string scheme = lower(origin.substr(0, sep));
  std::string_view rest = origin.substr(sep + 3);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);  // tolerate "http://h/"
  if (rest.find_first_of("/?#@") != std::string_view::npos) return std::nullopt;
  std::string default_port;
  if (scheme == "http") {
    default_port = "80";
  } else if (scheme == "https") {
    default_port = "443";
  } else {
    return std::nullopt;
  }
  auto parts = split_authority(rest);
  if (!parts) return std::nullopt;
  const std::string port =
      parts->second.empty() ? default_port : strip_leading_zeros(parts->second);
  return parts->first + ":" + port;
}

std::optional<std::string> host_authority(std::string_view host, bool secure) {
  auto parts = split_authority(trim(host));
  if (!parts) return std::nullopt;
  const std::string port =
      parts->second.empty() ? (secure ? "443" : "80") : strip_leading_zeros(parts->second);
  return parts->first + ":" + port;
}

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
    if (value && !value->empty() && transport::percent_decode(*value, token)) {
      out.kind = credential::cookie;
      out.token = std::move(token);
    }
  }
  return out;
}

bool is_state_changing(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

bool host_allowed(std::string_view host_header, const std::vector<std::string>& names) {
  auto parts = split_authority(trim(host_header));
  if (!parts) return false;
  const std::string& host = parts->first;
  if (host.front() == '[') return true;  // an IPv6 literal
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return true;
  constexpr std::string_view local = "localhost";
  if (host == local) return true;
  if (host.size() > local.size() + 1 && host.ends_with(local) &&
      host[host.size() - local.size() - 1] == '.') {
    return true;
  }
  return std::find(names.begin(), names.end(), host) != names.end();
}

std::string url_host_name(std::string_view url) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) return {};
  std::string_view rest = url.substr(sep + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (rest.find('@') != std::string_view::npos) return {};
  auto parts = split_authority(rest);
  return parts ? parts->first : std::string();
}

namespace {

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
    if (!csrf || trim(*csrf) != "1") {
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
