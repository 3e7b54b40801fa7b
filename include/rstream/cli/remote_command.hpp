// Running one command on a WebTTY server and mirroring it locally: what `exec` and `client`
// share. Handles the local terminal, stdin forwarding, signals, timeout and the JSON report.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "rstream/transport/connect.hpp"

namespace rstream::cli {

struct remote_command_options {
  std::string url;
  std::vector<std::string> argv;  ///< empty: the server's login shell
  std::vector<std::pair<std::string, std::string>> env;
  std::string workdir;
  bool allocate_tty = false;
  bool force_stdin = false;         ///< -i: forward stdin even when it is a terminal
  bool interactive_client = false;  ///< `client`: raw mode, SIGWINCH, "~." escape
  bool json_output = false;
  std::optional<std::chrono::milliseconds> timeout;
  std::chrono::milliseconds heartbeat{0};
  transport::connect_options connect;
  std::string context;          ///< --context: which project context resolves rstrm:// URLs
  std::string client_identity;  ///< --client-identity: answers an E2E server's proof request
};

/// Runs the command; returns the local exit code (remote code, 128+N, 127, 124, 255...).
int run_remote_command(const remote_command_options& options);

}  // namespace rstream::cli
