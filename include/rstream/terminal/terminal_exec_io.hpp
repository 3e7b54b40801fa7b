// The exec driver's user side for `exec` and `client`: the process's stdin, stdout, stderr
// and terminal (client::exec_io). Stdin that is a pipe or socket is read on the I/O thread
// (non-blocking, its flags restored at the end); a terminal or regular file by a
// stdin_reader thread; /dev/null is ended at once. `client` in a raw terminal filters the
// `~` escapes; output is written blocking, and the modes a remote program switched on are
// undone on the way out.
//
// Thread-safety: one run on one thread, the driver's I/O thread.
#pragma once

#include "rstream/client/exec_driver.hpp"
#include "rstream/terminal/local_terminal.hpp"

namespace rstream::terminal {

class terminal_exec_io final : public client::exec_io {
 public:
  /// `raw_mode`: the terminal goes raw (exec_config::raw_terminal); `escapes`: `~.` leaves.
  terminal_exec_io(bool raw_mode, bool escapes);

  bool write_stdout(std::span<const std::uint8_t> bytes) override;
  void write_stderr(std::span<const std::uint8_t> bytes) override;
  std::unique_ptr<stdin_forwarding> start_stdin(boost::asio::io_context& io,
                                                stdin_sink sink) override;
  std::optional<client::window_size> current_window() override;
  void enter_raw_mode() override;
  void restore_terminal() override;

 private:
  const bool raw_mode_;
  const bool escapes_;
  raw_terminal terminal_;
  terminal_stdout stdout_;  ///< the modes a program left on matter in a raw terminal
};

/// Decides from the local terminal what a run of `config` forwards: stdin when it is not a
/// terminal (or when `force_stdin` or `interactive`), raw mode for a PTY command with a terminal
/// on stdin, and then the window size and $TERM.
void fit_to_local_terminal(client::exec_config& config, bool force_stdin, bool interactive);

}  // namespace rstream::terminal
