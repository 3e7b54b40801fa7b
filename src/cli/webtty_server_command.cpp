// `rstream webtty server`: serve WebTTY sessions on one port (tcp, ws, and with a certificate
// tls and wss), until SIGINT/SIGTERM.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>

#include "rstream/cli/commands.hpp"
#include "rstream/cli/common.hpp"
#include "rstream/config/contexts.hpp"
#include "rstream/pty/orphan_guard.hpp"
#include "rstream/server/server_app.hpp"
#include "rstream/transport/endpoint_url.hpp"

namespace asio = boost::asio;

namespace rstream::cli {
namespace {

struct server_flags {
  std::string listen;
  std::string token;
  bool insecure_no_auth = false;
  std::string tls_cert, tls_key;
  std::vector<std::string> public_urls;  ///< --public-url: names browsers reach us by
  bool allow_plaintext = false;
  std::size_t max_sessions = 1024;
  connection_limit_flags limits;
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
  std::string identity;  ///< --identity: E2E endpoint identity; every session must use it
  // Filesystem sidecar
  std::string fs_root;
  bool fs_read_only = false;
  std::string fs_max_upload = "64MiB";
  // Live sessions
  std::size_t max_live_sessions = 64;
  std::string scrollback = "1MiB";
  std::size_t max_terminated_sessions = 32;
  std::string terminated_retention = "10m";
};

/// --label KEY=VALUE → {KEY, VALUE}; nullopt (after saying why) when one has no '='.
std::optional<std::map<std::string, std::string>> parse_labels(
    const std::vector<std::string>& flags) {
  std::map<std::string, std::string> labels;
  for (const auto& kv : flags) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      print_error("--label expects KEY=VALUE, got '" + kv + "'");
      return std::nullopt;
    }
    labels[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return labels;
}

/// A size flag within [min, max]; nullopt after saying what was expected.
std::optional<std::size_t> size_flag(const char* flag, const std::string& text, std::uint64_t min,
                                     std::uint64_t max, const char* expected) {
  auto size = parse_size(text);
  if (!size || *size < min || *size > max) {
    print_error(std::string(flag) + ": expected " + expected + ", got '" + text + "'");
    return std::nullopt;
  }
  return static_cast<std::size_t>(*size);
}

/// The flags as a server_config; nullopt after saying what is wrong with them.
std::optional<server::server_config> to_config(const server_flags& flags) {
  server::server_config config;
  // (Neither --listen nor --rstream: server_config_problem says where to serve first.)
  if (!flags.rstream && !flags.listen.empty() &&
      (!flags.name.empty() || !flags.labels.empty() || flags.no_publish)) {
    print_error("--name, --label and --no-publish describe a tunnel: add --rstream");
    return std::nullopt;
  }
  if (flags.rstream) {
    auto labels = parse_labels(flags.labels);
    if (!labels) return std::nullopt;
    auto& tunnel = config.tunnel.emplace();
    tunnel.name = flags.name;
    tunnel.labels = std::move(*labels);
    tunnel.publish = !flags.no_publish;
    tunnel.engine_ca = flags.engine_ca;
  }
  std::string error;
  if (!flags.listen.empty()) {
    config.listen = transport::parse_listen_address(flags.listen, error);
    if (!config.listen) {
      print_error(error);
      return std::nullopt;
    }
  }
  auto max_frame =
      size_flag("--max-frame", flags.max_frame, 1024, 64u << 20, "a size between 1KiB and 64MiB");
  if (!max_frame) return std::nullopt;
  auto kill_grace = parse_duration(flags.kill_grace);
  auto open_timeout = parse_duration(flags.open_timeout);
  if (!kill_grace || !open_timeout || open_timeout->count() == 0) {
    print_error("--kill-grace/--open-timeout: invalid duration (e.g. 500ms, 2s)");
    return std::nullopt;
  }
  if (!flags.fs_root.empty()) {
    auto max_upload =
        size_flag("--fs-max-upload", flags.fs_max_upload, 1, UINT64_MAX, "a size such as 64MiB");
    if (!max_upload) return std::nullopt;
    config.fs_max_upload = *max_upload;
  }
  auto scrollback =
      size_flag("--scrollback", flags.scrollback, 1024, 1ull << 30, "a size between 1KiB and 1GiB");
  if (!scrollback) return std::nullopt;
  auto terminated_retention = parse_duration(flags.terminated_retention);
  if (!terminated_retention) {
    print_error("--terminated-retention: invalid duration (e.g. 30s, 10m), got '" +
                flags.terminated_retention + "'");
    return std::nullopt;
  }
  config.token = flags.token;
  config.insecure_no_auth = flags.insecure_no_auth;
  config.tls = {flags.tls_cert, flags.tls_key, flags.allow_plaintext};
  config.public_urls = flags.public_urls;
  config.max_sessions = flags.max_sessions;
  config.limits = flags.limits;
  config.max_frame = *max_frame;
  config.kill_grace = *kill_grace;
  config.open_timeout = *open_timeout;
  config.identity = flags.identity;
  config.fs_root = flags.fs_root;
  config.fs_read_only = flags.fs_read_only;
  config.max_live_sessions = flags.max_live_sessions;
  config.scrollback = *scrollback;
  config.max_terminated_sessions = flags.max_terminated_sessions;
  config.terminated_retention = *terminated_retention;
  return config;
}

/// stdout's first line names the bound address (useful with port 0); the rest says how to
/// reach the server.
void print_banner(const server::server_app& app) {
  std::string banner = "rstream webtty server listening on " + app.address() + "\n";
  for (const auto& url : app.client_urls()) banner += "  " + url;
  banner += "\n";
  if (const std::string files = app.files_url(); !files.empty()) {
    banner += "  files: " + files + (app.config().fs_read_only ? " (read-only)" : "") + "\n";
  }
  std::fputs(banner.c_str(), stdout);
  std::fflush(stdout);
}

int run_server(const server_flags& flags) {
  setup_logging(flags.verbosity);
  std::string error;
  // First: before any thread, any I/O object and any secret is loaded (the guard is forked
  // without exec and keeps a copy of our memory as it is now).
  if (!pty::start_orphan_guard(error)) {
    spdlog::warn("commands may outlive a killed server: {}", error);
    error.clear();
  }
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
  events.online = [](const tunnel::tunnel_welcome& welcome) {
    // stdout: what a script waits for. Reconnections are news for the operator only.
    std::string line = "online as " + welcome.rstream_url + "\n";
    if (!welcome.browser_url.empty()) line += "  browser: " + welcome.browser_url + "\n";
    std::fputs(line.c_str(), stdout);
    std::fflush(stdout);
  };
  std::unique_ptr<server::server_app> app;
  events.listening = [&] { print_banner(*app); };
  events.fatal = [&](const std::string& why) {
    print_error(why);
    exit_code = exit_failure;
    app->stop([&] { io.stop(); });
    if (!app->listening()) io.stop();
  };
  app = std::make_unique<server::server_app>(io, std::move(*config), std::move(events));
  // Signals are handled before the address is announced: whoever reads the banner may
  // signal us at once.
  asio::signal_set signals(io, SIGINT, SIGTERM);
  int received = 0;
  std::function<void()> wait_signal = [&] {
    signals.async_wait([&](boost::system::error_code ec, int sig) {
      if (ec) return;
      if (++received > 1) {
        spdlog::warn("second {}: stopping now", ::strsignal(sig));
        io.stop();
        return;
      }
      spdlog::info("{}: shutting down", ::strsignal(sig));
      wait_signal();
      // Once every session is gone, only this signal wait keeps run() going: end it.
      app->stop([&] { signals.cancel(); });
    });
  };
  wait_signal();
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
  cmd->add_option("--public-url", flags->public_urls,
                  "A URL browsers use to reach this server (e.g. https://host.example:7681); "
                  "its host name is accepted in Host. Without it, browsers must use an IP "
                  "address or localhost (DNS-rebinding protection). Repeatable");
  cmd->add_flag("--rstream", flags->rstream,
                "Dial the engine of the current project context (outbound only) and be "
                "reachable as rstrm://NAME");
  cmd->add_option("--name", flags->name, "Tunnel name with --rstream");
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
  cmd->add_option("--token", flags->token, "Require this bearer token from clients")
      ->envname("RSTREAM_WEBTTY_TOKEN");
  cmd->add_flag("--insecure-no-auth", flags->insecure_no_auth,
                "Allow listening on a non-loopback address without a token");
  cmd->add_option("--tls-cert", flags->tls_cert,
                  "TLS certificate chain (PEM): enables tls:// and wss://")
      ->check(CLI::ExistingFile);
  cmd->add_option("--tls-key", flags->tls_key, "TLS private key (PEM)")->check(CLI::ExistingFile);
  cmd->add_flag("--allow-plaintext", flags->allow_plaintext,
                "With --tls-cert: also serve plaintext clients (tcp://, ws://, http://) on the "
                "same port; by default they are refused and told to use TLS");
  cmd->add_option("--max-sessions", flags->max_sessions,
                  "Authenticated sessions served at once (further clients get too_many_sessions)")
      ->capture_default_str();
  add_connection_limit_flags(*cmd, flags->limits, "handshaking, before Open");
  add_defaulted_options(
      *cmd, {{"--max-frame", &flags->max_frame, "Largest frame payload accepted"},
             {"--kill-grace", &flags->kill_grace,
              "When a client goes away: SIGHUP to the command's process group, SIGKILL after this"},
             {"--open-timeout", &flags->open_timeout,
              "A new connection must send its Open frame within this (and have finished every "
              "handshake within this plus 1s of being accepted)"}});
  cmd->add_option("--identity", flags->identity,
                  "E2E endpoint identity (rstream webtty identity create): every session must be "
                  "end-to-end encrypted, from authorized clients only");
  cmd->add_option("--fs-root", flags->fs_root,
                  "Serve this directory's files with WebDAV at /fs (rstream webtty fs, curl, "
                  "rclone); confined under DIR, with this user's permissions")
      ->check(CLI::ExistingDirectory);
  cmd->add_flag("--fs-read-only", flags->fs_read_only,
                "With --fs-root: refuse every write (403, \"read-only filesystem\")");
  add_defaulted_options(
      *cmd,
      {{"--fs-max-upload", &flags->fs_max_upload,
        "With --fs-root: largest file a PUT may write (413 beyond)"},
       {"--max-live-sessions", &flags->max_live_sessions,
        "Live sessions (persistent terminals at /api/terminal) running at once; 0 turns them off"},
       {"--scrollback", &flags->scrollback,
        "Output each live session keeps for participants that attach later"},
       {"--max-terminated-sessions", &flags->max_terminated_sessions,
        "Terminated live sessions kept for `sessions list` and late joiners (each keeps its "
        "scrollback); beyond it the oldest are removed"},
       {"--terminated-retention", &flags->terminated_retention,
        "A terminated live session is removed this long after its end"}});
  add_verbosity_flag(*cmd, flags->verbosity);
  table[cmd] = [flags] { return run_server(*flags); };
}

}  // namespace rstream::cli
