// libsodium start-up and the random sources (see sodium.hpp, randomness.hpp).
#include "rstream/e2e/randomness.hpp"

#include <sodium.h>

#include <stdexcept>

#include "rstream/e2e/sodium.hpp"

namespace rstream::e2e {

void ensure_sodium() {
  // sodium_init is itself thread-safe and idempotent; the static only saves the call.
  static const bool ready = [] { return sodium_init() >= 0; }();
  if (!ready) throw std::runtime_error("libsodium could not be initialized (no random source)");
}

namespace {
class system_source final : public randomness {
 public:
  void fill(std::span<std::uint8_t> out) override {
    ensure_sodium();
    randombytes_buf(out.data(), out.size());
  }
};
}  // namespace

randomness& system_randomness() {
  static system_source source;
  return source;
}

void seeded_randomness::fill(std::span<std::uint8_t> out) {
  ensure_sodium();
  std::uint8_t counter[8];
  for (int i = 0; i < 8; ++i) counter[i] = static_cast<std::uint8_t>(calls_ >> (56 - 8 * i));
  ++calls_;
  unsigned char call_seed[randombytes_SEEDBYTES];
  crypto_generichash(call_seed, sizeof call_seed, counter, sizeof counter, seed_.data(),
                     seed_.size());
  randombytes_buf_deterministic(out.data(), out.size(), call_seed);
  sodium_memzero(call_seed, sizeof call_seed);
}

}  // namespace rstream::e2e
