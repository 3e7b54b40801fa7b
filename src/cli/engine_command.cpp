// `rstream engine`: run the relay (tunnel inventory, routing, control API) on embedded
// defaults; `rstream engine token create|list|revoke`: manage its API tokens through the API.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>

#include "rstream/cli/api_client.hpp"
#include "rstream/cli/commands.hpp"
#include "rstream/cli/common.hpp"
#include "rstream/cli/shutdown_signals.hpp"
#include "rstream/config/contexts.hpp"
#include "rstream/engine/engine_app.hpp"
#include "rstream/transport/endpoint_url.hpp"

namespace asio = boost::asio;

namespace rstream::cli {
namespace {

/// The flags: the ones CLI11 can type go straight into `config`.
struct engine_flags {
  engine::engine_config config;
  std::string listen = "127.0.0.1:8765";
  std::string data_dir;
  std::string name_grace = "10m";
  std::string detached_timeout = "1h";
  std::string recording_retention = "0";
  std::string recording_max_bytes = "0";
  int verbosity = 0;
};

int run_engine(const engine_flags& flags) {
  setup_logging(flags.verbosity);
  std::string error;
  auto address = transport::parse_listen_address(flags.listen, error);
  if (!address) {
    print_error(error);
    return exit_usage;
  }
  auto name_grace = duration_flag("--name-grace", flags.name_grace);
  auto detached = duration_flag("--detached-session-timeout", flags.detached_timeout, false);
  auto retention = duration_flag("--recording-retention", flags.recording_retention);
  auto max_bytes = size_flag("--recording-max-bytes", flags.recording_max_bytes);
  if (!name_grace || !detached || !retention || !max_bytes) return exit_usage;
  engine::engine_config config = flags.config;
  config.listen_host = address->host;
  config.listen_port = address->port;
  const auto default_dir = config::rstream_home() / "engine";
  config.data_dir = flags.data_dir.empty() ? default_dir : std::filesystem::path(flags.data_dir);
  config.write_local_context = config.data_dir == default_dir;
  config.name_grace = *name_grace;
  config.detached_session_timeout = *detached;
  config.recording_retention = *retention;
  config.recording_max_bytes = *max_bytes;
  if (auto why = engine::engine_config_problem(config)) {
    print_error(*why);
    return exit_usage;
  }

  asio::io_context io{1};
  engine::engine_app app(io, std::move(config));
  if (!app.start(error)) {
    print_error(error);
    return exit_failure;
  }
  // The first signal stops at once: the engine has no work to drain.
  shutdown_signals signals(io, [&](const std::function<void()>&) {
    app.stop();
    io.stop();
  });
  const std::string banner =
      "rstream engine listening on " + app.address() + "\n  " + app.base_url() + "\n";
  std::fputs(banner.c_str(), stdout);
  std::fflush(stdout);
  io.run();
  spdlog::info("engine stopped");
  return exit_ok;
}

struct token_flags {
  std::string role = "read-write";
  std::string name;
  std::string output = "text";
  std::string id;
  std::string context;
};

int run_token_create(const token_flags& flags) {
  auto r = client::create_token(flags.context, flags.role, flags.name);
  if (!reply_ok(r)) return r.exit_code;
  if (flags.output == "json") {
    std::puts(r.body.dump(2).c_str());
  } else {
    std::puts(r.body.value("token", "").c_str());
    std::fprintf(stderr, "rstream: token '%s' (%s, id %s) created; it is shown only once\n",
                 terminal_safe(r.body.value("name", "")).c_str(),
                 terminal_safe(r.body.value("role", "")).c_str(),
                 terminal_safe(r.body.value("id", "")).c_str());
  }
  return exit_ok;
}

int run_token_list(const token_flags& flags) {
  auto r = client::list_tokens(flags.context);
  if (!reply_ok(r)) return r.exit_code;
  std::vector<std::vector<std::string>> rows{{"ID", "NAME", "ROLE", "CREATED"}};
  for (const auto& t : r.body) {
    rows.push_back(
        {t.value("id", ""), t.value("name", ""), t.value("role", ""), t.value("created_at", "")});
  }
  return print_listing(flags.output == "json", r.body, std::move(rows), "rstream: no tokens");
}

int run_token_revoke(const token_flags& flags) {
  auto r = client::revoke_token(flags.context, flags.id);
  if (!reply_ok(r)) return r.exit_code;
  std::fprintf(stderr, "rstream: token '%s' (id %s) revoked\n",
               terminal_safe(r.body.value("name", "")).c_str(),
               terminal_safe(r.body.value("id", "")).c_str());
  return exit_ok;
}

}  // namespace

void add_engine(CLI::App& app, command_table& table) {
  auto flags = std::make_shared<engine_flags>();
  auto* cmd = add_command(
      app, "engine", "Run the relay: servers dial it, clients reach them by name (rstrm://NAME)",
      "On first start it writes an admin token (DATA_DIR/admin-token, mode 0600) and, with the\n"
      "default data directory, a project context 'local' so that `rstream webtty server\n"
      "--rstream` and every client on this machine work with no further step.");
  cmd->add_option("--listen", flags->listen, "Address to serve on, HOST:PORT (port 0: any free)")
      ->capture_default_str();
  cmd->add_option("--data-dir", flags->data_dir, "Where tokens live (default ~/.rstream/engine)");
  cmd->add_option("--tls-cert", flags->config.tls.cert_file,
                  "TLS certificate chain (PEM): serve https/wss/tls")
      ->check(CLI::ExistingFile);
  cmd->add_option("--tls-key", flags->config.tls.key_file, "TLS private key (PEM)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--name-grace", flags->name_grace,
                  "How long a tunnel name stays reserved for the token that registered it after "
                  "its server goes offline (another token gets name_taken meanwhile)")
      ->capture_default_str();
  cmd->add_option("--detached-session-timeout", flags->detached_timeout,
                  "How long an interactive managed session runs on with no participant at all "
                  "(its client left; `sessions join` reattaches meanwhile)")
      ->capture_default_str();
  add_defaulted_options(
      *cmd, {{"--recording-retention", &flags->recording_retention,
              "Delete recordings of managed sessions this long after they ended (0: keep)"},
             {"--recording-max-bytes", &flags->recording_max_bytes,
              "Delete the oldest ended recordings while all of them hold more (0: no cap)"}});
  cmd->add_flag("--allow-plaintext", flags->config.tls.allow_plaintext,
                "With --tls-cert: also serve plaintext clients and servers (http://, ws://, raw "
                "frames) on the same port; by default they are refused and told to use TLS");
  add_connection_limit_flags(*cmd, flags->config.limits,
                             "handshaking, before their first frame or request");
  cmd->add_option("--public-url", flags->config.public_url,
                  "Base URL users reach this engine at, for browser URLs (default: the bound "
                  "address). Browsers must use this name, an IP address or localhost: other "
                  "Host names are refused (DNS-rebinding protection)");
  add_verbosity_flag(*cmd, flags->verbosity);
  table[cmd] = [flags] { return run_engine(*flags); };

  auto* token =
      add_command_group(*cmd, "token", "Manage the engine's API tokens (needs an admin token)");
  auto [create, c] = add_leaf<token_flags>(
      *token, table, "create", "Create a token; prints it once on stdout", run_token_create);
  create->add_option("--role", c->role, "admin, read-write or read-only")
      ->check(CLI::IsMember({"admin", "read-write", "read-only"}))
      ->capture_default_str();
  create->add_option("--name", c->name, "A name to recognise it by");
  add_output_option(*create, c->output, "text: the token only; json: details", {"text", "json"},
                    false);
  add_context_option(*create, c->context);

  auto [list, l] = add_leaf<token_flags>(
      *token, table, "list", "List tokens (ids, names, roles; never secrets)", run_token_list);
  add_output_option(*list, l->output, "table or json", {"table", "text", "json"}, false);
  add_context_option(*list, l->context);

  auto [revoke, r] = add_leaf<token_flags>(
      *token, table, "revoke", "Revoke a token by id or name, at once", run_token_revoke);
  revoke->add_option("id", r->id, "Token id or name")->required();
  add_context_option(*revoke, r->context);
}

}  // namespace rstream::cli
