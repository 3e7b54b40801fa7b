// The one front door of the server's and the engine's HTTP listeners (see front_door.hpp).
#include "rstream/ui/front_door.hpp"

#include <spdlog/spdlog.h>

namespace asio = boost::asio;

namespace rstream::ui {
namespace {

/// A 401 that tells the client how to authenticate, and closes the connection (a guesser pays
/// a new connection per guess).
door_refusal unauthorized(std::string message) {
  return door_refusal{401,
                      "unauthorized",
                      std::move(message),
                      true,
                      {{"WWW-Authenticate", "Bearer realm=\"rstream\""}}};
}

}  // namespace

listener_door::listener_door(token_gate gate) : gate_(std::move(gate)) {}

base::auth_verdict listener_door::check_token(std::string_view peer,
                                              const std::string& token) const {
  return base::throttled_check(
      gate_.throttle, base::source_address(peer),
      [&] { return !token.empty() && gate_.token_valid(token); }, !token.empty());
}

door_verdict listener_door::admit(const transport::http_request& request, std::string_view peer,
                                  bool secure) const {
  presented_credential given = find_credential(request);
  if (!auth_required()) {
    given.kind = credential::none;  // a stale cookie authenticates nothing here
  } else {
    switch (check_token(peer, given.token)) {
      case base::auth_verdict::accepted:
        break;
      case base::auth_verdict::throttled:
        return door_refusal{429, "too_many_failures", base::too_many_failures_message, true, {}};
      case base::auth_verdict::refused:
        return unauthorized(given.token.empty() ? gate_.missing_token_message
                                                : gate_.invalid_token_message);
    }
  }
  if (auto why = browser_rule_violation(request, given.kind, secure)) {
    return door_refusal{403, "forbidden", std::move(*why), false, {}};
  }
  if (given.kind == credential::none) given.token.clear();
  return door_admission{given.kind, std::move(given.token)};
}

browser_site listener_door::site(std::string_view index_asset, std::string peer) const {
  browser_site out;
  out.index_asset = index_asset;
  out.auth_required = auth_required();
  out.token_valid = [this, peer = std::move(peer)](const std::string& token) {
    return check_token(peer, token) == base::auth_verdict::accepted;
  };
  return out;
}

asio::awaitable<std::optional<door_admission>> pass_front_door(transport::http_exchange& exchange,
                                                               const listener_door& door) {
  door_verdict verdict = door.admit(exchange.request(), exchange.peer(), exchange.secure());
  if (auto* admitted = std::get_if<door_admission>(&verdict)) co_return *admitted;
  auto& refused = std::get<door_refusal>(verdict);
  if (refused.close) exchange.close_after_response();
  co_await exchange.respond_error(refused.status, refused.code, refused.message,
                                  std::move(refused.headers));
  co_return std::nullopt;
}

asio::awaitable<bool> screen_request(transport::http_exchange& exchange, const front_door& rules) {
  const auto& request = exchange.request();
  auto refused = front_door_violation(request, exchange.secure(), rules);
  if (!refused) co_return true;
  spdlog::info("refused {} {} from {}: {}", request.method, request.path(), exchange.peer(),
               refused->message);
  exchange.close_after_response();
  co_await exchange.respond_error(refused->status, refused->code, refused->message);
  co_return false;
}

}  // namespace rstream::ui
