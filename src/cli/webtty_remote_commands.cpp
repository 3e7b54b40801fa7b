// `rstream webtty exec` and `rstream webtty client`: options, then run_remote_command.
#include <CLI/CLI.hpp>

#include "rstream/cli/commands.hpp"
#include "rstream/cli/common.hpp"
#include "rstream/cli/live_attach.hpp"
#include "rstream/cli/remote_command.hpp"
#include "rstream/base/utf8.hpp"
#include "rstream/codec/frame.hpp"

namespace rstream::cli {
namespace {

/// Options both commands share, as typed by the user.
struct remote_flags {
  remote_command_options options;
  std::vector<std::string> positional;  ///< command words before any "--"
  std::vector<std::string> env;
  std::string timeout, heartbeat, connect_timeout = "10s";
  int verbosity = 0;
};

void add_shared_flags(CLI::App& cmd, remote_flags& flags, const char* default_heartbeat) {
  flags.heartbeat = default_heartbeat;
  cmd.add_option("--url", flags.options.exec.url,
                 "Server URL: rstrm://NAME (a tunnel, through the engine of the current "
                 "context), or directly tcp://HOST:PORT, tls://HOST:PORT, "
                 "ws://HOST:PORT[/webtty], wss://...")
      ->required()
      ->envname("RSTREAM_WEBTTY_URL");
  add_context_option(cmd, flags.options.exec.context, rstrm_context_help);
  cmd.add_option("--token", flags.options.exec.connect.token,
                 "Bearer token a direct server requires (rstrm:// uses the context's token)")
      ->envname("RSTREAM_WEBTTY_TOKEN");
  cmd.add_option("--client-identity", flags.options.exec.client_identity,
                 "Local E2E identity that answers the server's proof request (default: the "
                 "known-server entry's, else 'default', else the only one)");
  cmd.add_option("-e,--env", flags.env, "Set a variable for the command (repeatable)")
      ->type_name("K=V");
  cmd.add_option("--workdir", flags.options.exec.workdir, "Working directory on the server");
  cmd.add_option("--heartbeat", flags.heartbeat,
                 "Heartbeat interval; the peer is considered dead after 3 silent intervals "
                 "(0 = off)")
      ->capture_default_str();
  cmd.add_option("--connect-timeout", flags.connect_timeout, "Limit for connecting")
      ->capture_default_str();
  add_tls_trust_flags(cmd, flags.options.exec.connect.tls_ca_file,
                      flags.options.exec.connect.tls_insecure_skip_verify, "tls:// and wss://");
  cmd.add_option("--origin", flags.options.exec.origin,
                 "Who starts the session, for the engine's session list: human (client's "
                 "default), ci, agent, api (exec's default), automation, scheduled-job")
      ->envname("RSTREAM_WEBTTY_ORIGIN")
      ->check(CLI::IsMember({"human", "ci", "agent", "api", "automation", "scheduled-job"}));
  cmd.add_option("--group", flags.options.exec.group,
                 "A session group to list it under (`sessions groups`): a CI job, a rollout")
      ->envname("RSTREAM_WEBTTY_GROUP")
      ->check([](const std::string& group) {
        return codec::is_group_name(group) && base::is_valid_utf8(group)
                   ? std::string()
                   : std::string("a group is 1..128 bytes of text without control characters");
      });
  add_verbosity_flag(cmd, flags.verbosity);
  cmd.add_option("command", flags.positional, "The command and its arguments (after --)");
}

/// Validates the typed flags into options; returns an exit code on failure.
std::optional<int> finish_flags(remote_flags& flags, const command_tail& tail) {
  setup_logging(flags.verbosity);
  flags.options.exec.argv = flags.positional;
  flags.options.exec.argv.insert(flags.options.exec.argv.end(), tail.begin(), tail.end());
  auto env = key_value_flags("--env", flags.env);
  if (!env) return exit_usage;
  flags.options.exec.env = std::move(*env);
  auto heartbeat = duration_flag("--heartbeat", flags.heartbeat);
  auto connect_timeout = duration_flag("--connect-timeout", flags.connect_timeout);
  if (!heartbeat || !connect_timeout) return exit_usage;
  flags.options.exec.heartbeat = *heartbeat;
  flags.options.exec.connect.timeout = *connect_timeout;
  if (!flags.timeout.empty()) {
    flags.options.exec.timeout = duration_flag("--timeout", flags.timeout);
    if (!flags.options.exec.timeout) return exit_usage;
  }
  return std::nullopt;
}

}  // namespace

void add_webtty_exec(CLI::App& webtty, command_table& table, const command_tail& tail) {
  auto flags = std::make_shared<remote_flags>();
  auto* cmd = add_command(
      webtty, "exec", "Run one command on a server: its stdout, stderr and exit code become ours",
      "Exit codes: the remote command's own; 128+N when it was killed by signal N; 127 command\n"
      "not found; 126 not executable; 124 --timeout expired; 255 connection or protocol failure;\n"
      "2 bad command line.\n"
      "stdin is forwarded when it is not a terminal (or with -i).");
  flags->options.exec.origin = "api";
  add_shared_flags(*cmd, *flags, "0");
  auto output_ptr = std::make_shared<std::string>("text");
  add_output_option(*cmd, *output_ptr, "text: stream output as it comes; json: one object",
                    {"text", "json"});
  cmd->add_flag("-t,--tty", flags->options.exec.allocate_tty,
                "Run the command in a PTY on the server");
  cmd->add_flag("-i,--interactive", flags->options.force_stdin,
                "Forward stdin even when it is a terminal");
  cmd->add_option("--timeout", flags->timeout,
                  "End the command (SIGTERM, then close) after this long: 30s, 5m, ...");
  table[cmd] = [flags, output_ptr, &tail]() -> int {
    if (auto failed = finish_flags(*flags, tail)) return *failed;
    if (flags->options.exec.argv.empty()) {
      print_error("exec needs a command: rstream webtty exec --url URL -- CMD [ARGS...]");
      return exit_usage;
    }
    flags->options.exec.json_output = *output_ptr == "json";
    return run_remote_command(flags->options);
  };
}

void add_webtty_client(CLI::App& webtty, command_table& table, const command_tail& tail) {
  auto flags = std::make_shared<remote_flags>();
  auto* cmd = add_command(
      webtty, "client",
      "Open an interactive terminal on a server (default: the server user's shell)",
      "Type ~. at the start of a line to leave (~~ sends a ~). Without a local terminal it\n"
      "behaves like `exec -t`. Exit code: the remote one; 255 when the connection fails.\n"
      "Live sessions (the server's --listen URL): --session NAME attaches to the running session\n"
      "NAME, or starts it (this terminal's size; the command after --, --env, --workdir);\n"
      "--attach ID attaches only (exit 3 when there is none). First its screen is repainted.\n"
      "~. then detaches and leaves the session running; when it ends, its exit code is ours.\n"
      "~r asks for control, ~g grants it to the latest participant asking, ~? lists the keys.");
  flags->options.exec.origin = "human";
  add_shared_flags(*cmd, *flags, "10s");
  auto live = std::make_shared<client::live_client_request>();
  auto* session_option = cmd->add_option(
      "--session", live->session_name,
      "Attach to the live session NAME, starting it when there is none (survives a detach)");
  cmd->add_option("--attach", live->attach_id, "Attach to the live session ID (or name) only")
      ->excludes(session_option);
  table[cmd] = [flags, live, &tail]() -> int {
    if (auto failed = finish_flags(*flags, tail)) return *failed;
    if (!live->session_name.empty() || !live->attach_id.empty()) {
      const client::exec_config& exec = flags->options.exec;
      live->argv = exec.argv;
      live->env = exec.env;
      live->workdir = exec.workdir;
      return run_live_client(exec.url, exec.connect, *live);
    }
    flags->options.exec.allocate_tty = true;
    flags->options.interactive_client = true;
    return run_remote_command(flags->options);
  };
}

}  // namespace rstream::cli
