// Errors of the e2e layer: a stable code for programs and a message for humans, and a small
// result<T> (value or error) that every fallible e2e function returns.
//
// Bad peer input and bad files are errors (never exceptions, never aborts); exceptions are only
// for caller bugs (calling a handshake step out of order) and exhausted memory.
// Thread-safety: plain values.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace rstream::e2e {

/// What went wrong. code_name() gives each a stable lower_snake word for logs and Error frames.
enum class errc {
  // handshake messages
  malformed,            ///< wrong length or structure
  bad_version,          ///< the peer speaks another E2E protocol version
  unexpected_message,   ///< a message of the wrong type, or at the wrong time
  bad_key,              ///< a public key that is not a usable curve point
  decrypt_failed,       ///< a handshake message does not authenticate (tampered or replayed)
  bad_signature,        ///< a transcript signature does not verify
  not_pinned,           ///< client: the server's identity is not in known servers
  key_changed,          ///< client: the server presented a different key than the pinned one
  unauthorized_client,  ///< server: the client's key is not an authorized client
  handshake_failed,     ///< a step after an earlier failure (failures are final)
  // sealed frames
  truncated,       ///< shorter than a counter and a tag
  replayed,        ///< counter already used
  out_of_order,    ///< counter ahead of the next expected one (a frame missing or reordered)
  tampered,        ///< authentication tag does not verify
  channel_failed,  ///< a frame after an earlier failure (failures are final)
  // key files
  bad_name,             ///< an identity or entry name that is not allowed
  bad_identity_string,  ///< text that is not an rstream-e2e-v1:... endpoint identity
  not_found,
  already_exists,
  insecure_file,  ///< a key file others can read or write, or owned by someone else
  corrupt_file,   ///< unparsable or inconsistent content
  io_error,
};

/// Stable word for a code, e.g. "key_changed".
const char* code_name(errc code);

struct error {
  errc code = errc::malformed;
  std::string message;  ///< a full sentence for users; never contains secret key material
};

/// A value or an error. Accessing the wrong alternative is a caller bug (std::logic_error).
template <typename T>
class [[nodiscard]] result {
 public:
  result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  result(e2e::error e) : v_(std::in_place_index<1>, std::move(e)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return check(), std::get<0>(v_); }
  const T& value() const& { return check(), std::get<0>(v_); }
  T&& value() && { return check(), std::move(std::get<0>(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const e2e::error& error() const {
    if (ok()) throw std::logic_error("e2e::result: error() on a value");
    return std::get<1>(v_);
  }

 private:
  void check() const {
    if (!ok())
      throw std::logic_error("e2e::result: value() on an error: " + std::get<1>(v_).message);
  }
  std::variant<T, e2e::error> v_;
};

/// Success without a value, or an error.
template <>
class [[nodiscard]] result<void> {
 public:
  result() = default;
  result(e2e::error e) : error_(std::move(e)) {}

  bool ok() const { return !error_; }
  explicit operator bool() const { return ok(); }
  const e2e::error& error() const {
    if (ok()) throw std::logic_error("e2e::result: error() on success");
    return *error_;
  }

 private:
  std::optional<e2e::error> error_;
};

/// Shorthand for building an error.
inline e2e::error make_error(errc code, std::string message) { return {code, std::move(message)}; }

}  // namespace rstream::e2e
