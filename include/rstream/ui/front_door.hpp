// The front door of every HTTP listener, written once for the server and the engine: a request
// that is not a browser route passes, in this order, the credential (Bearer token or login
// cookie) → the authentication (one throttled, constant-time token check) → the browser rule
// (browser_auth.hpp), before the listener dispatches it. Each listener supplies only what is its
// own: how a token is checked, its throttle, and the sentence a request without a token gets.
// The Host and Origin screen that comes before any route (front_door_violation) is here too, as
// the coroutine both accept loops call.
//
// The decision (admit) is pure over a request head; pass_front_door and screen_request answer
// refusals on an exchange. Refusals are the same on both listeners: a throttled source gets 429
// (also without a token), a missing or refused token 401 with a Bearer challenge, both closing the
// connection; a cookie without its CSRF header, or a foreign Origin, 403.
//
// Thread-safety: a door is immutable after construction except for the throttle it points to;
// use it on its listener's io_context thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "rstream/base/auth_throttle.hpp"
#include "rstream/transport/http.hpp"
#include "rstream/ui/browser_auth.hpp"

namespace rstream::ui {

/// What a listener's door checks tokens with.
struct token_gate {
  /// Failed checks per source address (null: not throttled). Not owned.
  base::auth_throttle* throttle = nullptr;
  /// True when `token` (never empty) is accepted; compares in constant time. Null: the
  /// listener needs no token (every request passes with credential::none).
  std::function<bool(const std::string& token)> token_valid;
  /// The 401 message for a request that presented no token.
  std::string missing_token_message;
  /// The 401 message for a token that was refused.
  std::string invalid_token_message;
};

/// A refused request: what to answer. The connection closes after it when `close`.
struct door_refusal {
  int status = 403;
  std::string code;
  std::string message;
  bool close = false;
  std::vector<transport::http_header> headers;
};

/// Admitted: how the request authenticated (none on a listener without a token).
struct door_admission {
  credential used = credential::none;
  std::string token;  ///< the accepted token (empty with credential::none)
};

using door_verdict = std::variant<door_admission, door_refusal>;

class listener_door {
 public:
  explicit listener_door(token_gate gate);

  bool auth_required() const { return static_cast<bool>(gate_.token_valid); }

  /// One token check from `peer` ("ADDR:PORT"), counted by the throttle when refused (an empty
  /// token is refused and not counted: it is not a guess).
  base::auth_verdict check_token(std::string_view peer, const std::string& token) const;

  /// Credential → authentication → browser rule for `request` from `peer`.
  door_verdict admit(const transport::http_request& request, std::string_view peer,
                     bool secure) const;

  /// The browser routes' site description, its login checked by check_token from `peer`.
  browser_site site(std::string_view index_asset, std::string peer) const;

 private:
  token_gate gate_;
};

/// admit() on an exchange: answers a refusal itself and returns nullopt, or the admission.
boost::asio::awaitable<std::optional<door_admission>> pass_front_door(
    transport::http_exchange& exchange, const listener_door& door);

/// The Host and Origin screen before any route (front_door_violation): answers and logs a
/// refusal, closing the connection, and returns false; true when the request may go on.
boost::asio::awaitable<bool> screen_request(transport::http_exchange& exchange,
                                            const front_door& rules);

}  // namespace rstream::ui
