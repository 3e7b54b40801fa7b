// The process's standard streams and terminal for the exec driver (see terminal_exec_io.hpp).
#include "rstream/terminal/terminal_exec_io.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "rstream/client/stdin_pump.hpp"

namespace asio = boost::asio;

namespace rstream::terminal {

terminal_exec_io::terminal_exec_io(bool raw_mode, bool escapes)
    : raw_mode_(raw_mode), escapes_(escapes), stdout_(raw_mode && ::isatty(STDOUT_FILENO) == 1) {}

bool terminal_exec_io::write_stdout(std::span<const std::uint8_t> bytes) {
  return stdout_.write(bytes) || errno != EPIPE;
}

void terminal_exec_io::write_stderr(std::span<const std::uint8_t> bytes) {
  (void)write_all(STDERR_FILENO, bytes);
}

std::unique_ptr<client::stdin_forwarding> terminal_exec_io::start_stdin(asio::io_context& io,
                                                                        stdin_sink sink) {
  client::stdin_pump_options options;
  options.poll_pipes = !raw_mode_;
  if (raw_mode_ && escapes_) options.filter_escapes = [] { return true; };
  return client::start_stdin_pump(io, std::move(sink), std::move(options));
}

std::optional<client::window_size> terminal_exec_io::current_window() {
  return terminal_size(STDIN_FILENO);
}

void terminal_exec_io::enter_raw_mode() { terminal_.enable(STDIN_FILENO); }

/// Undoes the modes the command switched on and left on (it was cut off, e.g. by ~.: the
/// alternate screen, a hidden cursor, mouse reporting...), then the line discipline.
void terminal_exec_io::restore_terminal() {
  stdout_.restore();
  terminal_.restore();
}

void fit_to_local_terminal(client::exec_config& config, bool force_stdin, bool interactive) {
  const bool stdin_is_tty = ::isatty(STDIN_FILENO) == 1;
  config.forward_stdin = !stdin_is_tty || force_stdin || interactive;
  config.raw_terminal = config.allocate_tty && stdin_is_tty && config.forward_stdin;
  if (config.allocate_tty) {
    config.window = terminal_size(STDIN_FILENO);
    if (!config.window) config.window = terminal_size(STDOUT_FILENO);
    const char* term = std::getenv("TERM");
    config.local_term = term ? term : "";
  }
}

}  // namespace rstream::terminal
