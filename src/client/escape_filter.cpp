// The "~" escapes of keyboard input (see escape_filter.hpp).
#include "rstream/client/escape_filter.hpp"

namespace rstream::client {

std::vector<std::uint8_t> escape_filter::filter(std::span<const std::uint8_t> input, bool& leave) {
  std::vector<std::uint8_t> out;
  out.reserve(input.size() + 1);
  for (auto byte : input) {
    switch (state_) {
      case state::after_newline:
        if (byte == '~') {
          state_ = state::after_tilde;
          continue;
        }
        break;
      case state::after_tilde:
        if (byte == '.') {
          leave = true;
          return out;
        }
        if (command_keys_.find(static_cast<char>(byte)) != std::string::npos) {
          commands_.push_back(static_cast<char>(byte));
          state_ = state::after_newline;  // like ssh: another escape may follow at once
          continue;
        }
        state_ = state::normal;
        out.push_back('~');
        if (byte == '~') continue;
        break;
      case state::normal:
        break;
    }
    out.push_back(byte);
    state_ = (byte == '\r' || byte == '\n') ? state::after_newline : state::normal;
  }
  return out;
}

}  // namespace rstream::client
