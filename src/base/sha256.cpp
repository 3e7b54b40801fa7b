// SHA-256 by OpenSSL, and digests as hex (see sha256.hpp).
#include "rstream/base/sha256.hpp"

#include <openssl/evp.h>

#include <new>

namespace rstream::base {
namespace {

/// The algorithm, fetched once: an implicit fetch on every init costs more than hashing a
/// small event.
const EVP_MD* sha256_algorithm() {
  static EVP_MD* const algorithm = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return algorithm;
}

}  // namespace

sha256::sha256() : context_(EVP_MD_CTX_new()) {
  if (!context_ || !sha256_algorithm() ||
      EVP_DigestInit_ex(context_, sha256_algorithm(), nullptr) != 1) {
    EVP_MD_CTX_free(context_);
    throw std::bad_alloc();
  }
}

sha256::~sha256() { EVP_MD_CTX_free(context_); }

sha256& sha256::update(std::string_view bytes) {
  EVP_DigestUpdate(context_, bytes.data(), bytes.size());
  return *this;
}

sha256::digest sha256::finish() {
  digest out{};
  unsigned int size = 0;
  EVP_DigestFinal_ex(context_, out.data(), &size);
  return out;
}

std::string hex_of(const sha256::digest& digest) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * digest.size());
  for (const std::uint8_t byte : digest) {
    out.push_back(digits[byte >> 4]);
    out.push_back(digits[byte & 0x0f]);
  }
  return out;
}

bool digest_of_hex(std::string_view hex, sha256::digest& out) {
  if (hex.size() != 2 * out.size()) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int high = nibble(hex[2 * i]);
    const int low = nibble(hex[2 * i + 1]);
    if (high < 0 || low < 0) return false;
    out[i] = static_cast<std::uint8_t>(high << 4 | low);
  }
  return true;
}

}  // namespace rstream::base
