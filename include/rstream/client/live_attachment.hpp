// Attaching to a live session over the message socket /ws/terminal/{id} (docs/api.md): the
// participant's side of the protocol. The session's output goes to live_io byte-exact, local
// input to the session while this participant controls it, control requests and the `~`
// commands (~r ask, ~g grant), the window size on control and on SIGWINCH, and the exit code of
// the session when it ends. Everything that touches the user's terminal and standard streams
// is behind live_io, which the CLI implements (and a test can fake); nothing here prints except
// through live_io::notice. Used by `rstream webtty sessions join` and by `rstream webtty client
// --session/--attach`.
//
// Thread-safety: run_live_attach runs its own io_context on the calling thread; live_io is
// called on that thread only.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "rstream/client/live_sessions_client.hpp"
#include "rstream/client/local_input.hpp"

namespace rstream::client {

/// The user's side of an attachment: the standard streams and the terminal.
class live_io {
 public:
  virtual ~live_io() = default;
  /// Whether stdin is a terminal (raw mode, the window size and the `~` keys need one).
  virtual bool input_is_terminal() = 0;
  /// The session's output (blocking: the backpressure). An error stops the attachment;
  /// std::errc::broken_pipe means stdout's reader went away.
  virtual std::error_code write_output(std::span<const std::uint8_t> bytes) = 0;
  /// A line for the user on stderr (it may hold peers' text: the implementation escapes it).
  virtual void notice(const std::string& line) = 0;
  /// Starts forwarding local stdin into `sink` (on `io`'s thread); with `escapes`, while the
  /// terminal is raw, "~." calls sink.leave and "~r", "~g", "~?" call sink.command.
  virtual std::unique_ptr<stdin_forwarding> start_stdin(boost::asio::io_context& io,
                                                        stdin_sink sink, bool escapes) = 0;
  /// The terminal's size now (stdin's, else stdout's), if there is one.
  virtual std::optional<window_size> current_window() = 0;
  /// Raw mode on stdin's terminal; with `keep_interrupt` Ctrl-C still raises SIGINT (a viewer).
  virtual void enter_raw_mode(bool keep_interrupt) = 0;
  virtual bool raw_mode_active() = 0;
  /// Undoes the modes the session switched on and raw mode; safe to call more than once.
  virtual void restore_terminal() = 0;
};

struct live_attach_options {
  live_server server;
  std::string session;           ///< id (or name) of the session
  std::string participant_name;  ///< ?name= (empty: the server picks)
  bool spectator = false;        ///< ?role=spectator: never controls, stdin never read

  /// How stdin is used (ignored for a spectator).
  enum class input_mode {
    /// Read only while this participant controls the session: nothing is read before control
    /// is first granted; input read while control is away waits (bounded) until it returns.
    hold_until_controller,
    /// Always read (so the detach key works); input typed while another participant controls
    /// the session is dropped with a notice.
    drop_unless_controller,
  };
  input_mode input = input_mode::hold_until_controller;

  /// Raw mode on a local terminal, the window size sent on control and on SIGWINCH.
  bool tty = false;
  /// Raw mode from the start (the client), or only from the first time control is granted.
  bool raw_from_start = false;
  /// "~." after a newline leaves, "~~" sends "~" (in raw mode only).
  bool detach_key = false;

  bool request_control = false;
  std::string reason;  ///< of the control request

  bool quiet = false;  ///< no "joined as ..." or control notices
  /// Say "[session ended, exit code N]" when it ends (the client does).
  bool announce_end = false;
  /// How to attach again, shown after a detach (e.g. the client's command line).
  std::string reattach_hint;
};

/// How an attachment ended, for the CLI to print: `farewell` as it is (a line on stderr:
/// "[session ended, ...]" or "[detached from ...]"), then `message` as an error.
struct live_attach_result {
  int exit_code = 0;
  std::string farewell;
  std::string message;
};

/// Attaches and runs until the session ends (its exit code), the user detaches (0), is
/// interrupted by a signal (128+N), or the connection fails (255).
live_attach_result run_live_attach(const live_attach_options& options, live_io& io);

/// `rstream webtty client --session NAME` (attach, creating the session when there is none by
/// that name) or `--attach ID` (attach only).
struct live_client_request {
  live_server server;
  std::string session_name;  ///< --session
  std::string attach_id;     ///< --attach
  /// For a session that --session creates: its command (empty: the login shell), environment
  /// and working directory.
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env;
  std::string workdir;
  std::string reattach_hint;  ///< see live_attach_options
};

/// Runs the client on a live session: the session's exit code when it ended, 0 after a
/// detach, 2 when a command is given with --attach, 3 when --attach names no session, 128+N on
/// signal N, 255 on connection failure.
live_attach_result run_live_client(const live_client_request& request, live_io& io);

}  // namespace rstream::client
