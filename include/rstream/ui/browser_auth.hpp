// How browsers authenticate to rstream's HTTP ports (docs/ui.md, "Auth"), as pure functions
// over a request head, plus the routes a browser needs before it has a token.
//
//   - The page asks for the token once and POSTs it to /api/login, which checks it and sets an
//     HttpOnly, SameSite=Strict cookie (Secure on TLS). The token never goes into a URL.
//   - Requests then authenticate by that cookie; "Authorization: Bearer" (the CLI) still wins.
//   - A state-changing request authenticated by the cookie must carry "X-Rstream-CSRF: 1",
//     which a cross-site page cannot send without a CORS preflight that we never answer.
//   - A WebSocket upgrade that carries an Origin must come from our own host:port; one
//     authenticated by the cookie must carry an Origin.
//   - Any state-changing request or WebSocket upgrade whose Origin names another host:port is
//     refused, token or not, on every listener, before any route (front_door_violation).
//   - Host must be one of ours (no DNS rebinding): an IP literal, "localhost", or a name the
//     listener was configured with; checked for every request that a valid-looking Bearer
//     token does not vouch for (a rebinding page cannot know the token).
//
// Thread-safety: stateless functions.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rstream/transport/http.hpp"
#include "rstream/ui/browser_names.hpp"

namespace rstream::ui {

/// Where the token of a request came from.
enum class credential { none, bearer, cookie };

struct presented_credential {
  credential kind = credential::none;
  std::string token;
};

/// The header a page sends with every request: a simple cross-site request cannot carry it.
inline constexpr std::string_view csrf_header = "X-Rstream-CSRF";

/// The request's token: the Bearer token, else the login cookie, else none.
presented_credential find_credential(const transport::http_request& request);

/// True for methods that may change state (anything but GET, HEAD, OPTIONS).
bool is_state_changing(std::string_view method);

/// What a listener's front door knows about itself.
struct front_door {
  bool auth_required = true;       ///< false: a server without a token
  std::vector<std::string> names;  ///< extra host names it answers to (see host_allowed)
};

/// The rules every listener applies to every request before routing it (a 403 or 421 reason),
/// or nullopt when it may go on:
///   - Host: host_allowed, unless the listener requires tokens and the request carries a
///     Bearer token (native clients reach a server by any name it has; a page cannot send a
///     token it does not know). On a listener without a token, every request is checked.
///   - Origin: a WebSocket upgrade or state-changing request from a foreign Origin (another
///     host:port than Host, or "null") is refused, token or not.
struct front_door_refusal {
  int status = 403;
  std::string code;
  std::string message;
};
std::optional<front_door_refusal> front_door_violation(const transport::http_request& request,
                                                       bool secure, const front_door& door);

/// Why the browser rules above refuse this request (answer 403), or nullopt when it may go on.
/// `used` is how the request was authenticated (none on a server without a token).
std::optional<std::string> browser_rule_violation(const transport::http_request& request,
                                                  credential used, bool secure);

/// What serve_browser_routes needs to know about the server it runs in.
struct browser_site {
  std::string_view index_asset;  ///< the page served at "/": "index.html", "dashboard.html"
  bool auth_required = true;     ///< false: a server without a token
  /// True when `token` is accepted (compare in constant time).
  std::function<bool(const std::string& token)> token_valid;
};

/// True for the paths serve_browser_routes answers: "/", "/assets/...", "/api/login",
/// "/api/logout". They need no token.
bool is_browser_route(std::string_view path);

/// Answers a request on a browser route: the page, its assets, and
///   GET  /api/login  → {"auth_required": bool, "authenticated": bool}
///   POST /api/login  {"token": "..."} → 200 + Set-Cookie (the token, %-encoded), or 401;
///                    needs X-Rstream-CSRF: 1 and, when present, our own Origin
///   POST /api/logout → 200 + a Set-Cookie that clears it
boost::asio::awaitable<void> serve_browser_route(transport::http_exchange& exchange,
                                                 const browser_site& site);

}  // namespace rstream::ui
