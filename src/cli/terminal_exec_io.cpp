// The process's standard streams and terminal for the exec driver (see terminal_exec_io.hpp).
#include "rstream/cli/terminal_exec_io.hpp"

#include <unistd.h>

#include <cerrno>

#include "rstream/cli/stdin_pump.hpp"

namespace asio = boost::asio;

namespace rstream::cli {

bool terminal_exec_io::write_stdout(std::span<const std::uint8_t> bytes) {
  if (raw_mode_) modes_.scan(bytes);
  if (!write_all(STDOUT_FILENO, bytes) && errno == EPIPE) {
    stdout_broken_ = true;
    return false;
  }
  return true;
}

void terminal_exec_io::write_stderr(std::span<const std::uint8_t> bytes) {
  (void)write_all(STDERR_FILENO, bytes);
}

std::unique_ptr<client::stdin_forwarding> terminal_exec_io::start_stdin(asio::io_context& io,
                                                                        stdin_sink sink) {
  stdin_pump_options options;
  options.poll_pipes = !raw_mode_;
  if (raw_mode_ && escapes_) options.filter_escapes = [] { return true; };
  return start_stdin_pump(io, std::move(sink), std::move(options));
}

std::optional<client::window_size> terminal_exec_io::current_window() {
  return terminal_size(STDIN_FILENO);
}

void terminal_exec_io::enter_raw_mode() { terminal_.enable(STDIN_FILENO); }

/// Undoes the modes the command switched on and left on (it was cut off, e.g. by ~.: the
/// alternate screen, a hidden cursor, mouse reporting...), then the line discipline.
void terminal_exec_io::restore_terminal() {
  const std::string reset = modes_.reset_sequence();
  if (!reset.empty() && !stdout_broken_ && ::isatty(STDOUT_FILENO) == 1) {
    (void)write_all(STDOUT_FILENO,
                    std::span(reinterpret_cast<const std::uint8_t*>(reset.data()), reset.size()));
  }
  modes_ = {};
  terminal_.restore();
}

}  // namespace rstream::cli
