// Registration of each subcommand on the CLI11 tree. Each add_* function defines its
// subcommands' options and records, for every leaf it adds, a runner that executes it after
// parsing. One file per command family under src/cli/.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "rstream/cli/common.hpp"

namespace CLI {
class App;
}

namespace rstream::cli {

using command_runner = std::function<int()>;
/// The words after the first "--" on the command line (the remote command), split off before
/// CLI11 parses the rest, so that the command's own flags are never taken for ours.
using command_tail = std::vector<std::string>;

/// The runner of each leaf subcommand, keyed by its CLI11 node.
using command_table = std::map<const CLI::App*, command_runner>;

/// Adds leaf subcommand `name` (add_command) whose runner is `run` over a `Flags` of its own:
/// the options added to the returned command fill that `Flags`.
template <typename Flags>
std::pair<CLI::App*, std::shared_ptr<Flags>> add_leaf(CLI::App& parent, command_table& table,
                                                      const std::string& name,
                                                      const std::string& help,
                                                      int (*run)(const Flags&),
                                                      const std::string& footer = {}) {
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = add_command(parent, name, help, footer);
  table[cmd] = [flags, run] { return run(*flags); };
  return {cmd, flags};
}

/// `rstream webtty server`
void add_webtty_server(CLI::App& webtty, command_table& table);
/// `rstream webtty server create|list|show|update|enroll|delete` (registered servers)
void add_webtty_server_records(CLI::App& server, command_table& table);
/// `rstream webtty exec`
void add_webtty_exec(CLI::App& webtty, command_table& table, const command_tail& tail);
/// `rstream webtty client`
void add_webtty_client(CLI::App& webtty, command_table& table, const command_tail& tail);
/// `rstream webtty identity|authorized-client|known-server` (E2E keys)
void add_webtty_e2e_keys(CLI::App& webtty, command_table& table);
/// `rstream webtty list`
void add_webtty_list(CLI::App& webtty, command_table& table);
/// `rstream webtty fs ls|stat|read|write|upload|download|mkdir|rm|mv`
void add_webtty_fs(CLI::App& webtty, command_table& table);
/// `rstream webtty sessions list|info|create|join|...` (live sessions of a server)
void add_webtty_sessions(CLI::App& webtty, command_table& table, const command_tail& tail);
/// `rstream webtty sessions export|verify` (recordings on the context's engine)
void add_webtty_recordings(CLI::App& sessions, command_table& table);
/// `rstream engine` and `rstream engine token create|list|revoke`
void add_engine(CLI::App& app, command_table& table);
/// `rstream project use|list|current`
void add_project(CLI::App& app, command_table& table);

}  // namespace rstream::cli
