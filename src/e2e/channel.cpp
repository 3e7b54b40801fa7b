// The sealed-frame record layer (see channel.hpp).
#include "rstream/e2e/channel.hpp"

#include <openssl/evp.h>
#include <sodium.h>

#include <cstring>
#include <stdexcept>
#include <string>

#include "rstream/e2e/sodium.hpp"

namespace rstream::e2e {
namespace {

static_assert(crypto_aead_chacha20poly1305_ietf_KEYBYTES == key_size);
static_assert(crypto_aead_chacha20poly1305_ietf_ABYTES == secure_channel::tag_size);
static_assert(crypto_aead_chacha20poly1305_ietf_NPUBBYTES == 12);

void put_counter(std::uint8_t* out, std::uint64_t counter) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<std::uint8_t>(counter >> (56 - 8 * i));
}

std::uint64_t get_counter(const std::uint8_t* in) {
  std::uint64_t counter = 0;
  for (int i = 0; i < 8; ++i) counter = (counter << 8) | in[i];
  return counter;
}

// ChaCha20-Poly1305-IETF (RFC 8439), two implementations of the same bytes (the known-answer
// tests pin them, and a test opens large EVP-sealed frames with libsodium):
//  - libsodium's crypto_aead_chacha20poly1305_ietf_*_detached for small frames: keystrokes,
//    Open, Close. It needs no set-up, so a short-lived client (`exec -- true`) never pays
//    OpenSSL's first-use initialisation (about 1-3 ms: providers, configuration file).
//  - OpenSSL's EVP for bulk frames, about three times faster here (vectorised), which is what
//    keeps large E2E transfers close to plaintext speed.
constexpr std::size_t evp_threshold = 16 * 1024;

/// The plaintext comes in two pieces (an inner frame's header and payload), encrypted straight
/// into `out` (head.size() + body.size() bytes), so nobody concatenates them.
bool aead_encrypt(const std::uint8_t* key, const std::uint8_t* nonce, const std::uint8_t* aad,
                  std::size_t aad_size, std::span<const std::uint8_t> head,
                  std::span<const std::uint8_t> body, std::uint8_t* out, std::uint8_t* tag) {
  const std::size_t size = head.size() + body.size();
  if (size < evp_threshold) {
    if (!head.empty()) std::memmove(out, head.data(), head.size());
    if (!body.empty()) std::memmove(out + head.size(), body.data(), body.size());
    unsigned long long tag_size = 0;
    return crypto_aead_chacha20poly1305_ietf_encrypt_detached(out, tag, &tag_size, out, size, aad,
                                                              aad_size, nullptr, nonce, key) == 0;
  }
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (!ctx) return false;
  int n = 0;
  bool ok = EVP_EncryptInit_ex(ctx, EVP_chacha20_poly1305(), nullptr, key, nonce) == 1 &&
            EVP_EncryptUpdate(ctx, nullptr, &n, aad, static_cast<int>(aad_size)) == 1 &&
            (head.empty() ||
             EVP_EncryptUpdate(ctx, out, &n, head.data(), static_cast<int>(head.size())) == 1) &&
            (body.empty() || EVP_EncryptUpdate(ctx, out + head.size(), &n, body.data(),
                                               static_cast<int>(body.size())) == 1) &&
            EVP_EncryptFinal_ex(ctx, out + size, &n) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, secure_channel::tag_size, tag) == 1;
  EVP_CIPHER_CTX_free(ctx);
  return ok;
}

/// False when the tag does not authenticate (or on an internal failure).
bool aead_decrypt(const std::uint8_t* key, const std::uint8_t* nonce, const std::uint8_t* aad,
                  std::size_t aad_size, const std::uint8_t* in, std::size_t size,
                  const std::uint8_t* tag, std::uint8_t* out) {
  if (size < evp_threshold) {
    return crypto_aead_chacha20poly1305_ietf_decrypt_detached(out, nullptr, in, size, tag, aad,
                                                              aad_size, nonce, key) == 0;
  }
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (!ctx) return false;
  int n = 0;
  std::array<std::uint8_t, secure_channel::tag_size> expected{};
  std::memcpy(expected.data(), tag, expected.size());
  bool ok = EVP_DecryptInit_ex(ctx, EVP_chacha20_poly1305(), nullptr, key, nonce) == 1 &&
            EVP_DecryptUpdate(ctx, nullptr, &n, aad, static_cast<int>(aad_size)) == 1 &&
            (size == 0 || EVP_DecryptUpdate(ctx, out, &n, in, static_cast<int>(size)) == 1) &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, secure_channel::tag_size,
                                expected.data()) == 1 &&
            EVP_DecryptFinal_ex(ctx, out + size, &n) == 1;
  EVP_CIPHER_CTX_free(ctx);
  return ok;
}

std::array<std::uint8_t, 12> nonce_for(const std::uint8_t* counter_bytes) {
  std::array<std::uint8_t, 12> nonce{};
  std::memcpy(nonce.data() + 4, counter_bytes, 8);
  return nonce;
}

}  // namespace

