// The live attachment's user side (client/live_attachment.hpp): the process's stdin, stdout,
// stderr and terminal as a client::live_io. Stdin goes through the one stdin pump (escapes
// filtered while the terminal is raw); output is written blocking, and the modes the session
// switched on are undone on the way out; notices carry peers' text and are escaped.
//
// Thread-safety: one attachment at a time, on the attachment's I/O thread (plus the
// stdin_reader thread when stdin is read).
#pragma once

#include <unistd.h>

#include "rstream/client/live_attachment.hpp"
#include "rstream/terminal/local_terminal.hpp"

namespace rstream::terminal {

class terminal_live_io final : public client::live_io {
 public:
  bool input_is_terminal() override { return stdin_is_tty_; }
  std::error_code write_output(std::span<const std::uint8_t> bytes) override;
  void notice(const std::string& line) override;
  std::unique_ptr<client::stdin_forwarding> start_stdin(boost::asio::io_context& io,
                                                        client::stdin_sink sink,
                                                        bool escapes) override;
  std::optional<client::window_size> current_window() override;
  void enter_raw_mode(bool keep_interrupt) override;
  bool raw_mode_active() override { return terminal_.active(); }
  /// Puts the local terminal back as it was: the modes the session switched on (alternate
  /// screen, hidden cursor, mouse, bracketed paste, keypad) when we leave in the middle, and
  /// the line discipline.
  void restore_terminal() override;

 private:
  const bool stdin_is_tty_ = ::isatty(STDIN_FILENO) == 1;
  raw_terminal terminal_;
  terminal_stdout stdout_{::isatty(STDOUT_FILENO) == 1};
};

}  // namespace rstream::terminal
