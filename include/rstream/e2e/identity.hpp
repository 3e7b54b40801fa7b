// Endpoint identities: an Ed25519 signing key pair per identity, its printable public form and
// fingerprint, and the rule for identity and entry names.
//
// One identity is one Ed25519 key pair (libsodium crypto_sign). Its key-agreement key is the
// X25519 key derived from it (crypto_sign_ed25519_{pk,sk}_to_curve25519); the handshake mixes
// it into the session keys besides the signature (docs/security.md). The printable public form,
// the "endpoint identity", is one line:
//
//   rstream-e2e-v1:<base64url without padding of the 32-byte Ed25519 public key>   (58 chars)
//
// and its fingerprint is "SHA256:" + base64 (standard alphabet, no padding) of the first 16
// bytes of SHA-256 of the 32 public key bytes, like ssh's.
// Thread-safety: plain values; an identity may be used for signing from several threads.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "rstream/e2e/error.hpp"
#include "rstream/e2e/randomness.hpp"

namespace rstream::e2e {

inline constexpr std::string_view endpoint_identity_prefix = "rstream-e2e-v1:";
inline constexpr std::size_t public_key_size = 32;
inline constexpr std::size_t signature_size = 64;
inline constexpr std::size_t seed_size = 32;

using signature = std::array<std::uint8_t, signature_size>;

/// The public half of an identity (an Ed25519 public key that is a valid, non-small-order
/// point). Default-constructed: all zero, which no parse or identity ever yields.
class public_key {
 public:
  public_key() = default;
  /// Checks that the bytes are a usable Ed25519 public key (also convertible to X25519).
  static result<public_key> from_bytes(std::span<const std::uint8_t> bytes);
  /// Parses an endpoint identity line ("rstream-e2e-v1:..."); surrounding white space is
  /// ignored. Errors are bad_identity_string (wrong text) or bad_key (not a usable point).
  static result<public_key> parse(std::string_view text);
  /// Decodes an endpoint identity line as parse does, without the curve checks: errors are
  /// bad_identity_string only. For the lists this program stores after parse has checked each
  /// key (pinned servers, authorized clients): such keys are only ever compared with checked
  /// ones, so an entry damaged in the file matches nothing, and reading a list costs no
  /// curve arithmetic per entry.
  static result<public_key> decode_stored(std::string_view text);

  /// The endpoint identity line, "rstream-e2e-v1:...".
  std::string to_string() const;
  /// "SHA256:" + 22 base64 characters.
  std::string fingerprint() const;
  const std::array<std::uint8_t, public_key_size>& bytes() const { return bytes_; }

  bool operator==(const public_key&) const = default;

 private:
  friend class identity;  ///< builds the public half of a key pair without re-checking it
  std::array<std::uint8_t, public_key_size> bytes_{};
};

/// An Ed25519 key pair. The secret is wiped when the object is destroyed.
class identity {
 public:
  /// The key pair of a 32-byte seed (crypto_sign_seed_keypair).
  static identity from_seed(std::span<const std::uint8_t, seed_size> seed);
  /// A new key pair from `rng`'s bytes.
  static identity generate(randomness& rng = system_randomness());

  identity(const identity&);
  identity& operator=(const identity&);
  ~identity();

  const public_key& public_identity() const { return public_; }
  /// The 32-byte seed, for storing in a key file only.
  std::span<const std::uint8_t, seed_size> seed() const {
    return std::span<const std::uint8_t, seed_size>(secret_.data(), seed_size);
  }
  /// Ed25519 signature of `message` (deterministic).
  signature sign(std::span<const std::uint8_t> message) const;
  /// The X25519 secret derived from the signing key (for the handshake's static term).
  std::array<std::uint8_t, 32> x25519_secret() const;

 private:
  identity() = default;
  std::array<std::uint8_t, 64> secret_{};  ///< libsodium layout: seed | public key
  public_key public_;
};

/// True when `sig` is `key`'s Ed25519 signature of `message`.
bool verify_signature(const public_key& key, std::span<const std::uint8_t> message,
                      std::span<const std::uint8_t, signature_size> sig);
/// The X25519 public key derived from an Ed25519 public key.
std::array<std::uint8_t, 32> x25519_public(const public_key& key);

/// Identity names (they become file names): 1..64 characters of [A-Za-z0-9._-], not starting
/// with '.' or '-'. Errors are bad_name, with a message that says what is wrong; `what` names
/// the thing in that message ("identity name", "client name").
result<void> check_identity_name(std::string_view name, std::string_view what = "identity name");
/// Known-server names: a tunnel name (for rstrm://NAME) or HOST:PORT ([V6]:PORT): 1..255
/// printable ASCII characters without spaces, quotes, backslashes or '/'.
result<void> check_server_name(std::string_view name);

// ---- encodings shared by the key files (exposed for tests) ----

/// base64url without padding.
std::string base64url(std::span<const std::uint8_t> bytes);
/// Decodes canonical base64url without padding into exactly `out.size()` bytes.
bool from_base64url(std::string_view text, std::span<std::uint8_t> out);

}  // namespace rstream::e2e
