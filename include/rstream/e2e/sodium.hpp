// libsodium start-up: every e2e entry point calls ensure_sodium() before using libsodium.
// Thread-safety: safe to call from any thread, any number of times.
#pragma once

namespace rstream::e2e {

/// Initializes libsodium once (sodium_init). Throws std::runtime_error if it cannot (no usable
/// random source), which leaves E2E unusable.
void ensure_sodium();

}  // namespace rstream::e2e
