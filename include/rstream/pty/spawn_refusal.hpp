// spawn_refusal: how a command that could not start is reported to whoever asked for it, the
// one rule for every session kind. The exec and terminal sessions send it as an Error frame
// (`code`, docs/protocol.md); the live-session API as an HTTP error (`status`, `api_code`,
// docs/api.md). The two protocols name two of the failures differently (both names are
// public), but the same failure is always the same kind of refusal with the same message.
//
// Thread-safety: a pure function.
#pragma once

#include <string>

#include "rstream/pty/child_process.hpp"

namespace rstream::pty {

struct spawn_refusal {
  /// 400 when the request named something unusable (working directory, command), 500 when
  /// the server itself failed (fork, PTY, pipes, ...).
  int status = 500;
  /// The Error frame code: bad_request, command_not_found, not_executable or spawn_failed
  /// (the client exits 255, 127, 126 or 255).
  std::string code;
  /// The live API's code for the same: invalid_working_dir, command_not_found,
  /// command_not_executable or spawn_failed.
  std::string api_code;
  /// spawn_error::message, for people.
  std::string message;
};

/// The refusal for `error`: chdir → the working directory; exec with ENOENT → not found; any
/// other exec failure → not executable; every other stage → the server's own failure.
spawn_refusal refusal_for(const spawn_error& error);

}  // namespace rstream::pty
