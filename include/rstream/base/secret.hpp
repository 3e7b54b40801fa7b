// Secrets: one comparison for every token and shared secret the project checks, and the rule
// for how strong a configured token must be (docs/security.md).
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace rstream::base {

/// True when `given` equals `expected`, in time that depends on neither's contents nor on
/// whether the lengths match (both are hashed first; the digests compare in constant time).
bool secret_equal(std::string_view expected, std::string_view given);

/// A rough upper estimate of a token's entropy in bits: its length times log2 of the alphabet
/// its character classes span (hex digits 16, digits 10, lower 26, upper 26, other 33).
double token_entropy_bits(std::string_view token);

/// The fewest bits a token configured by hand must have: 16 bytes.
inline constexpr double min_token_bits = 128;

/// Why `token` is too weak to protect a server (a message for users), or nullopt.
std::optional<std::string> weak_token_reason(std::string_view token);

}  // namespace rstream::base
