// Runs one remote command for `exec` and `client` (see remote_command.hpp).
#include "rstream/cli/remote_command.hpp"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "rstream/cli/common.hpp"
#include "rstream/terminal/terminal_exec_io.hpp"

namespace rstream::cli {
namespace {

void write_text(int fd, const std::string& text) {
  (void)base::write_all(fd,
                        std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

}  // namespace

int run_remote_command(remote_command_options options) {
  client::exec_config& config = options.exec;
  terminal::fit_to_local_terminal(config, options.force_stdin, options.interactive_client);
  terminal::terminal_exec_io io(config.raw_terminal, options.interactive_client);
  const client::exec_result result = client::run_exec(config, io);
  if (result.report) write_text(STDOUT_FILENO, nlohmann::json(*result.report).dump() + "\n");
  if (!result.message.empty()) {
    // After a full-screen program the cursor may be anywhere: start a line of our own.
    if (result.ran && config.raw_terminal) write_text(STDERR_FILENO, "\r\n");
    print_error(result.message);
  }
  return result.exit_code;
}

}  // namespace rstream::cli
