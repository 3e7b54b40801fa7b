// Calling the engine's control API from a command: the calls are client/engine_client.hpp's;
// this prints a failed reply's message as "rstream: ..." for the commands that only need that.
// Thread-safety: as print_error.
#pragma once

#include "rstream/cli/common.hpp"
#include "rstream/client/engine_client.hpp"

namespace rstream::cli {

/// True when `reply` succeeded; otherwise prints its message first (its exit_code is the one
/// to return: 1 the engine said no, 255 unreachable or a bad token).
inline bool reply_ok(const client::engine_reply& reply) {
  if (!reply.ok) print_error(reply.message);
  return reply.ok;
}

}  // namespace rstream::cli
