// The exec driver: runs one command on a WebTTY server for `exec` and `client`. Resolves the
// URL (rstrm://NAME through the context's engine, or a direct server), connects, negotiates
// E2E against the pinned server key, runs a client_session, forwards signals (SIGINT/SIGTERM
// → Signal, SIGWINCH → Resize), applies --timeout, and decides the exit code and the JSON
// report. Everything that touches the user's terminal and standard streams is behind
// exec_io, which the CLI implements (and a test can fake); nothing here prints.
//
// Thread-safety: run_exec runs its own io_context on the calling thread; exec_io is called on
// that thread only.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "rstream/api/exec_report.hpp"
#include "rstream/client/client_session.hpp"
#include "rstream/client/local_input.hpp"
#include "rstream/codec/frame.hpp"
#include "rstream/transport/connect.hpp"

namespace rstream::client {

struct exec_config {
  std::string url;                ///< rstrm://NAME, or a direct tcp/tls/ws/wss URL
  std::vector<std::string> argv;  ///< empty: the server's login shell
  std::vector<std::pair<std::string, std::string>> env;
  std::string workdir;
  bool allocate_tty = false;   ///< run the command in a PTY on the server
  bool forward_stdin = false;  ///< send local stdin (else its end at once); Open's "interactive"
  /// The local terminal is in raw mode: a signal means the user gives up (Ctrl-C is a byte),
  /// window changes are forwarded, and an error message starts on a line of its own.
  bool raw_terminal = false;
  bool json_output = false;  ///< capture output for the report instead of writing it
  std::optional<std::chrono::milliseconds> timeout;
  std::chrono::milliseconds heartbeat{0};
  transport::connect_options connect;
  std::string context;                ///< which project context resolves rstrm:// URLs
  std::string client_identity;        ///< answers an E2E server's proof request
  std::optional<window_size> window;  ///< the local terminal's size, for a PTY
  std::string local_term;             ///< $TERM, for a PTY when env has no TERM
  /// What started the session and the group it belongs to, for an engine's session list
  /// (codec::open_request::origin and group; empty: not said).
  std::string origin;
  std::string group;
};

/// The user's side of a run: the standard streams and the terminal. Called on the driver's
/// I/O thread.
class exec_io {
 public:
  using release_fn = client::release_fn;
  using stdin_sink = client::stdin_sink;
  using stdin_forwarding = client::stdin_forwarding;

  virtual ~exec_io() = default;
  /// Output of the remote command (blocking: the backpressure). False when stdout's reader
  /// went away (EPIPE): the run ends like a broken pipe would end it.
  virtual bool write_stdout(std::span<const std::uint8_t> bytes) = 0;
  virtual void write_stderr(std::span<const std::uint8_t> bytes) = 0;
  /// Starts forwarding local stdin into `sink` (on `io`'s thread) once the session exists;
  /// nullptr when nothing keeps running (an empty stdin whose end was sent at once).
  virtual std::unique_ptr<stdin_forwarding> start_stdin(boost::asio::io_context& io,
                                                        stdin_sink sink) = 0;
  /// The terminal's size now (after SIGWINCH), if stdin is one.
  virtual std::optional<window_size> current_window() = 0;
  /// Raw mode on (config.raw_terminal), after stdin started.
  virtual void enter_raw_mode() = 0;
  /// Undoes what raw mode and the remote program switched on; safe to call more than once.
  virtual void restore_terminal() = 0;
};

/// How a run ended, as the driver saw it: the input of the exit-code decision.
struct exec_ending {
  client_outcome outcome;
  bool timed_out = false;
  bool stdout_broken = false;  ///< stdout's reader went away
  bool user_left = false;      ///< `~.`
  int interrupted_by = 0;      ///< the local signal the client gave up on (0: none)
};

/// The local exit code and the error message for the user (empty: none).
struct exec_verdict {
  int exit_code = 0;
  std::string message;
};

/// Decides the exit code: timeout 124, broken stdout 141, a local signal 128+N, else the
/// remote outcome's (its code, 127/126 for spawn errors, 255 for failures).
exec_verdict judge_exec_ending(const exec_ending& ending, const exec_config& config);

/// The JSON report of a run.
api::exec_report make_exec_report(const exec_config& config, const exec_ending& ending,
                                  const exec_verdict& verdict, api::exec_captured_stream out,
                                  api::exec_captured_stream err,
                                  std::chrono::milliseconds duration);

/// The result of run_exec, for the CLI to print: the report (json_output, when the run got
/// as far as connecting), then the message.
struct exec_result {
  int exit_code = 0;
  std::string message;  ///< empty: nothing to say
  std::optional<api::exec_report> report;
  bool ran = false;  ///< the run started (false: the URL or the context was refused)
};

/// Runs the command to its end.
exec_result run_exec(const exec_config& config, exec_io& io);

}  // namespace rstream::client
