// `rstream webtty server`: serve WebTTY sessions on one port (tcp, ws, and with a certificate
// tls and wss), until SIGINT/SIGTERM.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cstdio>

#include "rstream/cli/commands.hpp"
#include "rstream/cli/common.hpp"
#include "rstream/session/webtty_server.hpp"
#include "rstream/transport/accept.hpp"
#include "rstream/transport/endpoint_url.hpp"

namespace asio = boost::asio;

namespace rstream::cli {
namespace {

struct server_flags {
  std::string listen;
  std::string token;
  bool insecure_no_auth = false;
  std::string tls_cert, tls_key;
  std::size_t max_sessions = 1024;
  std::string max_frame = "1MiB";
  std::string kill_grace = "2s";
  std::string open_timeout = "10s";
  int verbosity = 0;
};

int run_server(const server_flags& flags) {
  setup_logging(flags.verbosity);
  std::string error;
  auto address = transport::parse_listen_address(flags.listen, error);
  if (!address) {
    print_error(error);
    return exit_usage;
  }
  if (flags.token.empty() && !flags.insecure_no_auth &&
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

  session::server_config config;
  config.listen_host = address->host;
  config.listen_port = address->port;
  config.max_sessions = flags.max_sessions;
  config.session.token = flags.token;
  config.session.max_payload = *max_frame;
  config.session.kill_grace = *kill_grace;
  config.session.open_timeout = *open_timeout;
  if (!flags.tls_cert.empty()) {
    auto tls = transport::make_server_tls_context(flags.tls_cert, flags.tls_key, error);
    if (!tls) {
      print_error(error);
      return exit_failure;
    }
    config.tls = std::move(tls);
  }

  asio::io_context io{1};
  session::webtty_server server(io, config);
  if (!server.listen(error)) {
    print_error(error);
    return exit_failure;
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
      // Once every session is gone, only this signal wait keeps run() going: end it.
      server.shutdown([&] { signals.cancel(); });
    });
  };
  wait_signal();
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
  std::fputs(banner.c_str(), stdout);
  std::fflush(stdout);
  if (flags.token.empty()) {
    spdlog::warn("no --token: any local user who can reach {} can run commands as this user",
                 where);
  }

  server.start();
  // run() returns once shutdown has ended every session (or forced it).
  io.run();
  spdlog::info("server stopped");
  return exit_ok;
}

}  // namespace

void add_webtty_server(CLI::App& webtty, command_table& table) {
  auto flags = std::make_shared<server_flags>();
  auto* cmd = webtty.add_subcommand("server", "Serve this machine's commands and terminal");
  cmd->add_option("--listen", flags->listen,
                  "Address to listen on, HOST:PORT (port 0 picks a free one; printed on stdout)")
      ->required();
  cmd->add_option("--token", flags->token, "Require this bearer token from clients")
      ->envname("RSTREAM_WEBTTY_TOKEN");
  cmd->add_flag("--insecure-no-auth", flags->insecure_no_auth,
                "Allow listening on a non-loopback address without a token");
  cmd->add_option("--tls-cert", flags->tls_cert,
                  "TLS certificate chain (PEM): enables tls:// and wss://")
      ->check(CLI::ExistingFile);
  cmd->add_option("--tls-key", flags->tls_key, "TLS private key (PEM)")->check(CLI::ExistingFile);
  cmd->add_option("--max-sessions", flags->max_sessions, "Sessions served at once")
      ->capture_default_str();
  cmd->add_option("--max-frame", flags->max_frame, "Largest frame payload accepted")
      ->capture_default_str();
  cmd->add_option(
         "--kill-grace", flags->kill_grace,
         "When a client goes away: SIGHUP to the command's process group, SIGKILL after this")
      ->capture_default_str();
  cmd->add_option("--open-timeout", flags->open_timeout,
                  "A new connection must send its Open frame within this")
      ->capture_default_str();
  add_verbosity_flag(*cmd, flags->verbosity);
  table[cmd] = [flags] { return run_server(*flags); };
}

}  // namespace rstream::cli
