// The sealed-frame record layer (see channel.hpp).
#include "rstream/e2e/channel.hpp"

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
  if (send_counter_ == UINT64_MAX) {
    // 2^64 frames on one connection cannot happen; a bug if it does.
    throw std::length_error("e2e: send counter exhausted");
  }
  const std::size_t length = head.size() + body.size();
  std::vector<std::uint8_t> out(counter_size + length + tag_size);
  std::uint8_t* counter = out.data();
  std::uint8_t* text = out.data() + counter_size;
  put_counter(counter, send_counter_++);
  if (!head.empty()) std::memcpy(text, head.data(), head.size());
  if (!body.empty()) std::memcpy(text + head.size(), body.data(), body.size());
  const auto nonce = nonce_for(counter);
  // In place: libsodium allows the ciphertext to overwrite the plaintext.
  crypto_aead_chacha20poly1305_ietf_encrypt_detached(text, text + length, nullptr, text, length,
                                                     counter, counter_size, nullptr, nonce.data(),
                                                     send_key_.data());
  return out;
}

result<std::vector<std::uint8_t>> secure_channel::open(std::span<const std::uint8_t> sealed) {
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
  std::vector<std::uint8_t> plaintext(length);
  const auto nonce = nonce_for(sealed.data());
  if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(
          plaintext.data(), nullptr, sealed.data() + counter_size, length,
          sealed.data() + counter_size + length, sealed.data(), counter_size, nonce.data(),
          receive_key_.data()) != 0) {
    return fail(errc::tampered, "sealed frame " + std::to_string(counter) +
                                    " does not authenticate (modified or truncated in transit, "
                                    "or sealed with another key)");
  }
  ++receive_counter_;
  return plaintext;
}

}  // namespace rstream::e2e
