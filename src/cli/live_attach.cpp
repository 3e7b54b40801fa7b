// The terminal side of a live attachment (see live_attach.hpp).
#include "rstream/cli/live_attach.hpp"

#include <unistd.h>

#include <cerrno>

#include "rstream/cli/common.hpp"
#include "rstream/cli/local_terminal.hpp"
#include "rstream/client/stdin_pump.hpp"

namespace rstream::cli {
namespace {

/// The process's standard streams and terminal for client::run_live_attach.
class terminal_live_io final : public client::live_io {
 public:
  bool input_is_terminal() override { return stdin_is_tty_; }

  std::error_code write_output(std::span<const std::uint8_t> bytes) override {
    if (stdout_.write(bytes)) return {};
    return std::error_code(errno, std::generic_category());
  }

  void notice(const std::string& line) override {
    // In raw mode "\n" does not return the carriage: start and end a line of our own.
    // Notices carry peers' text (names, messages): escaped before they reach the terminal.
    const std::string safe = terminal_safe(line);
    const std::string text = terminal_.active() ? "\r\n" + safe + "\r\n" : safe + "\n";
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, text.data(), text.size());
  }

  std::unique_ptr<client::stdin_forwarding> start_stdin(boost::asio::io_context& io,
                                                        client::stdin_sink sink,
                                                        bool escapes) override {
    client::stdin_pump_options options;
    options.poll_pipes = false;
    options.end_null_device_at_once = false;
    options.chunk_bytes = 64 * 1024;
    if (escapes) options.filter_escapes = [this] { return terminal_.active(); };
    options.command_keys = "rg?";
    return client::start_stdin_pump(io, std::move(sink), std::move(options));
  }

  std::optional<client::window_size> current_window() override {
    auto size = terminal_size(STDIN_FILENO);
    return size ? size : terminal_size(STDOUT_FILENO);
  }

  void enter_raw_mode(bool keep_interrupt) override {
    terminal_.enable(STDIN_FILENO, keep_interrupt);
  }
  bool raw_mode_active() override { return terminal_.active(); }

  /// Puts the local terminal back as it was: the modes the session switched on (alternate
  /// screen, hidden cursor, mouse, bracketed paste, keypad) when we leave in the middle, and
  /// the line discipline.
  void restore_terminal() override {
    stdout_.restore();
    terminal_.restore();
  }

 private:
  const bool stdin_is_tty_ = ::isatty(STDIN_FILENO) == 1;
  raw_terminal terminal_;
  terminal_stdout stdout_{::isatty(STDOUT_FILENO) == 1};
};

int report(const client::live_attach_result& result) {
  if (!result.farewell.empty()) {
    const std::string line = terminal_safe(result.farewell) + "\n";
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
  }
  if (!result.message.empty()) print_error(result.message);
  return result.exit_code;
}

}  // namespace

int attach_terminal(const client::live_attach_options& options) {
  terminal_live_io io;
  return report(client::run_live_attach(options, io));
}

int run_live_client(const std::string& url, const transport::connect_options& connect,
                    client::live_client_request request) {
  auto server = client::resolve_live_server(url, connect);
  if (!server) {
    print_error(server.error().message);
    return server.error().exit_code;
  }
  request.server = std::move(*server);
  request.reattach_hint = "rstream webtty client --url " + url +
                          (request.session_name.empty() ? " --attach " + request.attach_id
                                                        : " --session " + request.session_name);
  terminal_live_io io;
  return report(client::run_live_client(request, io));
}

}  // namespace rstream::cli
