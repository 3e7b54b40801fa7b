// The process's standard streams and terminal for a live attachment (see terminal_live_io.hpp).
#include "rstream/terminal/terminal_live_io.hpp"

#include <cerrno>

#include "rstream/base/terminal_text.hpp"
#include "rstream/client/stdin_pump.hpp"

namespace rstream::terminal {

std::error_code terminal_live_io::write_output(std::span<const std::uint8_t> bytes) {
  if (stdout_.write(bytes)) return {};
  return std::error_code(errno, std::generic_category());
}

void terminal_live_io::notice(const std::string& line) {
  // In raw mode "\n" does not return the carriage: start and end a line of our own.
  const std::string safe = base::terminal_safe(line);
  const std::string text = terminal_.active() ? "\r\n" + safe + "\r\n" : safe + "\n";
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, text.data(), text.size());
}

std::unique_ptr<client::stdin_forwarding> terminal_live_io::start_stdin(boost::asio::io_context& io,
                                                                        client::stdin_sink sink,
                                                                        bool escapes) {
  client::stdin_pump_options options;
  options.poll_pipes = false;
  options.end_null_device_at_once = false;
  options.chunk_bytes = 64 * 1024;
  if (escapes) options.filter_escapes = [this] { return terminal_.active(); };
  options.command_keys = "rg?";
  return client::start_stdin_pump(io, std::move(sink), std::move(options));
}

std::optional<client::window_size> terminal_live_io::current_window() {
  auto size = terminal_size(STDIN_FILENO);
  return size ? size : terminal_size(STDOUT_FILENO);
}

void terminal_live_io::enter_raw_mode(bool keep_interrupt) {
  terminal_.enable(STDIN_FILENO, keep_interrupt);
}

void terminal_live_io::restore_terminal() {
  stdout_.restore();
  terminal_.restore();
}

}  // namespace rstream::terminal
