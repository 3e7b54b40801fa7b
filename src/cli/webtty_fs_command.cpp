// `rstream webtty fs ls|stat|read|write|upload|download|mkdir|rm|mv`: the flags, the --url to
// endpoint step, and the rendering of listings and of failures; the WebDAV client itself is
// client/fs_client.hpp and client/fs_tree_copy.hpp, the progress line cli/progress_line.hpp.
// Nothing but data and listings goes to stdout.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "rstream/client/fs_client.hpp"
#include "rstream/client/fs_tree_copy.hpp"
#include "rstream/cli/commands.hpp"
#include "rstream/cli/common.hpp"
#include "rstream/cli/progress_line.hpp"

namespace rstream::cli {
namespace {

using client::fs_client;
using client::fs_entry;
using client::fs_status;

struct fs_flags {
  std::string url;
  std::string token;
  std::string context;
  std::string tls_ca;
  bool insecure = false;
  bool quiet = false;
  int verbosity = 0;
  std::string connect_timeout = "10s";
  std::string idle_timeout = "60s";
};

/// Prints the status's message (if any) and returns its exit code.
int finish(const fs_status& status) {
  if (!status.message.empty()) print_error(status.message);
  return status.exit_code;
}

// ---------------------------------------------------------------------------------------------
// rendering

nlohmann::ordered_json entry_json(const fs_entry& e) {
  nlohmann::ordered_json j = {{"path", e.path},
                              {"kind", e.directory ? "directory" : "file"},
                              {"size", e.size},
                              {"modified", nullptr}};
  if (e.modified) j["modified"] = api::rfc3339_date(*e.modified);
  return j;
}

std::string modified_text(const fs_entry& e) {
  return e.modified ? api::rfc3339_date(*e.modified) : std::string("-");
}

int cmd_ls(fs_client& client, const std::string& path, const std::string& output) {
  fs_entry self;
  std::vector<fs_entry> children;
  if (auto status = client.list(path, self, children); !status.ok()) return finish(status);
  if (!self.directory) children = {self};
  if (output == "json") {
    auto list = nlohmann::ordered_json::array();
    for (const auto& e : children) list.push_back(entry_json(e));
    std::puts(list.dump(2).c_str());
    return exit_ok;
  }
  std::vector<std::vector<std::string>> rows{{"KIND", "SIZE", "MODIFIED", "NAME"}};
  for (const auto& e : children) {
    rows.push_back({e.directory ? "dir" : "file", e.directory ? "-" : std::to_string(e.size),
                    modified_text(e), client::remote_basename(e.path) + (e.directory ? "/" : "")});
  }
  if (children.empty()) return exit_ok;
  print_table(rows);
  return exit_ok;
}

int cmd_stat(fs_client& client, const std::string& path, const std::string& output) {
  fs_entry self;
  if (auto status = client.stat(path, self); !status.ok()) return finish(status);
  if (output == "json") {
    std::puts(entry_json(self).dump(2).c_str());
    return exit_ok;
  }
  print_table({{"path:", self.path},
               {"kind:", self.directory ? "directory" : "file"},
               {"size:", std::to_string(self.size)},
               {"modified:", modified_text(self)}});
  return exit_ok;
}

// ---------------------------------------------------------------------------------------------
// registration

/// What every fs subcommand takes, plus its own arguments.
struct fs_command {
  fs_flags flags;
  std::vector<std::string> paths;
  std::string output = "table";
  std::string offset, length;
  bool recursive = false;
  bool parents = false;
  bool no_clobber = false;
};

void add_shared_flags(CLI::App& cmd, fs_flags& flags) {
  cmd.add_option("--url", flags.url,
                 "Server: rstrm://NAME (through the engine of the current context), "
                 "tcp://H:P, ws://H:P[/webtty], tls://H:P, wss://..., or http(s)://H:P[/PREFIX]")
      ->required()
      ->envname("RSTREAM_WEBTTY_URL");
  cmd.add_option("--token", flags.token,
                 "Bearer token a direct server requires (rstrm:// uses the context's token)")
      ->envname("RSTREAM_WEBTTY_TOKEN");
  add_context_option(cmd, flags.context, rstrm_context_help);
  add_tls_trust_flags(cmd, flags.tls_ca, flags.insecure, "tls://, wss:// and https://");
  cmd.add_option("--connect-timeout", flags.connect_timeout,
                 "Limit for connecting and for each response head")
      ->capture_default_str();
  cmd.add_option("--idle-timeout", flags.idle_timeout,
                 "Give up when a transfer makes no progress for this long")
      ->capture_default_str();
  cmd.add_flag("-q,--quiet", flags.quiet, "No progress line and no warnings");
  add_verbosity_flag(cmd, flags.verbosity);
}

std::optional<fs_client> make_client(const fs_flags& flags, int& exit_code) {
  setup_logging(flags.verbosity);
  auto connect_timeout = duration_flag("--connect-timeout", flags.connect_timeout, false);
  auto idle_timeout =
      connect_timeout ? duration_flag("--idle-timeout", flags.idle_timeout, false) : std::nullopt;
  if (!idle_timeout) {
    exit_code = exit_usage;
    return std::nullopt;
  }
  // --url to the WebDAV endpoint (see the footer of `rstream webtty fs --help`).
  fs_status failure;
  auto ep = client::resolve_fs_endpoint(flags.url, flags.context, flags.token, failure);
  if (!ep) {
    exit_code = finish(failure);
    return std::nullopt;
  }
  client::fs_client_options options;
  options.http.connect.tls_ca_file = flags.tls_ca;
  options.http.connect.tls_insecure_skip_verify = flags.insecure;
  options.http.connect.timeout = *connect_timeout;
  options.http.idle_timeout = *idle_timeout;
  if (!flags.quiet && ::isatty(STDERR_FILENO) == 1) {
    options.progress = [](const std::string& label, std::optional<std::uint64_t> total) {
      return std::make_unique<progress_line>(label, total);
    };
  }
  if (!flags.quiet) options.warn = [](const std::string& message) { print_error(message); };
  return fs_client(std::move(*ep), std::move(options));
}

/// Normalizes paths[i] (reported); nullopt for usage errors.
std::optional<std::string> remote_arg(const std::string& text) {
  std::string error;
  auto path = client::normalize_remote_path(text, error);
  if (!path) print_error(error);
  return path;
}

using fs_runner = std::function<int(fs_client&, fs_command&)>;

/// The runner of a leaf whose one remote path (default: the root) is checked first.
fs_runner on_path(std::function<int(fs_client&, const std::string&, const fs_command&)> run) {
  return [run = std::move(run)](fs_client& c, fs_command& s) {
    auto path = remote_arg(s.paths.empty() ? "/" : s.paths[0]);
    return path ? run(c, *path, s) : exit_usage;
  };
}

CLI::App* add_leaf(CLI::App& fs, command_table& table, const char* name, const char* help,
                   const std::shared_ptr<fs_command>& state, fs_runner runner) {
  auto* cmd = fs.add_subcommand(name, help);
  add_shared_flags(*cmd, state->flags);
  table[cmd] = [state, runner = std::move(runner)]() -> int {
    int code = exit_ok;
    auto client = make_client(state->flags, code);
    if (!client) return code;
    return runner(*client, *state);
  };
  return cmd;
}

}  // namespace

void add_webtty_fs(CLI::App& webtty, command_table& table) {
  auto* fs = add_command_group(
      webtty, "fs", "Files under a server's --fs-root (WebDAV at /fs)",
      "URLs: tcp://H:P and ws://H:P[/webtty] mean http://H:P/fs; tls:// and wss:// mean\n"
      "https://H:P/fs; http(s)://H:P[/PREFIX] is used as given (no path: /fs); rstrm://NAME goes\n"
      "through the engine of the current context (/api/tunnels/NAME/fs, the context's token).\n"
      "Remote paths are relative to the server's root ('/' is the root; '..' is refused).\n"
      "Exit codes: 0 ok; 1 the operation failed (the server refused it, or an I/O error);\n"
      "2 bad command line; 3 no such file or directory; 4 permission denied (read-only\n"
      "filesystem, a path the server forbids, a missing or invalid token); 141 stdout was\n"
      "closed (e.g. `fs read ... | head`); 255 the server could not be reached or the\n"
      "connection broke.");

  {
    auto state = std::make_shared<fs_command>();
    auto* cmd = add_leaf(*fs, table, "ls", "List a directory (or show one file)", state,
                         on_path([](fs_client& c, const std::string& path, const fs_command& s) {
                           return cmd_ls(c, path, s.output);
                         }));
    add_output_option(*cmd, state->output,
                      "table, or json: [{path, kind, size, modified}] sorted by name",
                      {"table", "json"});
    cmd->add_option("path", state->paths, "Remote directory (default: the root)")->expected(0, 1);
  }
  {
    auto state = std::make_shared<fs_command>();
    auto* cmd = add_leaf(*fs, table, "stat", "Show one file or directory", state,
                         on_path([](fs_client& c, const std::string& path, const fs_command& s) {
                           return cmd_stat(c, path, s.output);
                         }));
    add_output_option(*cmd, state->output, "table, or json: {path, kind, size, modified}",
                      {"table", "json"});
    cmd->add_option("path", state->paths, "Remote path")->required()->expected(1);
  }
  {
    auto state = std::make_shared<fs_command>();
    auto* cmd =
        add_leaf(*fs, table, "read", "Write a remote file (or a byte range of it) to stdout", state,
                 on_path([](fs_client& c, const std::string& path, const fs_command& s) {
                   std::optional<std::uint64_t> offset, length;
                   if ((!s.offset.empty() && !(offset = size_flag("--offset", s.offset))) ||
                       (!s.length.empty() && !(length = size_flag("--length", s.length)))) {
                     return exit_usage;
                   }
                   return finish(c.read(path, offset, length, transport::fd_sink(STDOUT_FILENO)));
                 }));
    cmd->add_option("path", state->paths, "Remote file")->required()->expected(1);
    cmd->add_option("--offset", state->offset, "First byte to read (e.g. 1048576, 1M)");
    cmd->add_option("--length", state->length, "How many bytes to read at most");
  }
  {
    auto state = std::make_shared<fs_command>();
    auto* cmd =
        add_leaf(*fs, table, "write", "Write stdin to a remote file (replaced atomically)", state,
                 on_path([](fs_client& c, const std::string& path, const fs_command&) {
                   return finish(c.write_stdin(path));
                 }));
    cmd->add_option("path", state->paths, "Remote file")->required()->expected(1);
  }
  {
    auto state = std::make_shared<fs_command>();
    auto* cmd =
        add_leaf(*fs, table, "upload",
                 "Copy a local file (or directory with -r) to the server; into REMOTE "
                 "when it is a directory",
                 state, [](fs_client& c, fs_command& s) {
                   auto remote = remote_arg(s.paths[1]);
                   if (!remote) return exit_usage;
                   return finish(client::upload(c, s.paths[0], s.paths[1], *remote, s.recursive));
                 });
    cmd->add_option("paths", state->paths, "LOCAL REMOTE")->required()->expected(2);
    cmd->add_flag("-r,--recursive", state->recursive, "Copy directories and their contents");
  }
  {
    auto state = std::make_shared<fs_command>();
    auto* cmd = add_leaf(*fs, table, "download",
                         "Copy a remote file (or directory with -r) here; into LOCAL when it is "
                         "a directory",
                         state, [](fs_client& c, fs_command& s) {
                           auto remote = remote_arg(s.paths[0]);
                           if (!remote) return exit_usage;
                           return finish(client::download(c, *remote, s.paths[1], s.recursive));
                         });
    cmd->add_option("paths", state->paths, "REMOTE LOCAL")->required()->expected(2);
    cmd->add_flag("-r,--recursive", state->recursive, "Copy directories and their contents");
  }
  {
    auto state = std::make_shared<fs_command>();
    auto* cmd = add_leaf(*fs, table, "mkdir", "Create a remote directory", state,
                         on_path([](fs_client& c, const std::string& path, const fs_command& s) {
                           return finish(c.mkdir(path, s.parents));
                         }));
    cmd->add_option("path", state->paths, "Remote directory")->required()->expected(1);
    cmd->add_flag("-p,--parents", state->parents,
                  "Create missing parents; an existing directory is fine");
  }
  {
    auto state = std::make_shared<fs_command>();
    auto* cmd = add_leaf(*fs, table, "rm", "Delete a remote file (or directory with -r)", state,
                         on_path([](fs_client& c, const std::string& path, const fs_command& s) {
                           return finish(c.remove(path, s.recursive));
                         }));
    cmd->add_option("path", state->paths, "Remote path")->required()->expected(1);
    cmd->add_flag("-r,--recursive", state->recursive, "Delete directories with their contents");
  }
  {
    auto state = std::make_shared<fs_command>();
    auto* cmd = add_leaf(*fs, table, "mv", "Move or rename a remote file or directory", state,
                         [](fs_client& c, fs_command& s) {
                           auto from = remote_arg(s.paths[0]);
                           auto to = remote_arg(s.paths[1]);
                           if (!from || !to) return exit_usage;
                           return finish(c.move(*from, *to, s.no_clobber));
                         });
    cmd->add_option("paths", state->paths, "FROM TO")->required()->expected(2);
    cmd->add_flag("-n,--no-clobber", state->no_clobber, "Fail instead of replacing TO");
  }
}

}  // namespace rstream::cli
