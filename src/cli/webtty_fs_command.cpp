// `rstream webtty fs ls|stat|read|write|upload|download|mkdir|rm|mv`: the flags, the --url to
// endpoint step, and the rendering of listings and of failures; the WebDAV client itself is
// client/fs_client.hpp and client/fs_tree_copy.hpp, the progress line terminal/progress_line.hpp.
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
#include "rstream/terminal/progress_line.hpp"
#include "rstream/cli/commands.hpp"
#include "rstream/cli/common.hpp"

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

// ---------------------------------------------------------------------------------------------
// rendering

int run_ls(fs_client& client, const fs_command& s) {
  fs_entry self;
  std::vector<fs_entry> children;
  if (auto status = client.list(s.paths.empty() ? "/" : s.paths[0], self, children); !status.ok()) {
    return report_outcome(status);
  }
  if (!self.directory) children = {self};
  if (s.output == "json") {
    auto list = nlohmann::ordered_json::array();
    for (const auto& e : children) list.push_back(client::to_json(e));
    std::puts(list.dump(2).c_str());
    return exit_ok;
  }
  std::vector<std::vector<std::string>> rows{{"KIND", "SIZE", "MODIFIED", "NAME"}};
  for (const auto& e : children) {
    rows.push_back({e.directory ? "dir" : "file", e.directory ? "-" : std::to_string(e.size),
                    client::modified_text(e),
                    client::remote_basename(e.path) + (e.directory ? "/" : "")});
  }
  if (children.empty()) return exit_ok;
  print_table(rows);
  return exit_ok;
}

int run_stat(fs_client& client, const fs_command& s) {
  fs_entry self;
  if (auto status = client.stat(s.paths[0], self); !status.ok()) return report_outcome(status);
  if (s.output == "json") {
    std::puts(client::to_json(self).dump(2).c_str());
    return exit_ok;
  }
  print_table({{"path:", self.path},
               {"kind:", self.directory ? "directory" : "file"},
               {"size:", std::to_string(self.size)},
               {"modified:", client::modified_text(self)}});
  return exit_ok;
}

// ---------------------------------------------------------------------------------------------
// registration

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
    exit_code = report_outcome(failure);
    return std::nullopt;
  }
  client::fs_client_options options;
  options.http.connect.tls_ca_file = flags.tls_ca;
  options.http.connect.tls_insecure_skip_verify = flags.insecure;
  options.http.connect.timeout = *connect_timeout;
  options.http.idle_timeout = *idle_timeout;
  if (!flags.quiet && ::isatty(STDERR_FILENO) == 1) {
    options.progress = [](const std::string& label, std::optional<std::uint64_t> total) {
      return std::make_unique<terminal::progress_line>(label, total);
    };
  }
  if (!flags.quiet) options.warn = [](const std::string& message) { print_error(message); };
  return fs_client(std::move(*ep), std::move(options));
}

int run_read(fs_client& c, const fs_command& s) {
  std::optional<std::uint64_t> offset, length;
  if ((!s.offset.empty() && !(offset = size_flag("--offset", s.offset))) ||
      (!s.length.empty() && !(length = size_flag("--length", s.length)))) {
    return exit_usage;
  }
  return report_outcome(c.read(s.paths[0], offset, length, transport::fd_sink(STDOUT_FILENO)));
}

int run_write(fs_client& c, const fs_command& s) {
  return report_outcome(c.write_stdin(s.paths[0]));
}

int run_upload(fs_client& c, const fs_command& s) {
  return report_outcome(client::upload(c, s.paths[0], s.paths[1], s.recursive));
}

int run_download(fs_client& c, const fs_command& s) {
  return report_outcome(client::download(c, s.paths[0], s.paths[1], s.recursive));
}

int run_mkdir(fs_client& c, const fs_command& s) {
  return report_outcome(c.mkdir(s.paths[0], s.parents));
}