secure_channel::secure_channel(const session_key& send_key, const session_key& receive_key)
    : send_key_(send_key), receive_key_(receive_key) {
  ensure_sodium();
}

secure_channel::secure_channel(secure_channel&& other) noexcept
    : send_key_(other.send_key_),
      receive_key_(other.receive_key_),
      send_counter_(other.send_counter_),
      receive_counter_(other.receive_counter_),
      failed_(other.failed_) {
  sodium_memzero(other.send_key_.data(), key_size);
  sodium_memzero(other.receive_key_.data(), key_size);
  other.failed_ = true;  // a moved-from channel must not seal under a zero key
}

secure_channel& secure_channel::operator=(secure_channel&& other) noexcept {
  if (this != &other) {
    send_key_ = other.send_key_;
    receive_key_ = other.receive_key_;
    send_counter_ = other.send_counter_;
    receive_counter_ = other.receive_counter_;
    failed_ = other.failed_;
    sodium_memzero(other.send_key_.data(), key_size);
    sodium_memzero(other.receive_key_.data(), key_size);
    other.failed_ = true;
  }
  return *this;
}

secure_channel::~secure_channel() {
  sodium_memzero(send_key_.data(), key_size);
  sodium_memzero(receive_key_.data(), key_size);
}

std::vector<std::uint8_t> secure_channel::seal(std::span<const std::uint8_t> plaintext) {
  return seal(plaintext, {});
}

std::vector<std::uint8_t> secure_channel::seal(std::span<const std::uint8_t> head,
                                               std::span<const std::uint8_t> body) {
  std::vector<std::uint8_t> out;
  const auto sealed = seal_into(head, body, out);
  out.resize(sealed.size());
  return out;
}

std::span<const std::uint8_t> secure_channel::seal_into(std::span<const std::uint8_t> head,
                                                        std::span<const std::uint8_t> body,
                                                        std::vector<std::uint8_t>& buffer) {
  if (send_counter_ == UINT64_MAX) {
    // 2^64 frames on one connection cannot happen; a bug if it does.
    throw std::length_error("e2e: send counter exhausted");
  }
  const std::size_t length = head.size() + body.size();
  const std::size_t sealed_size = counter_size + length + tag_size;
  if (buffer.size() < sealed_size) buffer.resize(sealed_size);
  std::uint8_t* counter = buffer.data();
  std::uint8_t* text = buffer.data() + counter_size;
  put_counter(counter, send_counter_++);
  const auto nonce = nonce_for(counter);
  if (!aead_encrypt(send_key_.data(), nonce.data(), counter, counter_size, head, body, text,
                    text + length)) {
    throw std::runtime_error("e2e: the AEAD implementation failed to seal a frame");
  }
  return std::span<const std::uint8_t>(buffer.data(), sealed_size);
}

result<std::vector<std::uint8_t>> secure_channel::open(std::span<const std::uint8_t> sealed) {
  std::vector<std::uint8_t> copy(sealed.begin(), sealed.end());
  auto opened = open_in_place(copy);
  if (!opened) return make_error(opened.error().code, opened.error().message);
  return std::vector<std::uint8_t>(opened->begin(), opened->end());
}

result<std::span<std::uint8_t>> secure_channel::open_in_place(std::span<std::uint8_t> sealed) {
  if (failed_) {
    return make_error(errc::channel_failed,
                      "E2E channel already failed; no further frames are accepted");
  }
  auto fail = [this](errc code, std::string message) {
    failed_ = true;
    return make_error(code, std::move(message));
  };
  if (sealed.size() < overhead) {
    return fail(errc::truncated, "sealed frame of " + std::to_string(sealed.size()) +
                                     " bytes is truncated (at least " + std::to_string(overhead) +
                                     ": counter and tag)");
  }
  const std::uint64_t counter = get_counter(sealed.data());
  if (counter < receive_counter_) {
    return fail(errc::replayed, "sealed frame replayed: counter " + std::to_string(counter) +
                                    " was already used (expected " +
                                    std::to_string(receive_counter_) + ")");
  }
  if (counter > receive_counter_) {
    return fail(errc::out_of_order,
                "sealed frame out of order: counter " + std::to_string(counter) + ", expected " +
                    std::to_string(receive_counter_) + " (a frame was dropped or reordered)");
  }
  const std::size_t length = sealed.size() - overhead;
  std::uint8_t* text = sealed.data() + counter_size;
  const auto nonce = nonce_for(sealed.data());
  // In place: the plaintext overwrites the ciphertext.
  if (!aead_decrypt(receive_key_.data(), nonce.data(), sealed.data(), counter_size, text, length,
                    text + length, text)) {
    return fail(errc::tampered, "sealed frame " + std::to_string(counter) +
                                    " does not authenticate (modified or truncated in transit, "
                                    "or sealed with another key)");
  }
  ++receive_counter_;
  return sealed.subspan(counter_size, length);
}

}  // namespace rstream::e2e
