// Stable names of the e2e error codes (see error.hpp).
#include "rstream/e2e/error.hpp"

namespace rstream::e2e {

const char* code_name(errc code) {
  switch (code) {
    case errc::malformed:
      return "malformed";
    case errc::bad_version:
      return "bad_version";
    case errc::unexpected_message:
      return "unexpected_message";
    case errc::bad_key:
      return "bad_key";
    case errc::decrypt_failed:
      return "decrypt_failed";
    case errc::bad_signature:
      return "bad_signature";
    case errc::not_pinned:
      return "not_pinned";
    case errc::key_changed:
      return "key_changed";
    case errc::unauthorized_client:
      return "unauthorized_client";
    case errc::handshake_failed:
      return "handshake_failed";
    case errc::truncated:
      return "truncated";
    case errc::replayed:
      return "replayed";
    case errc::out_of_order:
      return "out_of_order";
    case errc::tampered:
      return "tampered";
    case errc::channel_failed:
      return "channel_failed";
    case errc::bad_name:
      return "bad_name";
    case errc::bad_identity_string:
      return "bad_identity_string";
    case errc::not_found:
      return "not_found";
    case errc::already_exists:
      return "already_exists";
    case errc::insecure_file:
      return "insecure_file";
    case errc::corrupt_file:
      return "corrupt_file";
    case errc::io_error:
      return "io_error";
  }
  return "unknown";
}

}  // namespace rstream::e2e
