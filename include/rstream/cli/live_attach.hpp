// Attaching this terminal (or stdin/stdout) to a live session over the message socket
// /ws/terminal/{id} (docs/api.md): the session's output to stdout byte-exact, stdin to the
// session while this participant controls it, control requests, resizes, and the exit code of
// the session when it ends. Used by `rstream webtty sessions join` and by `rstream webtty client
// --session/--attach`.
// Thread-safety: run_live_attach runs its own io_context on the calling thread (plus the
// stdin_reader thread when stdin is read).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "rstream/cli/live_api.hpp"

namespace rstream::cli {

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
  /// Print "[session ended, exit code N]" when it ends (the client does).
  bool announce_end = false;
  /// How to attach again, shown after a detach (e.g. the client's command line).
  std::string reattach_hint;
};

/// Attaches and runs until the session ends (its exit code), the user detaches (0), is
/// interrupted by a signal (128+N), or the connection fails (255).
int run_live_attach(const live_attach_options& options);

}  // namespace rstream::cli

namespace rstream::cli {

/// `rstream webtty client --session NAME` (attach, creating the session when there is none by
/// that name) or `--attach ID` (attach only).
struct live_client_request {
  std::string url;
  transport::connect_options connect;
  std::string session_name;  ///< --session
  std::string attach_id;     ///< --attach
  /// For a session that --session creates: its command (empty: the login shell), environment
  /// and working directory.
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env;
  std::string workdir;
};

/// Runs the client on a live session; returns the session's exit code when it ended, 0 after a
/// detach, 3 when --attach names no session, 128+N on signal N, 255 on connection failure.
int run_live_client(const live_client_request& request);

}  // namespace rstream::cli
