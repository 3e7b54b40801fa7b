// The terminal modes a remote program left on (see terminal_mode_tracker.hpp).
#include "rstream/client/terminal_mode_tracker.hpp"

#include <iterator>

namespace rstream::client {

namespace {

/// A private mode (CSI ? N h / l) worth undoing, and whether it is on in a fresh terminal.
struct tracked_mode {
  int number;
  bool on_by_default;
};
// Undone in this order: input modes first, then the screen buffer, then the cursor.
constexpr tracked_mode tracked_modes[] = {
    {9, false},    {1000, false}, {1001, false}, {1002, false}, {1003, false},
    {1004, false}, {1005, false}, {1006, false}, {1015, false}, {2004, false},
    {1, false},    {1049, false}, {1047, false}, {47, false},   {25, true},
};
constexpr int keypad_bit = 31;
constexpr std::size_t max_params = 64;

}  // namespace

void terminal_mode_tracker::apply_private_modes(bool set) {
  std::size_t start = 0;
  while (start <= params_.size()) {
    std::size_t end = params_.find(';', start);
    if (end == std::string::npos) end = params_.size();
    int number = 0;
    bool valid = end > start && end - start <= 5;
    for (std::size_t i = start; valid && i < end; ++i) number = number * 10 + (params_[i] - '0');
    if (valid) {
      for (std::size_t bit = 0; bit < std::size(tracked_modes); ++bit) {
        if (tracked_modes[bit].number != number) continue;
        // A bit is set when the mode differs from its default.
        const bool differs = set != tracked_modes[bit].on_by_default;
        if (differs) {
          on_ |= 1u << bit;
        } else {
          on_ &= ~(1u << bit);
        }
      }
    }
    start = end + 1;
  }
}

void terminal_mode_tracker::scan(std::span<const std::uint8_t> output) {
  for (const std::uint8_t byte : output) {
    switch (state_) {
      case state::ground:
        if (byte == 0x1b) state_ = state::escape;
        break;
      case state::escape:
        state_ = state::ground;
        if (byte == '[') {
          state_ = state::csi;
          private_ = false;
          params_.clear();
        } else if (byte == '=') {
          on_ |= 1u << keypad_bit;
        } else if (byte == '>') {
          on_ &= ~(1u << keypad_bit);
        } else if (byte == 'c') {
          on_ = 0;  // full reset
        } else if (byte == 0x1b) {
          state_ = state::escape;
        }
        break;
      case state::csi:
      case state::csi_ignore:
        if (byte == '?' && params_.empty() && !private_) {
          private_ = true;
        } else if ((byte >= '0' && byte <= '9') || byte == ';') {
          if (params_.size() < max_params) {
            params_.push_back(static_cast<char>(byte));
          } else {
            state_ = state::csi_ignore;
          }
        } else if (byte >= 0x40 && byte <= 0x7e) {
          if (state_ == state::csi && private_ && (byte == 'h' || byte == 'l')) {
            apply_private_modes(byte == 'h');
          }
          state_ = state::ground;
        } else if (byte == 0x1b) {
          state_ = state::escape;
        } else if (byte < 0x20 || byte > 0x7e) {
          state_ = state::ground;  // not a sequence after all
        } else {
          state_ = state::csi_ignore;  // intermediate bytes: not one of ours
        }
        break;
    }
  }
}

std::string terminal_mode_tracker::reset_sequence() const {
  std::string out;
  for (std::size_t bit = 0; bit < std::size(tracked_modes); ++bit) {
    if ((on_ & (1u << bit)) == 0) continue;
    out += "\x1b[?" + std::to_string(tracked_modes[bit].number) +
           (tracked_modes[bit].on_by_default ? "h" : "l");
    if (tracked_modes[bit].number == 1) out += "\x1b>";  // keypad with the cursor keys
  }
  if ((on_ & (1u << keypad_bit)) != 0 && out.find("\x1b>") == std::string::npos) out += "\x1b>";
  return out;
}

}  // namespace rstream::client
