// Where the e2e layer gets its random bytes (identity seeds, ephemeral keys): the system's
// CSPRNG in production, or a seeded deterministic generator for known-answer tests.
// Thread-safety: system_randomness() may be used from any thread; a seeded_randomness belongs to
// one thread.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace rstream::e2e {

/// A source of random bytes.
class randomness {
 public:
  virtual ~randomness() = default;
  /// Fills `out` with random bytes.
  virtual void fill(std::span<std::uint8_t> out) = 0;
};

/// libsodium's randombytes_buf (getrandom(2)).
randomness& system_randomness();

/// Deterministic bytes for tests only: call n yields randombytes_buf_deterministic with the
/// seed BLAKE2b-256(key = seed, message = n as u64 big-endian), so the same seed gives the same
/// sequence of fills. Never use it for real keys.
class seeded_randomness final : public randomness {
 public:
  explicit seeded_randomness(const std::array<std::uint8_t, 32>& seed) : seed_(seed) {}
  void fill(std::span<std::uint8_t> out) override;

 private:
  std::array<std::uint8_t, 32> seed_;
  std::uint64_t calls_ = 0;
};

}  // namespace rstream::e2e
