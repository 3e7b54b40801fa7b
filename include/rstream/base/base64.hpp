// Base64 (RFC 4648 §4, with padding) by libsodium, for bytes that must travel in JSON: the
// exec report's "stdout_base64" and "stderr_base64", and a recording's events that are not UTF-8.
//
// Thread-safety: pure function.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace rstream::base {

/// `bytes` in the standard alphabet, padded with '='.
std::string base64(std::span<const std::uint8_t> bytes);

/// The same for the bytes of a string.
inline std::string base64(std::string_view text) {
  return base64(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

/// The bytes `text` encodes (standard alphabet, padding required, nothing else allowed); nullopt
/// when it is not such a text.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace rstream::base
