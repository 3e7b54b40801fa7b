// live_terminal: one persistent terminal of the server (a live session, daemon mode): the
// command in a PTY, driven into the sans-I/O live::live_session_state (scrollback,
// participants, control, events). It reads the PTY as fast as the command writes (participants
// never slow it: see live_session_state), writes the controller's input, applies resizes and
// signals, and notices the end. Observers (WebSocket participants, SSE streams) subscribe an
// async_event of their own and are woken on every change: new output, events, the end, removal.
//
// It keeps running with no participant at all; the registry (live_registry) owns it until it
// is removed (cleanup or expiry once terminated, server shutdown); DELETE only ends it.
// Thread-safety: one single-threaded io_context; everything on its thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "rstream/common/async_event.hpp"
#include "rstream/live_io/live_host.hpp"
#include "rstream/live/live_session_state.hpp"
#include "rstream/pty/async_child.hpp"
#include "rstream/pty/output_drain.hpp"

namespace rstream::server {

/// What to start. An empty options.command means the login shell of the server's user.
struct live_start_request {
  live::session_options options;
  std::vector<std::pair<std::string, std::string>> env;
};

/// Why a terminal could not start: an HTTP status, a stable code and a message for people.
struct live_start_failure {
  int status = 0;
  std::string code;
  std::string message;
};

class live_terminal : public live_io::live_host {
 public:
  /// Spawns the command in a PTY (TERM=xterm-256color). Null with `failure` when it cannot start
  /// (bad working directory, command not found or not executable, ...).
  static std::shared_ptr<live_terminal> start(const boost::asio::any_io_executor& executor,
                                              live_start_request request,
                                              std::chrono::milliseconds kill_grace,
                                              live_start_failure& failure);
  live_terminal(const live_terminal&) = delete;
  live_terminal& operator=(const live_terminal&) = delete;

  live::live_session_state& state() override { return state_; }
  const live::live_session_state& state() const override { return state_; }
  /// When it terminated (steady clock); meaningful once terminated().
  std::chrono::steady_clock::time_point terminated_at() const { return terminated_at_; }
  /// Called once, from the terminal's own handler, when it terminates (the registry uses it
  /// to cap and expire terminated sessions). It must not destroy the terminal synchronously.
  void on_terminated(std::function<void()> callback) { on_terminated_ = std::move(callback); }

  /// Writes input to the PTY, waiting while the terminal does not take it (the caller's
  /// connection is then not read: backpressure). The caller checked authorize_input.
  boost::asio::awaitable<void> write_input(std::span<const std::uint8_t> bytes) override;
  /// Applies a size the state accepted (live_session_state::resize) to the PTY.
  void apply_size() override;
  /// Sends a signal to the terminal's foreground process group, else the command's group (the
  /// caller checked authorize_signal).
  void send_signal(int signal) override;
  /// Ends the process group: SIGHUP, then SIGKILL after the grace period.
  void hang_up();

 private:
  live_terminal(const boost::asio::any_io_executor& executor, live::session_options options,
                std::chrono::milliseconds kill_grace);
  void run(pty::async_child child, pty::child_stdio stdio);
  boost::asio::awaitable<void> read_output();
  boost::asio::awaitable<void> watch_child();
  void maybe_finish();

  boost::asio::any_io_executor executor_;
  live::live_session_state state_;
  std::chrono::milliseconds kill_grace_;
  pty::async_child child_;  // its teardown SIGKILLs and reaps a command still running
  std::optional<boost::asio::posix::stream_descriptor> master_;  // output (reads), resize
  std::optional<boost::asio::posix::stream_descriptor> input_;   // dup of the master, writes
  /// After master_, whose wait it cancels (destroyed first).
  pty::output_drain drain_;
  std::function<void()> on_terminated_;
  std::chrono::steady_clock::time_point terminated_at_{};
  std::vector<std::uint8_t> read_buffer_;
  bool output_done_ = false;
  bool child_exited_ = false;
  int exit_code_ = 0;
  int exit_signal_ = 0;
};

}  // namespace rstream::server
