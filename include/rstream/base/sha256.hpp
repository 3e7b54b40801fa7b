// SHA-256 (FIPS 180-4) by OpenSSL, fed in pieces: the hash chain of a session's recording
// (api/recording_event.hpp) hashes each event's head and payload without joining them. OpenSSL
// rather than libsodium: it uses the CPU's SHA extensions (about 1.5 GB/s against 0.35 here,
// docs/performance.md "Recordings"), and every byte a recorded session prints is hashed.
//
// Thread-safety: one object per thread; the functions are pure.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace rstream::base {

class sha256 {
 public:
  static constexpr std::size_t digest_size = 32;
  using digest = std::array<std::uint8_t, digest_size>;

  sha256();
  ~sha256();
  sha256(const sha256&) = delete;
  sha256& operator=(const sha256&) = delete;

  /// Adds bytes; chainable.
  sha256& update(std::string_view bytes);
  /// The digest of everything added (the object is spent afterwards).
  digest finish();

 private:
  evp_md_ctx_st* context_;
};

/// `digest` as 64 lower-case hex digits.
std::string hex_of(const sha256::digest& digest);
/// The digest written as 64 hex digits (either case); false when `hex` is not one.
bool digest_of_hex(std::string_view hex, sha256::digest& out);

}  // namespace rstream::base
