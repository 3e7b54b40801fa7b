// server_app (see server_app.hpp): builds the WebTTY server from its config and runs it.
#include "rstream/server/server_app.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cctype>

#include "rstream/base/log_failure.hpp"
#include "rstream/base/secret.hpp"
#include "rstream/e2e/key_store.hpp"
#include "rstream/fs/webdav_handler.hpp"
#include "rstream/server/live_registry.hpp"
#include "rstream/server/server_routes.hpp"
#include "rstream/server/webtty_server.hpp"
#include "rstream/transport/listener.hpp"
#include "rstream/e2e/admission_proof.hpp"
#include "rstream/tunnel/connector.hpp"
#include "rstream/tunnel/http_stream.hpp"
#include "rstream/ui/browser_auth.hpp"
#include "rstream/base/host_port.hpp"

namespace asio = boost::asio;

namespace rstream::server {
namespace {

bool valid_label_key(const std::string& key) {
  for (char c : key) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return !key.empty();
}

/// What is wrong with the TLS, session and file settings, or nullopt.
std::optional<std::string> tls_sessions_and_files_problem(const server_config& config) {
  if (auto why = transport::tls_files_problem(config.tls)) return why;
  if (config.max_sessions == 0) return "--max-sessions must be at least 1";
  if (config.fs_root.empty() && config.fs_read_only) {
    return "--fs-read-only applies to --fs-root DIR: add --fs-root";
  }
  if (!config.fs_root.empty() && !config.identity.empty()) {
    return "--fs-root cannot be combined with --identity: end-to-end encryption covers terminal "
           "sessions only, not the file API, and serving files beside an E2E terminal would look "
           "protected when it is not. Run a separate server without --identity for files";
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> server_config_problem(const server_config& config) {
  if (!config.listen && !config.tunnel) {
    return "say where to serve: --listen HOST:PORT (direct), --rstream (through the engine), "
           "or both";
  }
  if (config.tunnel && config.tunnel->requires_e2e && !config.identity.empty() &&
      config.identity != config.tunnel->enrolled_identity) {
    return "server " + config.tunnel->name + " requires E2E with its enrolled identity '" +
           config.tunnel->enrolled_identity + "', not --identity " + config.identity;
  }
  if (config.tunnel) {
    if (config.tunnel->name.empty()) {
      return "--rstream needs --name NAME: the tunnel's name (rstrm://NAME)";
    }
    if (auto why = tunnel::check_tunnel_name(config.tunnel->name); !why.empty()) return why;
    for (const auto& [key, value] : config.tunnel->labels) {
      if (!valid_label_key(key)) {
        return "--label key '" + key + "' may only contain letters, digits, '.', '_', '-'";
      }
    }
  }
  if (!config.token.empty()) {
    if (auto why = base::weak_token_reason(config.token)) return "--token: " + *why;
  }
  if (config.listen && config.token.empty() && !config.insecure_no_auth &&
      !transport::is_loopback_host(config.listen->host)) {
    return "refusing to listen on " + base::host_port(config.listen->host, config.listen->port) +
           " without a token: anyone who can reach it could run commands as this user. "
           "Set --token (or RSTREAM_WEBTTY_TOKEN), or say --insecure-no-auth";
  }
  if (auto why = tls_sessions_and_files_problem(config)) return why;
  for (const auto& url : config.public_urls) {
    if (ui::url_host_name(url).empty()) {
      return "--public-url expects a URL such as https://host.example:7681, got '" + url + "'";
    }
  }
  return std::nullopt;
}

std::map<std::string, std::string> server_tunnel_labels(const server_config& config) {
  std::map<std::string, std::string> labels = tunnel::host_fact_labels();
  labels["application-protocol"] = "rstream.webtty";
  labels["rstream.webtty.capabilities"] = config.fs_root.empty() ? "exec" : "exec,fs";
  if (!config.fs_root.empty()) labels["rstream.webtty.fs.mode"] = config.fs_read_only ? "ro" : "rw";
  labels["rstream.webtty.e2e"] = config.identity.empty() ? "disabled" : "required";
  if (config.tunnel) {
    for (const auto& [key, value] : config.tunnel->labels) {
      labels["rstream.webtty.label." + key] = value;
    }
  }
  return labels;
}

server_app::server_app(asio::io_context& io, server_config config, events on_event)
    : io_(io), config_(std::move(config)), events_(std::move(on_event)) {
  // A registered server whose record says explicit_key serves E2E only, with its enrolled key.
  if (config_.tunnel && config_.tunnel->requires_e2e) {
    config_.identity = config_.tunnel->enrolled_identity;
  }
}

server_app::~server_app() = default;

bool server_app::build(std::string& error) {
  std::shared_ptr<const fs::webdav_handler> files;
  if (!config_.fs_root.empty()) {
    fs::fs_options options;
    options.root = config_.fs_root;
    options.read_only = config_.fs_read_only;
    options.max_upload = config_.fs_max_upload;
    auto handler = std::make_shared<const fs::webdav_handler>(std::move(options));
    if (!handler->ready()) {
      error = "--fs-root " + config_.fs_root + ": " + handler->open_error();
      return false;
    }
    files = std::move(handler);
  }
  webtty_server_config listener;
  if (config_.listen) {
    listener.listen_host = config_.listen->host;
    listener.listen_port = config_.listen->port;
    listener.host_names.push_back(ui::url_host_name("http://" + config_.listen->host));
  }
  for (const auto& url : config_.public_urls) {
    listener.host_names.push_back(ui::url_host_name(url));
  }
  listener.max_sessions = config_.max_sessions;
  listener.limits = config_.limits;
  session_settings& settings = listener.session;
  settings.token = config_.token;
  if (!config_.token.empty()) settings.auth_throttle = std::make_shared<base::auth_throttle>();
  settings.max_payload = config_.max_frame;
  settings.kill_grace = config_.kill_grace;
  settings.open_timeout = config_.open_timeout;
  if (!config_.identity.empty()) {
    e2e::key_store store;
    auto identity = store.load_identity(config_.identity);
    if (!identity) {
      error = identity.error().message;
      return false;
    }
    spdlog::info("end-to-end encryption required: endpoint identity '{}' ({})", config_.identity,
                 identity->public_identity().fingerprint());
    settings.e2e_identity = std::make_shared<const e2e::identity>(std::move(*identity));
    // Re-reads the authorized clients on every handshake: changes apply to the next session.
    settings.e2e_authorizer = e2e::authorize_from_store(store, config_.identity);
  }
  if (config_.tunnel && !config_.tunnel->server_id.empty() &&
      config_.identity == config_.tunnel->enrolled_identity) {
    enrolled_identity_ = settings.e2e_identity;  // explicit_key: the E2E identity, loaded above
  } else if (config_.tunnel && !config_.tunnel->server_id.empty()) {
    auto enrolled = e2e::key_store().load_identity(config_.tunnel->enrolled_identity);
    if (!enrolled) {
      error = "the enrolled identity of server " + config_.tunnel->server_id +
              " cannot be loaded: " + enrolled.error().message;
      return false;
    }
    enrolled_identity_ = std::make_shared<const e2e::identity>(std::move(*enrolled));
  }
  if (!transport::load_server_tls(config_.tls, listener.tls, listener.allow_plaintext, error)) {
    return false;
  }

  server_routes_config routes_config{settings.token, std::move(files)};
  routes_config.auth_throttle = settings.auth_throttle;
  if (config_.identity.empty() && config_.max_live_sessions > 0) {
    live_registry_config live_config;
    live_config.max_sessions = config_.max_live_sessions;
    live_config.scrollback_bytes = config_.scrollback;
    live_config.kill_grace = config_.kill_grace;
    live_config.max_terminated = config_.max_terminated_sessions;
    live_config.terminated_retention = config_.terminated_retention;
    live_sessions_ = std::make_shared<live_registry>(io_.get_executor(), live_config);
    routes_config.live = std::make_shared<const live_api>(live_sessions_);
  } else {
    routes_config.live_disabled_reason =
        !config_.identity.empty()
            ? "live sessions are off on a server with --identity: they are not end-to-end "
              "encrypted, and every session of this server must be"
            : "live sessions are off on this server (--max-live-sessions 0)";
  }
  server_ = std::make_unique<webtty_server>(io_, std::move(listener));
  routes_ = std::make_shared<const server_routes>(std::move(routes_config));
  server_->set_http_routes(
      [routes = routes_](transport::http_exchange& exchange) { return routes->handle(exchange); });
  return true;
}

bool server_app::start(std::string& error) {
  if (!build(error)) return false;
  if (config_.listen && !server_->listen(error)) return false;
  if (config_.tunnel) connect_tunnel();
  if (!config_.listen) {
    // Tunnel only: the connector announces the server once it is online.
    spdlog::info("connecting to the engine at {} as '{}'", config_.tunnel->engine.text(),
                 config_.tunnel->name);
    connector_->start();
    return true;
  }
  if (events_.listening) events_.listening();
  if (config_.token.empty()) {
    spdlog::warn("no --token: any local user who can reach {} can run commands as this user",
                 address());
  }
  const auto& limits = server_->connection_limits();
  spdlog::info("limits: {} connections, {} unauthenticated ({} per IP address), {} sessions",
               limits.max_connections, limits.max_pending, limits.max_pending_per_source,
               config_.max_sessions);
  server_->start();
  if (connector_) connector_->start();
  return true;
}

std::string server_app::listening_banner() const {
  std::string banner = "rstream webtty server listening on " + address() + "\n";
  for (const auto& url : client_urls()) banner += "  " + url;
  banner += "\n";
  if (const std::string files = files_url(); !files.empty()) {
    banner += "  files: " + files + (config_.fs_read_only ? " (read-only)" : "") + "\n";
  }
  return banner;
}

std::string server_app::online_banner(const tunnel::tunnel_welcome& welcome) {
  std::string line = "online as " + welcome.rstream_url + "\n";
  if (!welcome.browser_url.empty()) line += "  browser: " + welcome.browser_url + "\n";
  return line;
}

void server_app::connect_tunnel() {
  tunnel::connector_config tunnel_config;
  tunnel_config.engine = config_.tunnel->engine;
  tunnel_config.token = config_.tunnel->engine_token;
  tunnel_config.name = config_.tunnel->name;
  tunnel_config.labels = server_tunnel_labels(config_);
  tunnel_config.publish = config_.tunnel->publish;
  tunnel_config.connect.tls_ca_file = config_.tunnel->engine_ca;
  tunnel_config.connect.timeout = std::chrono::seconds(10);
  if (enrolled_identity_) {
    tunnel_config.server_id = config_.tunnel->server_id;
    tunnel_config.sign_admission = [identity = enrolled_identity_](
                                       const tunnel::tunnel_challenge& challenge,
                                       const std::map<std::string, std::string>& labels) {
      e2e::admission_challenge bytes{};
      if (!e2e::from_base64url(challenge.challenge, bytes)) return std::string();
      return e2e::sign_admission(*identity, challenge.server_id, bytes, labels);
    };
  }

  tunnel::tunnel_connector::events tunnel_events;
  tunnel_events.online = [this](const tunnel::tunnel_welcome& welcome, bool first_time) {
    rstream_url_ = welcome.rstream_url;
    if (first_time) {
      if (events_.online) events_.online(welcome);
    } else {
      spdlog::warn("back online as {} (tunnel id {})", welcome.rstream_url, welcome.id);
    }
  };
  tunnel_events.offline = [](const std::string& why, std::chrono::milliseconds retry_in) {
    spdlog::warn("tunnel offline: {}; retrying in {} ms", why, retry_in.count());
  };
  tunnel_events.fatal = [this](const std::string& why) {
    if (events_.fatal) events_.fatal(why);
  };
  auto on_stream = [this](std::unique_ptr<transport::frame_channel> channel,
                          tunnel::stream_kind kind) {
    if (kind == tunnel::stream_kind::webtty) {
      server_->serve_channel(std::move(channel));
      return;
    }
    // An HTTP request the engine routed here (e.g. /fs through rstrm://NAME).
    transport::http_handler routed = [routes = routes_](transport::http_exchange& exchange) {
      return routes->handle_routed(exchange);
    };
    asio::co_spawn(io_, tunnel::serve_http_stream(std::move(channel), std::move(routed)),
                   base::log_failure{"tunnel HTTP stream"});
  };
  connector_ = std::make_shared<tunnel::tunnel_connector>(
      io_, std::move(tunnel_config), std::move(on_stream), std::move(tunnel_events));
}

void server_app::stop(std::function<void()> on_drained) {
  if (connector_) connector_->stop();
  if (live_sessions_) asio::co_spawn(io_, live_sessions_->shut_down(), asio::detached);
  if (server_) {
    server_->shutdown(std::move(on_drained));
  } else if (on_drained) {
    on_drained();
  }
}

asio::ip::tcp::endpoint server_app::local_endpoint() const { return server_->local_endpoint(); }

std::string server_app::address() const { return transport::endpoint_text(local_endpoint()); }

std::vector<std::string> server_app::client_urls() const {
  const std::string where = address();
  std::vector<std::string> urls{"tcp://" + where, "ws://" + where + "/webtty"};
  if (config_.tls.enabled()) {
    urls.push_back("tls://" + where);
    urls.push_back("wss://" + where + "/webtty");
  }
  return urls;
}

std::string server_app::files_url() const {
  if (config_.fs_root.empty()) return "";
  return std::string(config_.tls.enabled() ? "https://" : "http://") + address() + "/fs/";
}

const transport::connection_limits& server_app::connection_limits() const {
  return server_->connection_limits();
}

}  // namespace rstream::server
