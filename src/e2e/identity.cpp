// Identities, endpoint identity strings, fingerprints and name rules (see identity.hpp).
#include "rstream/e2e/identity.hpp"

#include <sodium.h>

#include <algorithm>
#include <stdexcept>

#include "rstream/e2e/sodium.hpp"

namespace rstream::e2e {
namespace {

constexpr std::size_t encoded_key_size = 43;  // base64url, no padding, of 32 bytes

std::string encode_base64(std::span<const std::uint8_t> bytes, int variant) {
  ensure_sodium();
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), variant);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

/// A short, printable rendition of untrusted text for error messages.
std::string quoted(std::string_view text) {
  std::string out = "'";
  for (char c : text.substr(0, 80)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  if (text.size() > 80) out += "...";
  return out + "'";
}

/// The line without surrounding white space.
std::string_view text_of_line(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  const auto last = text.find_last_not_of(" \t\r\n");
  return first == std::string_view::npos ? std::string_view()
                                         : text.substr(first, last - first + 1);
}

}  // namespace

std::string base64url(std::span<const std::uint8_t> bytes) {
  return encode_base64(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

bool from_base64url(std::string_view text, std::span<std::uint8_t> out) {
  ensure_sodium();
  if (text.size() !=
      sodium_base64_ENCODED_LEN(out.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING) - 1) {
    return false;
  }
  std::size_t decoded = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &decoded, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      decoded != out.size() || end != text.data() + text.size()) {
    return false;
  }
  // Canonical form only: one text per key.
  return base64url(out) == text;
}

// ---- public_key ----

result<public_key> public_key::from_bytes(std::span<const std::uint8_t> bytes) {
  ensure_sodium();
  if (bytes.size() != public_key_size) {
    return make_error(errc::bad_key,
                      "a public key is 32 bytes, got " + std::to_string(bytes.size()));
  }
  // A canonical point on the curve, not of small order, in the main subgroup. That is every
  // check crypto_sign_ed25519_pk_to_curve25519 makes, so x25519_public cannot fail on it; not
  // converting here as well saves a second subgroup check (about 0.3 ms) per handshake.
  if (crypto_core_ed25519_is_valid_point(bytes.data()) != 1) {
    return make_error(errc::bad_key, "not a valid Ed25519 public key");
  }
  public_key key;
  std::copy(bytes.begin(), bytes.end(), key.bytes_.begin());
  return key;
}

result<public_key> public_key::parse(std::string_view text) {
  auto decoded = decode_stored(text);
  if (!decoded) return decoded;
  auto key = from_bytes(decoded->bytes_);
  if (!key) {
    return make_error(errc::bad_key, quoted(text_of_line(text)) +
                                         " does not hold a usable key: " + key.error().message);
  }
  return key;
}

result<public_key> public_key::decode_stored(std::string_view text) {
  const std::string_view trimmed = text_of_line(text);
  const std::string expected = "expected " + std::string(endpoint_identity_prefix) +
                               "<43 characters>, as printed by `rstream webtty identity show "
                               "--name NAME --endpoint-identity`";
  if (trimmed.empty()) {
    return make_error(errc::bad_identity_string, "empty endpoint identity; " + expected);
  }
  if (!trimmed.starts_with(endpoint_identity_prefix)) {
    return make_error(errc::bad_identity_string,
                      quoted(trimmed) + " is not an endpoint identity; " + expected);
  }
  const std::string_view encoded = trimmed.substr(endpoint_identity_prefix.size());
  std::array<std::uint8_t, public_key_size> bytes{};
  if (encoded.size() != encoded_key_size || !from_base64url(encoded, bytes)) {
    return make_error(errc::bad_identity_string,
                      quoted(trimmed) +
                          " is not an endpoint identity (the key part is not 43 base64url "
                          "characters; was it cut when copied?); " +
                          expected);
  }
  public_key key;
  key.bytes_ = bytes;
  return key;
}

std::string public_key::to_string() const {
  return std::string(endpoint_identity_prefix) + base64url(bytes_);
}

std::string public_key::fingerprint() const {
  ensure_sodium();
  std::array<std::uint8_t, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), bytes_.data(), bytes_.size());
  return "SHA256:" +
         encode_base64(std::span(digest).first(16), sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}

// ---- identity ----

identity identity::from_seed(std::span<const std::uint8_t, seed_size> seed) {
  ensure_sodium();
  identity id;
  std::array<std::uint8_t, public_key_size> pk{};
  crypto_sign_seed_keypair(pk.data(), id.secret_.data(), seed.data());
  // A key derived from a seed is a valid point by construction: no curve check needed (it
  // costs as much as deriving the key; a unit test checks a sample of them).
  id.public_.bytes_ = pk;
  return id;
}

identity identity::generate(randomness& rng) {
  std::array<std::uint8_t, seed_size> seed{};
  rng.fill(seed);
  identity id = from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  return id;
}

identity::identity(const identity&) = default;
identity& identity::operator=(const identity&) = default;
identity::~identity() { sodium_memzero(secret_.data(), secret_.size()); }

signature identity::sign(std::span<const std::uint8_t> message) const {
  ensure_sodium();
  signature sig{};
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), secret_.data());
  return sig;
}

