// `rstream webtty server`: serve WebTTY sessions on one port (tcp, ws, and with a certificate
// tls and wss), until SIGINT/SIGTERM.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>

#include "rstream/cli/commands.hpp"
#include "rstream/client/registered_servers.hpp"
#include "rstream/cli/common.hpp"
#include "rstream/cli/shutdown_signals.hpp"
#include "rstream/config/contexts.hpp"
#include "rstream/pty/orphan_guard.hpp"
#include "rstream/server/server_app.hpp"
#include "rstream/transport/endpoint_url.hpp"

namespace asio = boost::asio;

namespace rstream::cli {
namespace {

/// The flags: the ones CLI11 can type go straight into `config`; the rest are parsed by
/// to_config.
struct server_flags {
  server::server_config config;
  std::string listen;
  std::string max_frame = "1MiB";
  std::string kill_grace = "2s";
  std::string open_timeout = "10s";
  int verbosity = 0;
  // Through an engine (--rstream)
  bool rstream = false;
  std::string name;
  std::vector<std::string> labels;
  bool no_publish = false;
  std::string context;
  std::string engine_ca;
  std::string server_id;          ///< a registered server: ~/.rstream/webtty/enrollments/ID.json
  std::string server_enrollment;  ///< or its enrollment file
  std::string enrolled_identity;  ///< set from the enrollment: signs the admission proof
  bool requires_e2e = false;      ///< set from the enrollment: its encryption policy
  // Filesystem sidecar and live sessions
  std::string fs_max_upload = "64MiB";
  std::string scrollback = "1MiB";
  std::string terminated_retention = "10m";
};

/// A registered server's run (--server-id or --server-enrollment): the enrollment's id, name,
/// identity, policy and context go into the flags. False after saying what is wrong.
bool apply_enrollment(server_flags& flags) {
  if (flags.server_id.empty() && flags.server_enrollment.empty()) return true;
  auto enrolled = client::enrollment_to_run(flags.server_id, flags.server_enrollment);
  if (!enrolled || !flags.name.empty()) {
    print_error(enrolled ? "a registered server runs under its record's name: drop --name"
                         : enrolled.error().message);
    return false;
  }
  flags.rstream = true;
  flags.name = enrolled->name;
  flags.server_id = enrolled->server_id;
  flags.enrolled_identity = enrolled->identity;
  flags.requires_e2e = enrolled->encryption_policy == "explicit_key";
  if (flags.context.empty()) flags.context = enrolled->context;
  return true;
}

/// The flags as a server_config; nullopt after saying what is wrong with them.
std::optional<server::server_config> to_config(const server_flags& flags) {
  server::server_config config = flags.config;
  // (Neither --listen nor --rstream: server_config_problem says where to serve first.)
  if (!flags.rstream && !flags.listen.empty() &&
      (!flags.name.empty() || !flags.labels.empty() || flags.no_publish)) {
    print_error("--name, --label and --no-publish describe a tunnel: add --rstream");
    return std::nullopt;
  }
  if (flags.rstream) {
    auto labels = key_value_flags("--label", flags.labels);
    if (!labels) return std::nullopt;
    auto& tunnel = config.tunnel.emplace();
    tunnel.name = flags.name;
    for (auto& [key, value] : *labels) tunnel.labels[key] = std::move(value);
    tunnel.publish = !flags.no_publish;
    tunnel.engine_ca = flags.engine_ca;
    tunnel.server_id = flags.server_id;
    tunnel.enrolled_identity = flags.enrolled_identity;
    tunnel.requires_e2e = flags.requires_e2e;
  }
  std::string error;
  if (!flags.listen.empty()) {
    config.listen = transport::parse_listen_address(flags.listen, error);
    if (!config.listen) {
      print_error(error);
      return std::nullopt;
    }
  }
  // Each quantity into its field, in this order; the first bad one is reported.
  const auto into = [](auto& field, const auto& parsed) {
    if (parsed) field = *parsed;
    return parsed.has_value();
  };
  if (!into(config.max_frame, size_flag("--max-frame", flags.max_frame, 1024, 64u << 20,
                                        "a size between 1KiB and 64MiB")) ||
      !into(config.kill_grace, duration_flag("--kill-grace", flags.kill_grace)) ||
      !into(config.open_timeout, duration_flag("--open-timeout", flags.open_timeout, false)) ||
      !(config.fs_root.empty() ||
        into(config.fs_max_upload, size_flag("--fs-max-upload", flags.fs_max_upload, 1, UINT64_MAX,
                                             "a size such as 64MiB"))) ||
      !into(config.scrollback, size_flag("--scrollback", flags.scrollback, 1024, 1ull << 30,
                                         "a size between 1KiB and 1GiB")) ||
      !into(config.terminated_retention,
            duration_flag("--terminated-retention", flags.terminated_retention))) {
    return std::nullopt;
  }
  return config;
}

/// stdout: what a script waits for (the bound address, "online as"); the rest goes to stderr.
void announce(const std::string& text) {
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
}

int run_server(server_flags flags) {
  setup_logging(flags.verbosity);
  std::string error;
  // First: before any thread, any I/O object and any secret is loaded (the guard is forked
  // without exec and keeps a copy of our memory as it is now).
  if (!pty::start_orphan_guard(error)) {
    spdlog::warn("commands may outlive a killed server: {}", error);
    error.clear();
  }
  if (!apply_enrollment(flags)) return exit_usage;
  auto config = to_config(flags);
  if (!config) return exit_usage;
  if (auto why = server::server_config_problem(*config)) {
    print_error(*why);
    return exit_usage;
  }
  if (config->tunnel) {
    auto engine = config::resolve_engine(flags.context);
    if (!engine) {
      print_error(engine.error().message);
      return exit_failure;
    }
    config->tunnel->engine = engine->engine;
    config->tunnel->engine_token = engine->token;
  }

  asio::io_context io{1};
  int exit_code = exit_ok;
  server::server_app::events events;
  // Reconnections are news for the operator only (stderr).
  events.online = [](const tunnel::tunnel_welcome& w) {
    announce(server::server_app::online_banner(w));
  };
  std::unique_ptr<server::server_app> app;
  events.listening = [&] { announce(app->listening_banner()); };
  events.fatal = [&](const std::string& why) {
    print_error(why);
    exit_code = exit_failure;
    app->stop([&] { io.stop(); });
    if (!app->listening()) io.stop();
  };
  app = std::make_unique<server::server_app>(io, std::move(*config), std::move(events));
  // Signals are handled before the address is announced: whoever reads the banner may
  // signal us at once.
  shutdown_signals signals(io, [&](std::function<void()> finished) {
    // Once every session is gone, only the signal wait keeps run() going: end it.
    app->stop(std::move(finished));
  });
  if (!app->start(error)) {
    print_error(error);
    return exit_failure;
  }
  // run() returns once shutdown has ended every session (or forced it).
  io.run();
  spdlog::info("server stopped");
  return exit_code;
}

}  // namespace

void add_webtty_server(CLI::App& webtty, command_table& table) {
  auto flags = std::make_shared<server_flags>();
  auto* cmd = webtty.add_subcommand("server", "Serve this machine's commands and terminal");
  cmd->add_option("--listen", flags->listen,
                  "Address to listen on, HOST:PORT (port 0 picks a free one; printed on stdout)");
  cmd->add_option("--public-url", flags->config.public_urls,
                  "A URL browsers use to reach this server (e.g. https://host.example:7681); "
                  "its host name is accepted in Host. Without it, browsers must use an IP "
                  "address or localhost (DNS-rebinding protection). Repeatable");
  cmd->add_flag("--rstream", flags->rstream,
                "Dial the engine of the current project context (outbound only) and be "
                "reachable as rstrm://NAME");
  cmd->add_option("--name", flags->name, "Tunnel name with --rstream");
  cmd->add_option("--server-id", flags->server_id,
                  "Run the registered server ID on this enrolled host (implies --rstream; its "
                  "record's name and policies; see `server create` and `server enroll`)");
  cmd->add_option("--server-enrollment", flags->server_enrollment,
                  "Like --server-id, from this enrollment file")
      ->check(CLI::ExistingFile)
      ->excludes("--server-id");
  cmd->add_option("--label", flags->labels,
                  "Tunnel label with --rstream (repeatable); stored as rstream.webtty.label.KEY")
      ->type_name("KEY=VALUE");
  cmd->add_flag("--no-publish", flags->no_publish,
                "Keep the tunnel away from browsers; native clients still reach rstrm://NAME");
  cmd->add_option("--context", flags->context,
                  "Project context for --rstream (default: $RSTREAM_CONTEXT, else the current)");
  cmd->add_option("--engine-ca", flags->engine_ca,
                  "Trust this CA certificate (PEM) for an https:// engine")
      ->check(CLI::ExistingFile);
  cmd->add_option("--token", flags->config.token, "Require this bearer token from clients")
      ->envname("RSTREAM_WEBTTY_TOKEN");
  cmd->add_flag("--insecure-no-auth", flags->config.insecure_no_auth,
                "Allow listening on a non-loopback address without a token");
  cmd->add_option("--tls-cert", flags->config.tls.cert_file,
                  "TLS certificate chain (PEM): enables tls:// and wss://")
      ->check(CLI::ExistingFile);
  cmd->add_option("--tls-key", flags->config.tls.key_file, "TLS private key (PEM)")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--allow-plaintext", flags->config.tls.allow_plaintext,
                "With --tls-cert: also serve plaintext clients (tcp://, ws://, http://) on the "
                "same port; by default they are refused and told to use TLS");
  cmd->add_option("--max-sessions", flags->config.max_sessions,
                  "Authenticated sessions served at once (further clients get too_many_sessions)")
      ->capture_default_str();
  add_connection_limit_flags(*cmd, flags->config.limits, "handshaking, before Open");
  add_defaulted_options(
      *cmd, {{"--max-frame", &flags->max_frame, "Largest frame payload accepted"},
             {"--kill-grace", &flags->kill_grace,
              "When a client goes away: SIGHUP to the command's process group, SIGKILL after this"},
             {"--open-timeout", &flags->open_timeout,
              "A new connection must send its Open frame within this (and have finished every "
              "handshake within this plus 1s of being accepted)"}});
  cmd->add_option("--identity", flags->config.identity,
                  "E2E endpoint identity (rstream webtty identity create): every session must be "
                  "end-to-end encrypted, from authorized clients only");
  cmd->add_option("--fs-root", flags->config.fs_root,
                  "Serve this directory's files with WebDAV at /fs (rstream webtty fs, curl, "
                  "rclone); confined under DIR, with this user's permissions")
      ->check(CLI::ExistingDirectory);
  cmd->add_flag("--fs-read-only", flags->config.fs_read_only,
                "With --fs-root: refuse every write (403, \"read-only filesystem\")");
  add_defaulted_options(
      *cmd,
      {{"--fs-max-upload", &flags->fs_max_upload,
        "With --fs-root: largest file a PUT may write (413 beyond)"},
       {"--max-live-sessions", &flags->config.max_live_sessions,
        "Live sessions (persistent terminals at /api/terminal) running at once; 0 turns them off"},
       {"--scrollback", &flags->scrollback,
        "Output each live session keeps: raw, and as lines of its screen's history"},
       {"--max-terminated-sessions", &flags->config.max_terminated_sessions,
        "Terminated live sessions kept for `sessions list` and late joiners (each keeps its "
        "scrollback); beyond it the oldest are removed"},
       {"--terminated-retention", &flags->terminated_retention,
        "A terminated live session is removed this long after its end"}});
  add_verbosity_flag(*cmd, flags->verbosity);
  table[cmd] = [flags] { return run_server(*flags); };
  add_webtty_server_records(*cmd, table);
}

}  // namespace rstream::cli
