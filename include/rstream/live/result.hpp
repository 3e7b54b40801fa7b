// Errors of the live layer: why an operation on a live session was refused, as a stable code
// (enum + std::error_code category "rstream.live") and a message for humans, and result<T>, which
// carries either a value or that error.
//
// Refusals are expected outcomes (a spectator resolving a request, a duplicate request, ...), so
// they are values, never exceptions. The HTTP layer maps codes to statuses: invalid_argument →
// 400, not_controller → 403, unknown_* → 404, the rest (conflicts with the current state) → 409.
// Thread-safety: plain values.
#pragma once

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

/// Either a value or an error. `result<void>` carries only the error (or success).
template <typename T>
class [[nodiscard]] result {
 public:
  result(T value) : v_(std::move(value)) {}    // NOLINT(google-explicit-constructor)
  result(live::error e) : v_(std::move(e)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  /// The value; only valid when ok().
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  /// The error; code is errc::ok when ok().
  const live::error& error() const {
    static const live::error none{};
    return ok() ? none : std::get<1>(v_);
  }
  errc code() const { return error().code; }

 private:
  std::variant<T, live::error> v_;
};

template <>
class [[nodiscard]] result<void> {
 public:
  result() = default;
  result(live::error e) : error_(std::move(e)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return error_.code == errc::ok; }
  explicit operator bool() const { return ok(); }
  const live::error& error() const { return error_; }
  errc code() const { return error_.code; }

 private:
  live::error error_;
};

/// Shorthand for building a refusal: `return fail(errc::not_controller, "...")`.
inline live::error fail(errc code, std::string message) { return {code, std::move(message)}; }

}  // namespace rstream::live

template <>
struct std::is_error_code_enum<rstream::live::errc> : std::true_type {};
