// Base64 by libsodium (see base64.hpp).
#include "rstream/base/base64.hpp"

#include <sodium.h>

namespace rstream::base {

std::string base64(std::span<const std::uint8_t> bytes) {
  constexpr int variant = sodium_base64_VARIANT_ORIGINAL;
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), variant);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

}  // namespace rstream::base