int run_rm(fs_client& c, const fs_command& s) {
  return report_outcome(c.remove(s.paths[0], s.recursive));
}

int run_mv(fs_client& c, const fs_command& s) {
  return report_outcome(c.move(s.paths[0], s.paths[1], s.no_clobber));
}

/// Adds leaf `name`: the shared flags, then `run` with the client they make.
std::pair<CLI::App*, std::shared_ptr<fs_command>> add_fs_leaf(CLI::App& fs, command_table& table,
                                                              const char* name, const char* help,
                                                              int (*run)(fs_client&,
                                                                         const fs_command&)) {
  auto state = std::make_shared<fs_command>();
  auto* cmd = fs.add_subcommand(name, help);
  add_shared_flags(*cmd, state->flags);
  table[cmd] = [state, run]() -> int {
    int code = exit_ok;
    auto client = make_client(state->flags, code);
    return client ? run(*client, *state) : code;
  };
  return {cmd, state};
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

  auto [ls, l] = add_fs_leaf(*fs, table, "ls", "List a directory (or show one file)", run_ls);
  add_output_option(*ls, l->output, "table, or json: [{path, kind, size, modified}] sorted by name",
                    {"table", "json"});
  ls->add_option("path", l->paths, "Remote directory (default: the root)")->expected(0, 1);

  auto [stat, st] = add_fs_leaf(*fs, table, "stat", "Show one file or directory", run_stat);
  add_output_option(*stat, st->output, "table, or json: {path, kind, size, modified}",
                    {"table", "json"});
  stat->add_option("path", st->paths, "Remote path")->required()->expected(1);

  auto [read, r] = add_fs_leaf(*fs, table, "read",
                               "Write a remote file (or a byte range of it) to stdout", run_read);
  read->add_option("path", r->paths, "Remote file")->required()->expected(1);
  read->add_option("--offset", r->offset, "First byte to read (e.g. 1048576, 1M)");
  read->add_option("--length", r->length, "How many bytes to read at most");

  auto [write, w] = add_fs_leaf(*fs, table, "write",
                                "Write stdin to a remote file (replaced atomically)", run_write);
  write->add_option("path", w->paths, "Remote file")->required()->expected(1);

  auto [upload, u] = add_fs_leaf(*fs, table, "upload",
                                 "Copy a local file (or directory with -r) to the server; into "
                                 "REMOTE when it is a directory",
                                 run_upload);
  upload->add_option("paths", u->paths, "LOCAL REMOTE")->required()->expected(2);
  upload->add_flag("-r,--recursive", u->recursive, "Copy directories and their contents");

  auto [download, d] = add_fs_leaf(*fs, table, "download",
                                   "Copy a remote file (or directory with -r) here; into LOCAL "
                                   "when it is a directory",
                                   run_download);
  download->add_option("paths", d->paths, "REMOTE LOCAL")->required()->expected(2);
  download->add_flag("-r,--recursive", d->recursive, "Copy directories and their contents");

  auto [mkdir, m] = add_fs_leaf(*fs, table, "mkdir", "Create a remote directory", run_mkdir);
  mkdir->add_option("path", m->paths, "Remote directory")->required()->expected(1);
  mkdir->add_flag("-p,--parents", m->parents,
                  "Create missing parents; an existing directory is fine");

  auto [rm, rm_state] =
      add_fs_leaf(*fs, table, "rm", "Delete a remote file (or directory with -r)", run_rm);
  rm->add_option("path", rm_state->paths, "Remote path")->required()->expected(1);
  rm->add_flag("-r,--recursive", rm_state->recursive, "Delete directories with their contents");

  auto [mv, mv_state] =
      add_fs_leaf(*fs, table, "mv", "Move or rename a remote file or directory", run_mv);
  mv->add_option("paths", mv_state->paths, "FROM TO")->required()->expected(2);
  mv->add_flag("-n,--no-clobber", mv_state->no_clobber, "Fail instead of replacing TO");
}

}  // namespace rstream::cli
