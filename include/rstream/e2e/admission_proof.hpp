// The admission proof of a registered server (docs/security.md, "Registered servers"): when a
// server claims a registered server id, the engine sends a fresh random challenge, and the
// server answers with its enrolled identity's Ed25519 signature over
//
//   "rstream-server-admission-v1" 0x00 | u32 len | server id | u32 len | challenge |
//   SHA-256 of its runtime labels (each key and value as u32 len | bytes, in key order)
//
// so a signature is good for one record, one challenge (one connection) and one set of labels:
// replaying it, moving it to another id, or changing the labels it was made with fails.
//
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rstream/e2e/error.hpp"
#include "rstream/e2e/identity.hpp"

namespace rstream::e2e {

inline constexpr std::size_t admission_challenge_size = 32;
using admission_challenge = std::array<std::uint8_t, admission_challenge_size>;

/// A new random challenge, for one admission.
admission_challenge new_admission_challenge();

/// The exact bytes that are signed (above).
std::vector<std::uint8_t> admission_message(std::string_view server_id,
                                            std::span<const std::uint8_t> challenge,
                                            const std::map<std::string, std::string>& labels);

/// The server's answer: the signature, base64url.
std::string sign_admission(const identity& host, std::string_view server_id,
                           std::span<const std::uint8_t> challenge,
                           const std::map<std::string, std::string>& labels);

/// The engine's check against the enrolled key. Errors: malformed (not a signature),
/// bad_signature (another key, another challenge, id or labels), with a message for users.
result<void> verify_admission(const public_key& enrolled, std::string_view server_id,
                              std::span<const std::uint8_t> challenge,
                              const std::map<std::string, std::string>& labels,
                              std::string_view signature_base64url);

}  // namespace rstream::e2e
