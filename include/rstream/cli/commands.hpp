// Registration of each subcommand on the CLI11 tree. Each add_* function defines the
// subcommand's options and returns a runner that executes it after parsing.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace rstream::cli {

using command_runner = std::function<int()>;
/// The words after the first "--" on the command line (the remote command), split off before
/// CLI11 parses the rest, so that the command's own flags are never taken for ours.
using command_tail = std::vector<std::string>;

/// `rstream webtty server`
command_runner add_webtty_server(CLI::App& webtty);
/// `rstream webtty exec`
command_runner add_webtty_exec(CLI::App& webtty, const command_tail& tail);
/// `rstream webtty client`
command_runner add_webtty_client(CLI::App& webtty, const command_tail& tail);

}  // namespace rstream::cli
