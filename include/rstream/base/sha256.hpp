// SHA-256 (FIPS 180-4) by libsodium, fed in pieces: the hash chain of a session's recording
// (api/recording_event.hpp) hashes each event's head and payload without joining them.
//
// Thread-safety: one object per thread; the function is pure.
#pragma once

#include <sodium.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace rstream::base {

class sha256 {
 public:
  static constexpr std::size_t digest_size = 32;
  using digest = std::array<std::uint8_t, digest_size>;

  sha256() { crypto_hash_sha256_init(&state_); }

  /// Adds bytes; chainable.
  sha256& update(std::string_view bytes) {
    crypto_hash_sha256_update(&state_, reinterpret_cast<const unsigned char*>(bytes.data()),
                              bytes.size());
    return *this;
  }
  /// The digest of everything added (the object is spent afterwards).
  digest finish() {
    digest out{};
    crypto_hash_sha256_final(&state_, out.data());
    return out;
  }

 private:
  crypto_hash_sha256_state state_{};
};

/// `digest` as 64 lower-case hex digits.
std::string hex_of(const sha256::digest& digest);
/// The digest written as 64 hex digits (either case); false when `hex` is not one.
bool digest_of_hex(std::string_view hex, sha256::digest& out);

}  // namespace rstream::base
