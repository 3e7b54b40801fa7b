// Errors of the e2e layer: a stable code for programs and a message for humans, and a small
// result<T> (value or error) that every fallible e2e function returns.
//
// Bad peer input and bad files are errors (never exceptions, never aborts); exceptions are only
// for caller bugs (calling a handshake step out of order) and exhausted memory.
// Thread-safety: plain values.
#pragma once

#include "rstream/base/result.hpp"

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

/// A value or an e2e error (base/result.hpp).
template <typename T>
using result = base::result<T, e2e::error>;

/// Shorthand for building an error.
inline e2e::error make_error(errc code, std::string message) { return {code, std::move(message)}; }

}  // namespace rstream::e2e
