// The two commands that attach this process's terminal to a live session
// (client/live_attachment.hpp, through terminal::terminal_live_io) — `rstream webtty sessions
// join` and `rstream webtty client --session/--attach` — which print the attachment's farewell
// and error and return its exit code.
//
// Thread-safety: one attachment at a time, on the calling thread (plus the stdin_reader thread
// when stdin is read).
#pragma once

#include <string>

#include "rstream/client/live_attachment.hpp"

namespace rstream::cli {

/// Attaches this process's terminal (or stdin/stdout) and prints how it ended; the exit code.
int attach_terminal(const client::live_attach_options& options);

/// `rstream webtty client --session NAME` or `--attach ID`: resolves `url` to the server that
/// `request` goes to, runs the client on the live session (client::run_live_client) and prints;
/// the exit code.
int run_live_client(const std::string& url, const transport::connect_options& connect,
                    client::live_client_request request);

}  // namespace rstream::cli
