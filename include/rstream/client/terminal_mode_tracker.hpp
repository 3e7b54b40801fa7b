// The terminal modes a remote program switches on in the user's terminal (alternate screen,
// hidden cursor, mouse reporting, bracketed paste, focus events, application cursor keys and
// keypad), read from its output, and the sequence that switches them back when the user leaves
// in the middle. Pure: it parses untrusted output bytes (fuzz_client_terminal_modes).
//
// Thread-safety: one instance per output stream, used from one thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace rstream::client {

/// Follows the output a remote terminal program writes, for the modes it switches on in the
/// local terminal that outlive it when the user leaves in the middle (the alternate screen, a
/// hidden cursor, mouse reporting, bracketed paste, focus events, application cursor keys and
/// keypad), and says how to switch them back. Sequences may be split across writes; the state
/// is a few bytes.
class terminal_mode_tracker {
 public:
  void scan(std::span<const std::uint8_t> output);
  /// The escape sequences that put the modes seen switched on back to the terminal's defaults
  /// (empty when nothing is to undo).
  std::string reset_sequence() const;

 private:
  void apply_private_modes(bool set);

  enum class state { ground, escape, csi, csi_ignore };
  state state_ = state::ground;
  bool private_ = false;
  std::string params_;
  std::uint32_t on_ = 0;  ///< bit per tracked mode (see local_terminal.cpp)
};

}  // namespace rstream::client
