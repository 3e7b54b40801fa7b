// spawn_refusal (see spawn_refusal.hpp).
#include "rstream/pty/spawn_refusal.hpp"

#include <cerrno>

namespace rstream::pty {

spawn_refusal refusal_for(const spawn_error& error) {
  if (error.stage == spawn_stage::chdir) {
    return {400, "bad_request", "invalid_working_dir", error.message};
  }
  if (error.stage == spawn_stage::exec && error.error == ENOENT) {
    return {400, "command_not_found", "command_not_found", error.message};
  }
  if (error.stage == spawn_stage::exec) {
    return {400, "not_executable", "command_not_executable", error.message};
  }
  return {500, "spawn_failed", "spawn_failed", error.message};
}

}  // namespace rstream::pty
