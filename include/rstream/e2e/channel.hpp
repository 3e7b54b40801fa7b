// The E2E record layer: after a handshake, every inner WebTTY frame travels sealed.
//
//   sealed = counter:u64 big-endian | ciphertext (same length as the plaintext) | tag:16
//
// AEAD is ChaCha20-Poly1305-IETF (crypto_aead_chacha20poly1305_ietf) with one key per
// direction, nonce = 4 zero bytes | counter:u64 big-endian, and the 8 counter bytes as
// associated data. Each direction's counter starts at 0 and goes up by one per frame; a
// receiver accepts exactly the next counter, so replayed, reordered, dropped-then-later and
// truncated frames are all refused, each with its own error code. The first failure is final:
// the caller closes the connection.
// Thread-safety: none; one channel belongs to one connection (its reader uses open(), its
// writer seal(); both on one strand).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "rstream/e2e/error.hpp"

namespace rstream::e2e {

inline constexpr std::size_t key_size = 32;
using session_key = std::array<std::uint8_t, key_size>;

class secure_channel {
 public:
  static constexpr std::size_t counter_size = 8;
  static constexpr std::size_t tag_size = 16;
  /// Bytes a sealed frame adds to its plaintext.
  static constexpr std::size_t overhead = counter_size + tag_size;

  /// A channel that seals with `send_key` and opens with `receive_key`. The handshakes build
  /// channels; tests and benchmarks may build one from fixed keys.
  secure_channel(const session_key& send_key, const session_key& receive_key);
  secure_channel(secure_channel&&) noexcept;
  secure_channel& operator=(secure_channel&&) noexcept;
  secure_channel(const secure_channel&) = delete;
  secure_channel& operator=(const secure_channel&) = delete;
  ~secure_channel();

  /// Seals one frame with the next send counter.
  std::vector<std::uint8_t> seal(std::span<const std::uint8_t> plaintext);
  /// Seals head followed by body as one plaintext (e.g. an inner frame's header and payload)
  /// without the caller concatenating them first.
  std::vector<std::uint8_t> seal(std::span<const std::uint8_t> head,
                                 std::span<const std::uint8_t> body);
  /// Seals head followed by body into `buffer` (grown when too small, never shrunk, so a
  /// writer reuses one buffer and pays no allocation per frame). Returns the sealed bytes, a
  /// prefix of `buffer`, valid until the buffer is next used.
  std::span<const std::uint8_t> seal_into(std::span<const std::uint8_t> head,
                                          std::span<const std::uint8_t> body,
                                          std::vector<std::uint8_t>& buffer);
  /// Opens the next frame from the peer. Errors: truncated, replayed, out_of_order, tampered,
  /// channel_failed (after any earlier failure).
  result<std::vector<std::uint8_t>> open(std::span<const std::uint8_t> sealed);
  /// Opens the next frame where it lies: the plaintext replaces the ciphertext and the result
  /// is the plaintext's span inside `sealed` (after the counter). Same errors as open(); on an
  /// error the bytes of `sealed` are unspecified.
  result<std::span<std::uint8_t>> open_in_place(std::span<std::uint8_t> sealed);

  /// Frames sealed so far (= the next send counter).
  std::uint64_t sent() const { return send_counter_; }
  /// Frames opened so far (= the next expected receive counter).
  std::uint64_t received() const { return receive_counter_; }

 private:
  session_key send_key_{};
  session_key receive_key_{};
  std::uint64_t send_counter_ = 0;
  std::uint64_t receive_counter_ = 0;
  bool failed_ = false;
};

}  // namespace rstream::e2e
