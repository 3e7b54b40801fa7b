// The local end of a remote command: the user's terminal in raw mode (restored on every way
// out), its window size, and blocking writes of output to stdout/stderr (which is the
// backpressure towards the server); stdin is client/stdin_pump.hpp's. The `~`
// escapes and the modes a remote program left on are client::escape_filter and
// client::terminal_mode_tracker.
// Thread-safety: raw_terminal and terminal_stdout on the main thread.
#pragma once

#include <termios.h>

#include <cstdint>
#include <optional>
#include <span>
#include <utility>

#include "rstream/base/write_all.hpp"
#include "rstream/client/terminal_mode_tracker.hpp"

namespace rstream::terminal {

/// Puts a terminal in raw mode (like ssh) and restores it on restore()/destruction, at exit(),
/// and on SIGTERM/SIGHUP/SIGINT handled by the caller.
class raw_terminal {
 public:
  raw_terminal() = default;
  ~raw_terminal() { restore(); }
  raw_terminal(const raw_terminal&) = delete;
  raw_terminal& operator=(const raw_terminal&) = delete;

  /// Raw mode. With `keep_interrupt` the terminal still turns Ctrl-C into SIGINT (and only
  /// Ctrl-C: no SIGQUIT, no job-control stop): for a viewer that sends nothing, which must not
  /// echo what is typed but must stay easy to leave.
  bool enable(int fd, bool keep_interrupt = false);
  void restore();
  bool active() const { return active_; }

 private:
  int fd_ = -1;
  termios saved_{};
  bool active_ = false;
};

/// The window size of the terminal on fd, if it is one.
std::optional<std::pair<std::uint16_t, std::uint16_t>> terminal_size(int fd);

/// Writes everything (base/write_all.hpp).
using base::write_all;

/// Stdout for a remote program's output, written blocking (the backpressure). With
/// `track_modes` (stdout is the user's terminal) the modes the program switches on (alternate
/// screen, hidden cursor, mouse, bracketed paste, keypad) are tracked, and restore() undoes
/// those it left on, unless stdout's reader went away.
class terminal_stdout {
 public:
  explicit terminal_stdout(bool track_modes) : track_modes_(track_modes) {}
  /// False, with errno set, when the write failed (EPIPE: stdout's reader went away).
  bool write(std::span<const std::uint8_t> bytes);
  /// Writes what undoes the modes still on; safe to call more than once.
  void restore();

 private:
  const bool track_modes_;
  bool broken_ = false;
  client::terminal_mode_tracker modes_;
};

}  // namespace rstream::terminal
