// `rstream webtty server`: serve WebTTY sessions on one port (tcp, ws, and with a certificate
// tls and wss), until SIGINT/SIGTERM.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cctype>
#include <cstdio>
#include <map>
#include <optional>

#include "rstream/base/secret.hpp"
#include "rstream/base/log_failure.hpp"
#include "rstream/cli/commands.hpp"
#include "rstream/cli/common.hpp"
#include "rstream/config/contexts.hpp"
#include "rstream/e2e/key_store.hpp"
#include "rstream/fs/webdav_handler.hpp"
#include "rstream/pty/orphan_guard.hpp"
#include "rstream/session/server_routes.hpp"
#include "rstream/session/webtty_server.hpp"
#include "rstream/transport/listener.hpp"
#include "rstream/transport/endpoint_url.hpp"
#include "rstream/tunnel/connector.hpp"
#include "rstream/tunnel/http_stream.hpp"
#include "rstream/ui/browser_auth.hpp"

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

/// --label k=v → rstream.webtty.label.k=v, plus what the server is and can do.
std::optional<std::map<std::string, std::string>> tunnel_labels(const server_flags& flags) {
  std::map<std::string, std::string> labels = tunnel::host_fact_labels();
  labels["application-protocol"] = "rstream.webtty";
  labels["rstream.webtty.capabilities"] = flags.fs_root.empty() ? "exec" : "exec,fs";
  if (!flags.fs_root.empty()) labels["rstream.webtty.fs.mode"] = flags.fs_read_only ? "ro" : "rw";
  labels["rstream.webtty.e2e"] = flags.identity.empty() ? "disabled" : "required";
  for (const auto& kv : flags.labels) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      print_error("--label expects KEY=VALUE, got '" + kv + "'");
      return std::nullopt;
    }
    const std::string key = kv.substr(0, eq);
    for (char c : key) {
      bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
      if (!ok) {
        print_error("--label key '" + key + "' may only contain letters, digits, '.', '_', '-'");
        return std::nullopt;
      }
    }
    labels["rstream.webtty.label." + key] = kv.substr(eq + 1);
  }
  return labels;
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
  if (flags.listen.empty() && !flags.rstream) {
    print_error(
        "say where to serve: --listen HOST:PORT (direct), --rstream (through the engine), "
        "or both");
    return exit_usage;
  }
  if (!flags.rstream && (!flags.name.empty() || !flags.labels.empty() || flags.no_publish)) {
    print_error("--name, --label and --no-publish describe a tunnel: add --rstream");
    return exit_usage;
  }
  std::optional<tunnel::connector_config> tunnel_config;
  if (flags.rstream) {
    if (flags.name.empty()) {
      print_error("--rstream needs --name NAME: the tunnel's name (rstrm://NAME)");
      return exit_usage;
    }
    if (auto why = tunnel::check_tunnel_name(flags.name); !why.empty()) {
      print_error(why);
      return exit_usage;
    }
    auto labels = tunnel_labels(flags);
    if (!labels) return exit_usage;
    auto engine = config::resolve_engine(flags.context, error);
    if (!engine) {
      print_error(error);
      return exit_failure;
    }
    tunnel_config.emplace();
    tunnel_config->engine = engine->engine;
    tunnel_config->token = engine->token;
    tunnel_config->name = flags.name;
    tunnel_config->labels = std::move(*labels);
    tunnel_config->publish = !flags.no_publish;
    tunnel_config->connect.tls_ca_file = flags.engine_ca;
    tunnel_config->connect.timeout = std::chrono::seconds(10);
  }
  if (!flags.token.empty()) {
    if (auto why = base::weak_token_reason(flags.token)) {
      print_error("--token: " + *why);
      return exit_usage;
    }
  }
  std::optional<transport::endpoint_url> address;
  if (!flags.listen.empty()) {
    address = transport::parse_listen_address(flags.listen, error);
    if (!address) {
      print_error(error);
      return exit_usage;
    }
  }
  if (address && flags.token.empty() && !flags.insecure_no_auth &&
      !transport::is_loopback_host(address->host)) {
    print_error("refusing to listen on " + flags.listen +
                " without a token: anyone who can reach it could run commands as this user. "
                "Set --token (or RSTREAM_WEBTTY_TOKEN), or say --insecure-no-auth");
    return exit_usage;
  }
  if (flags.tls_cert.empty() != flags.tls_key.empty()) {
    print_error("--tls-cert and --tls-key go together");
    return exit_usage;
  }
  if (flags.allow_plaintext && flags.tls_cert.empty()) {
    print_error("--allow-plaintext applies to a TLS port: add --tls-cert and --tls-key");
    return exit_usage;
  }
  auto max_frame = parse_size(flags.max_frame);
  if (!max_frame || *max_frame < 1024 || *max_frame > (64u << 20)) {
    print_error("--max-frame: expected a size between 1KiB and 64MiB, got '" + flags.max_frame +
                "'");
    return exit_usage;
  }
  auto kill_grace = parse_duration(flags.kill_grace);
  auto open_timeout = parse_duration(flags.open_timeout);
  if (!kill_grace || !open_timeout || open_timeout->count() == 0) {
    print_error("--kill-grace/--open-timeout: invalid duration (e.g. 500ms, 2s)");
    return exit_usage;
  }
  if (flags.max_sessions == 0) {
    print_error("--max-sessions must be at least 1");
    return exit_usage;
  }
  std::shared_ptr<const fs::webdav_handler> files;
  if (flags.fs_root.empty() && flags.fs_read_only) {
    print_error("--fs-read-only applies to --fs-root DIR: add --fs-root");
    return exit_usage;
  }
  if (!flags.fs_root.empty()) {
    if (!flags.identity.empty()) {
      print_error(
          "--fs-root cannot be combined with --identity: end-to-end encryption covers terminal "
          "sessions only, not the file API, and serving files beside an E2E terminal would look "
          "protected when it is not. Run a separate server without --identity for files");
      return exit_usage;
    }
    auto max_upload = parse_size(flags.fs_max_upload);
    if (!max_upload || *max_upload == 0) {
      print_error("--fs-max-upload: expected a size such as 64MiB, got '" + flags.fs_max_upload +
                  "'");
      return exit_usage;
    }
    fs::fs_options options;
    options.root = flags.fs_root;
    options.read_only = flags.fs_read_only;
    options.max_upload = *max_upload;
    auto handler = std::make_shared<const fs::webdav_handler>(std::move(options));
    if (!handler->ready()) {
      print_error("--fs-root " + flags.fs_root + ": " + handler->open_error());
      return exit_failure;
    }
    files = std::move(handler);
  }

  auto scrollback = parse_size(flags.scrollback);
  if (!scrollback || *scrollback < 1024 || *scrollback > (1ull << 30)) {
    print_error("--scrollback: expected a size between 1KiB and 1GiB, got '" + flags.scrollback +
                "'");
    return exit_usage;
  }

  auto terminated_retention = parse_duration(flags.terminated_retention);
  if (!terminated_retention) {
    print_error("--terminated-retention: invalid duration (e.g. 30s, 10m), got '" +
                flags.terminated_retention + "'");
    return exit_usage;
  }

  session::server_config config;
  if (address) {
    config.listen_host = address->host;
    config.listen_port = address->port;
    config.host_names.push_back(ui::url_host_name("http://" + address->host));
  }
  for (const auto& url : flags.public_urls) {
    const std::string name = ui::url_host_name(url);
    if (name.empty()) {
      print_error("--public-url expects a URL such as https://host.example:7681, got '" + url +
                  "'");
      return exit_usage;
    }
    config.host_names.push_back(name);
  }
  config.max_sessions = flags.max_sessions;
  config.max_connections = flags.limits.max_connections;
  config.max_unauthenticated = flags.limits.max_unauthenticated;
  config.max_unauthenticated_per_ip = flags.limits.max_unauthenticated_per_ip;
  config.session.token = flags.token;
  if (!flags.token.empty()) config.session.auth_throttle = std::make_shared<base::auth_throttle>();
  config.session.max_payload = *max_frame;
  config.session.kill_grace = *kill_grace;
  config.session.open_timeout = *open_timeout;
  if (!flags.identity.empty()) {
    e2e::key_store store;
    auto identity = store.load_identity(flags.identity);
    if (!identity) {
      print_error(identity.error().message);
      return exit_failure;
    }
    spdlog::info("end-to-end encryption required: endpoint identity '{}' ({})", flags.identity,
                 identity->public_identity().fingerprint());
    config.session.e2e_identity = std::make_shared<const e2e::identity>(std::move(*identity));
    // Re-reads the authorized clients on every handshake: changes apply to the next session.
    config.session.e2e_authorizer = e2e::authorize_from_store(store, flags.identity);
  }
  if (!flags.tls_cert.empty()) {
    auto tls = transport::make_server_tls_context(flags.tls_cert, flags.tls_key, error);
    if (!tls) {
      print_error(error);
      return exit_failure;
    }
    config.tls = std::move(tls);
    config.allow_plaintext = flags.allow_plaintext;
  }

  asio::io_context io{1};
  session::webtty_server server(io, config);
  session::server_routes_config routes_config{config.session.token, files};
  routes_config.auth_throttle = config.session.auth_throttle;
  std::shared_ptr<session::live_registry> live_sessions;
  if (flags.identity.empty() && flags.max_live_sessions > 0) {
    session::live_registry_config live_config;
    live_config.max_sessions = flags.max_live_sessions;
    live_config.scrollback_bytes = *scrollback;
    live_config.kill_grace = *kill_grace;
    live_config.max_terminated = flags.max_terminated_sessions;
    live_config.terminated_retention = *terminated_retention;
    live_sessions = std::make_shared<session::live_registry>(io.get_executor(), live_config);
    routes_config.live = std::make_shared<const session::live_api>(live_sessions);
  } else {
    routes_config.live_disabled_reason =
        !flags.identity.empty()
            ? "live sessions are off on a server with --identity: they are not end-to-end "
              "encrypted, and every session of this server must be"
            : "live sessions are off on this server (--max-live-sessions 0)";
  }
  auto routes = std::make_shared<const session::server_routes>(std::move(routes_config));
  server.set_http_routes(
      [routes](transport::http_exchange& exchange) { return routes->handle(exchange); });
  if (address && !server.listen(error)) {
    print_error(error);
    return exit_failure;
  }
  int exit_code = exit_ok;
  std::shared_ptr<tunnel::tunnel_connector> connector;
  if (tunnel_config) {
    tunnel::tunnel_connector::events events;
    events.online = [](const tunnel::tunnel_welcome& welcome, bool first_time) {
      if (first_time) {
        // stdout: what a script waits for. Reconnections are news for the operator only.
        std::string line = "online as " + welcome.rstream_url + "\n";
        if (!welcome.browser_url.empty()) line += "  browser: " + welcome.browser_url + "\n";
        std::fputs(line.c_str(), stdout);
        std::fflush(stdout);
      } else {
        spdlog::warn("back online as {} (tunnel id {})", welcome.rstream_url, welcome.id);
      }
    };
    events.offline = [](const std::string& why, std::chrono::milliseconds retry_in) {
      spdlog::warn("tunnel offline: {}; retrying in {} ms", why, retry_in.count());
    };
    events.fatal = [&](const std::string& why) {
      print_error(why);
      exit_code = exit_failure;
      server.shutdown([&] { io.stop(); });
      if (!address) io.stop();
    };
    connector = std::make_shared<tunnel::tunnel_connector>(
        io, *tunnel_config,
        [&server, &io, routes](std::unique_ptr<transport::frame_channel> channel,
                               tunnel::stream_kind kind) {
          if (kind == tunnel::stream_kind::webtty) {
            server.serve_channel(std::move(channel));
            return;
          }
          // An HTTP request the engine routed here (e.g. /fs through rstrm://NAME).
          transport::http_handler routed = [routes](transport::http_exchange& exchange) {
            return routes->handle_routed(exchange);
          };
          asio::co_spawn(io, tunnel::serve_http_stream(std::move(channel), std::move(routed)),
                         base::log_failure{"tunnel HTTP stream"});
        },
        std::move(events));
  }
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
      if (connector) connector->stop();
      if (live_sessions) asio::co_spawn(io, live_sessions->shut_down(), asio::detached);
      // Once every session is gone, only this signal wait keeps run() going: end it.
      server.shutdown([&] { signals.cancel(); });
    });
  };
  wait_signal();
  if (!address) {
    // Tunnel only: announce nothing until online; the connector prints that.
    spdlog::info("connecting to the engine at {} as '{}'", tunnel_config->engine.text(),
                 flags.name);
    connector->start();
    io.run();
    spdlog::info("server stopped");
    return exit_code;
  }
  auto endpoint = server.local_endpoint();
  std::string host = endpoint.address().to_string();
  if (endpoint.address().is_v6()) host = "[" + host + "]";
  std::string where = host + ":" + std::to_string(endpoint.port());
  // The first line on stdout names the bound address (useful with port 0); the rest says how
  // to reach it.
  std::string banner = "rstream webtty server listening on " + where + "\n";
  banner += "  tcp://" + where + "  ws://" + where + "/webtty";
  if (config.tls) banner += "  tls://" + where + "  wss://" + where + "/webtty";
  banner += "\n";
  if (files) {
    banner += std::string("  files: ") + (config.tls ? "https://" : "http://") + where + "/fs/" +
              (flags.fs_read_only ? " (read-only)" : "") + "\n";
  }
  std::fputs(banner.c_str(), stdout);
  std::fflush(stdout);
  if (flags.token.empty()) {
    spdlog::warn("no --token: any local user who can reach {} can run commands as this user",
                 where);
  }

  const auto& limits = server.connection_limits();
  spdlog::info("limits: {} connections, {} unauthenticated ({} per IP address), {} sessions",
               limits.max_connections, limits.max_pending, limits.max_pending_per_source,
               config.max_sessions);
  server.start();
  if (connector) connector->start();
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
  cmd->add_option("--max-frame", flags->max_frame, "Largest frame payload accepted")
      ->capture_default_str();
  cmd->add_option(
         "--kill-grace", flags->kill_grace,
         "When a client goes away: SIGHUP to the command's process group, SIGKILL after this")
      ->capture_default_str();
  cmd->add_option("--open-timeout", flags->open_timeout,
                  "A new connection must send its Open frame within this (and have finished "
                  "every handshake within this plus 1s of being accepted)")
      ->capture_default_str();
  cmd->add_option("--identity", flags->identity,
                  "E2E endpoint identity (rstream webtty identity create): every session must be "
                  "end-to-end encrypted, from authorized clients only");
  cmd->add_option("--fs-root", flags->fs_root,
                  "Serve this directory's files with WebDAV at /fs (rstream webtty fs, curl, "
                  "rclone); confined under DIR, with this user's permissions")
      ->check(CLI::ExistingDirectory);
  cmd->add_flag("--fs-read-only", flags->fs_read_only,
                "With --fs-root: refuse every write (403, \"read-only filesystem\")");
  cmd->add_option("--fs-max-upload", flags->fs_max_upload,
                  "With --fs-root: largest file a PUT may write (413 beyond)")
      ->capture_default_str();
  cmd->add_option("--max-live-sessions", flags->max_live_sessions,
                  "Live sessions (persistent terminals at /api/terminal) running at once; 0 "
                  "turns them off")
      ->capture_default_str();
  cmd->add_option("--scrollback", flags->scrollback,
                  "Output each live session keeps for participants that attach later")
      ->capture_default_str();
  cmd->add_option("--max-terminated-sessions", flags->max_terminated_sessions,
                  "Terminated live sessions kept for `sessions list` and late joiners (each "
                  "keeps its scrollback); beyond it the oldest are removed")
      ->capture_default_str();
  cmd->add_option("--terminated-retention", flags->terminated_retention,
                  "A terminated live session is removed this long after its end")
      ->capture_default_str();
  add_verbosity_flag(*cmd, flags->verbosity);
  table[cmd] = [flags] { return run_server(*flags); };
}

}  // namespace rstream::cli
