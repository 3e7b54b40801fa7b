// The "~" escapes a user types at the start of a line in a raw terminal (like ssh): "~." asks to
// leave, "~~" sends one "~", and "~X" for each command key X is a command for the client. Pure:
// bytes in, bytes out; the CLI's stdin pump runs it over keyboard input.
//
// Thread-safety: one instance per input stream, used from one thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace rstream::client {

/// Filters keyboard input for the "~" escapes (after a newline, like ssh): "~." asks to leave,
/// "~~" sends one "~", and "~X" for each X in `command_keys` is a command for the client
/// (collected, not sent). Everything else passes through unchanged.
class escape_filter {
 public:
  explicit escape_filter(std::string command_keys = {}) : command_keys_(std::move(command_keys)) {}

  /// Returns the bytes to send; sets `leave` when the user typed "~." (nothing after it is
  /// looked at).
  std::vector<std::uint8_t> filter(std::span<const std::uint8_t> input, bool& leave);
  /// The command keys typed since the last call, in order.
  std::string take_commands() { return std::exchange(commands_, {}); }

 private:
  enum class state { normal, after_newline, after_tilde };
  state state_ = state::after_newline;
  std::string command_keys_;
  std::string commands_;
};

}  // namespace rstream::client
