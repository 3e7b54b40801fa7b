// shell_quote (see shell_quote.hpp).
#include "rstream/base/shell_quote.hpp"

namespace rstream::base {

std::string shell_quote(std::string_view word) {
  if (!word.empty() && word.find_first_of(" \t\n'\"\\$`") == std::string_view::npos) {
    return std::string(word);
  }
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace rstream::base
