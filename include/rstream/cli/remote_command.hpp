// Running one command on a WebTTY server and mirroring it locally: what `exec` and `client`
// share. Decides from the local terminal what to forward (terminal::fit_to_local_terminal), runs
// client::run_exec with the process's streams (terminal::terminal_exec_io), and prints the JSON
// report and the error line.
// Thread-safety: run_remote_command blocks the calling thread for the whole run.
#pragma once

#include "rstream/client/exec_driver.hpp"

namespace rstream::cli {

struct remote_command_options {
  client::exec_config exec;         ///< url, command, env, workdir, tty, timeout, connect, E2E...
  bool force_stdin = false;         ///< -i: forward stdin even when it is a terminal
  bool interactive_client = false;  ///< `client`: raw mode, SIGWINCH, "~." escape
};

/// Runs the command; returns the local exit code (remote code, 128+N, 127, 124, 255...).
int run_remote_command(remote_command_options options);

}  // namespace rstream::cli