std::array<std::uint8_t, 32> identity::x25519_secret() const {
  std::array<std::uint8_t, 32> out{};
  crypto_sign_ed25519_sk_to_curve25519(out.data(), secret_.data());
  return out;
}

bool verify_signature(const public_key& key, std::span<const std::uint8_t> message,
                      std::span<const std::uint8_t, signature_size> sig) {
  ensure_sodium();
  return crypto_sign_verify_detached(sig.data(), message.data(), message.size(),
                                     key.bytes().data()) == 0;
}

std::array<std::uint8_t, 32> x25519_public(const public_key& key) {
  ensure_sodium();
  std::array<std::uint8_t, 32> out{};
  // Cannot fail for keys that from_bytes accepted; a default (all-zero) key is a caller bug.
  if (crypto_sign_ed25519_pk_to_curve25519(out.data(), key.bytes().data()) != 0) {
    throw std::logic_error("x25519_public of an unchecked public key");
  }
  return out;
}

// ---- names ----

result<void> check_identity_name(std::string_view name, std::string_view what) {
  const std::string label(what);
  if (name.empty()) return make_error(errc::bad_name, label + " must not be empty");
  if (name.size() > 64) {
    return make_error(errc::bad_name, label + " " + quoted(name) + " is longer than 64 characters");
  }
  for (char c : name) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!allowed) {
      return make_error(errc::bad_name, label + " " + quoted(name) +
                                            " may only contain letters, digits, '.', '_' and "
                                            "'-'");
    }
  }
  if (name.front() == '.' || name.front() == '-') {
    return make_error(errc::bad_name,
                      label + " " + quoted(name) + " must not start with '.' or '-'");
  }
  return {};
}

result<void> check_server_name(std::string_view name) {
  if (name.empty()) return make_error(errc::bad_name, "server name must not be empty");
  if (name.size() > 255) {
    return make_error(errc::bad_name,
                      "server name " + quoted(name) + " is longer than 255 characters");
  }
  if (name.find("://") != std::string_view::npos) {
    return make_error(errc::bad_name, "server name " + quoted(name) +
                                          " looks like a URL; use the tunnel name (NAME of "
                                          "rstrm://NAME) or HOST:PORT");
  }
  for (char c : name) {
    if (c <= 0x20 || c >= 0x7f || c == '/' || c == '\\' || c == '"' || c == '\'') {
      return make_error(errc::bad_name,
                        "server name " + quoted(name) +
                            " must be a tunnel name or HOST:PORT: printable characters without "
                            "spaces, quotes, '/' or '\\'");
    }
  }
  return {};
}

}  // namespace rstream::e2e
