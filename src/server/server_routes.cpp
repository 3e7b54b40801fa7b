// server_routes (see server_routes.hpp).
#include "rstream/server/server_routes.hpp"

#include "rstream/base/secret.hpp"
#include "rstream/transport/untrusted_content.hpp"
#include "rstream/ui/browser_auth.hpp"
#include "rstream/ui/front_door.hpp"

namespace asio = boost::asio;

namespace rstream::server {
namespace {

constexpr std::string_view files_prefix = "/fs";

}  // namespace

std::optional<std::string_view> path_below(std::string_view path, std::string_view prefix) {
  if (path.substr(0, prefix.size()) != prefix) return std::nullopt;
  std::string_view rest = path.substr(prefix.size());
  if (!rest.empty() && rest.front() != '/') return std::nullopt;
  return rest;
}

namespace {

/// The server's door: its --token, if any, compared in constant time.
ui::token_gate server_gate(const server_routes_config& config) {
  ui::token_gate gate;
  gate.throttle = config.auth_throttle.get();
  if (!config.token.empty()) {
    gate.token_valid = [token = config.token](const std::string& given) {
      return base::secret_equal(token, given);
    };
  }
  gate.missing_token_message = "this server requires a token: send Authorization: Bearer";
  gate.invalid_token_message = "invalid token";
  return gate;
}

}  // namespace

server_routes::server_routes(server_routes_config config)
    : config_(std::move(config)), door_(server_gate(config_)) {}

asio::awaitable<void> server_routes::handle(transport::http_exchange& exchange) const {
  if (ui::is_browser_route(exchange.request().path())) {
    // The sessions page, its files and the login that sets its cookie (docs/ui.md).
    const ui::browser_site site = door_.site("index.html", exchange.peer());
    co_await ui::serve_browser_route(exchange, site);
    co_return;
  }
  // A Bearer token (CLI, scripts) or the page's login cookie, then the browser rules.
  if (!co_await ui::pass_front_door(exchange, door_)) co_return;
  co_await dispatch(exchange);
}

asio::awaitable<void> server_routes::handle_routed(transport::http_exchange& exchange) const {
  co_await dispatch(exchange);
}

asio::awaitable<void> server_routes::dispatch(transport::http_exchange& exchange) const {
  const std::string_view path = exchange.request().path();
  if (auto below = path_below(path, files_prefix)) {
    if (!config_.files) {
      co_await exchange.respond_error(404, "fs_disabled",
                                      "this server serves no files (start it with --fs-root DIR)");
      co_return;
    }
    // File contents are never a page of ours: nosniff, a sandbox CSP, safe content types.
    transport::confined_exchange confined(exchange);
    co_await config_.files->handle(confined, *below);
    co_return;
  }
  if (live_api::owns(path)) {
    if (!config_.live) {
      co_await exchange.respond_error(404, "live_disabled", config_.live_disabled_reason);
      co_return;
    }
    co_await config_.live->handle(exchange);
    co_return;
  }
  const std::string why = "nothing is served at " + std::string(path) +
                          " (WebTTY is at /webtty, files at /fs, live sessions at /api/terminal)";
  co_await exchange.respond_error(404, "no_route", why);
}

}  // namespace rstream::server
