// Secret comparison and token strength (see secret.hpp).
#include "rstream/base/secret.hpp"

#include <sodium.h>

#include <cctype>
#include <cmath>

namespace rstream::base {

bool secret_equal(std::string_view expected, std::string_view given) {
  unsigned char a[crypto_generichash_BYTES];
  unsigned char b[crypto_generichash_BYTES];
  crypto_generichash(a, sizeof a, reinterpret_cast<const unsigned char*>(expected.data()),
                     expected.size(), nullptr, 0);
  crypto_generichash(b, sizeof b, reinterpret_cast<const unsigned char*>(given.data()),
                     given.size(), nullptr, 0);
  return sodium_memcmp(a, b, sizeof a) == 0;
}

double token_entropy_bits(std::string_view token) {
  bool digit = false, hex_lower = false, hex_upper = false, lower = false, upper = false,
       other = false;
  for (unsigned char c : token) {
    if (std::isdigit(c)) {
      digit = true;
    } else if (c >= 'a' && c <= 'f') {
      hex_lower = true;
    } else if (c >= 'A' && c <= 'F') {
      hex_upper = true;
    } else if (std::islower(c)) {
      lower = true;
    } else if (std::isupper(c)) {
      upper = true;
    } else {
      other = true;
    }
  }
  double alphabet = 0;
  if (!lower && !upper && !other && !(hex_lower && hex_upper)) {
    alphabet = (hex_lower || hex_upper) ? 16 : 10;  // hex digits, or digits only
  } else {
    alphabet = (digit ? 10 : 0) + ((lower || hex_lower) ? 26 : 0) +
               ((upper || hex_upper) ? 26 : 0) + (other ? 33 : 0);
  }
  if (token.empty() || alphabet < 2) return 0;
  return static_cast<double>(token.size()) * std::log2(alphabet);
}

std::optional<std::string> weak_token_reason(std::string_view token) {
  const double bits = token_entropy_bits(token);
  if (bits >= min_token_bits) return std::nullopt;
  return "the token is too weak to protect a server: it needs at least 16 bytes of entropy "
         "(this one has at most " +
         std::to_string(static_cast<int>(bits)) + " bits); generate one with: openssl rand -hex 32";
}

}  // namespace rstream::base
