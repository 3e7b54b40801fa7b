// server_routes (see server_routes.hpp).
#include "rstream/server/server_routes.hpp"

#include "rstream/base/secret.hpp"
#include "rstream/transport/untrusted_content.hpp"
#include "rstream/ui/browser_auth.hpp"

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

server_routes::server_routes(server_routes_config config) : config_(std::move(config)) {}

bool server_routes::checked_token(const std::string& source, const std::string& token) const {
  return base::throttled_check(config_.auth_throttle.get(), source, [&] {
           return base::secret_equal(config_.token, token);
         }) == base::auth_verdict::accepted;
}

asio::awaitable<void> server_routes::handle(transport::http_exchange& exchange) const {
  const auto& request = exchange.request();
  if (ui::is_browser_route(request.path())) {
    // The sessions page, its files and the login that sets its cookie (docs/ui.md).
    ui::browser_site site;
    site.index_asset = "index.html";
    site.auth_required = !config_.token.empty();
    site.token_valid = [this, source = base::source_address(exchange.peer())](
                           const std::string& t) { return checked_token(source, t); };
    co_await ui::serve_browser_route(exchange, site);
    co_return;
  }
  // A Bearer token (CLI, scripts) or the page's login cookie.
  ui::presented_credential given = ui::find_credential(request);
  if (!config_.token.empty()) {
    const auto verdict = base::throttled_check(
        config_.auth_throttle.get(), base::source_address(exchange.peer()),
        [&] { return !given.token.empty() && base::secret_equal(config_.token, given.token); },
        !given.token.empty());
    if (verdict == base::auth_verdict::throttled) {
      exchange.close_after_response();
      co_await exchange.respond_error(429, "too_many_failures", base::too_many_failures_message);
      co_return;
    }
    if (verdict == base::auth_verdict::refused) {
      const char* why = given.token.empty()
                            ? "this server requires a token: send Authorization: Bearer"
                            : "invalid token";
      exchange.close_after_response();
      // Named, not a temporary inside co_await (GCC 12).
      std::vector<transport::http_header> challenge{
          {"WWW-Authenticate", "Bearer realm=\"rstream\""}};
      co_await exchange.respond_error(401, "unauthorized", why, std::move(challenge));
      co_return;
    }
  } else {
    given.kind = ui::credential::none;  // a stale cookie authenticates nothing here
  }
  if (auto why = ui::browser_rule_violation(request, given.kind, exchange.secure())) {
    co_await exchange.respond_error(403, "forbidden", *why);
    co_return;
  }
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
