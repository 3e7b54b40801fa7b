// Errors of the live layer: why an operation on a live session was refused, as a stable code
// (enum + std::error_code category "rstream.live") and a message for humans, and result<T>, which
// carries either a value or that error.
//
// Refusals are expected outcomes (a spectator resolving a request, a duplicate request, ...), so
// they are values, never exceptions. The HTTP layer maps codes to statuses: invalid_argument →
// 400, not_controller → 403, unknown_* → 404, the rest (conflicts with the current state) → 409.
// Thread-safety: plain values.
#pragma once

#include "rstream/base/result.hpp"

#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace rstream::live {

/// Why an operation was refused. The names (to_string) are stable words for JSON and the CLI.
enum class errc {
  ok = 0,
  invalid_argument,       ///< a malformed id, name, reason, size or offset
  participant_exists,     ///< join with an id that is already a participant
  unknown_participant,    ///< no participant with that id
  too_many_participants,  ///< the session's participant limit is reached
  already_controller,     ///< request_control by the current controller
  request_pending,        ///< request_control while the same participant has one pending
  unknown_request,        ///< no control request with that id (or it was forgotten)
  request_not_pending,    ///< resolve of a request that is already granted/refused/...
  request_not_active,     ///< revoke of a request whose grant is no longer the current control
  not_controller,         ///< the acting participant is not the controller (and not admin)
  no_controller,          ///< revoke while nobody controls the session
  invalid_state,          ///< a lifecycle step out of order (e.g. terminate twice)
};

/// Stable word for a code: "ok", "invalid_argument", "not_controller", ...
const char* to_string(errc code);

const std::error_category& live_category();
std::error_code make_error_code(errc code);

/// A refused operation: a code for programs and a message for humans.
struct error {
  errc code = errc::ok;
  std::string message;
};

/// A value or a live error (base/result.hpp).
template <typename T>
using result = base::result<T, live::error>;

/// Shorthand for building a refusal: `return fail(errc::not_controller, "...")`.
inline live::error fail(errc code, std::string message) { return {code, std::move(message)}; }

}  // namespace rstream::live

template <>
struct std::is_error_code_enum<rstream::live::errc> : std::true_type {};
