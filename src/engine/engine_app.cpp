// engine_app (see engine_app.hpp): builds the relay from its config and runs it.
#include "rstream/engine/engine_app.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/ssl/context.hpp>
#include <fstream>

#include "rstream/base/private_files.hpp"
#include "rstream/config/contexts.hpp"
#include "rstream/engine/engine_server.hpp"
#include "rstream/engine/session_recorder.hpp"
#include "rstream/store/sqlite_store.hpp"
#include "rstream/transport/listener.hpp"

namespace asio = boost::asio;

namespace rstream::engine {
std::optional<std::string> engine_config_problem(const engine_config& config) {
  return transport::tls_files_problem(config.tls);
}

engine_app::engine_app(asio::io_context& io, engine_config config)
    : io_(io), config_(std::move(config)) {}

engine_app::~engine_app() = default;

bool engine_app::open_store(std::string& error) {
  if (!base::make_private_dir(config_.data_dir, error)) return false;
  auto opened = store::open_sqlite_store(config_.data_dir / "engine.db");
  if (!opened) {
    error = opened.error().message;
    return false;
  }
  store_ = std::move(*opened);
  servers_ = std::make_unique<server_registry>(*store_);
  if (auto loaded = servers_->load(); !loaded) {
    error = loaded.error().message;
    return false;
  }
  // The recorder writes on a thread of its own, through a connection of its own.
  auto companion = store_->open_companion();
  if (!companion) {
    error = companion.error().message;
    return false;
  }
  recorder_settings settings;
  settings.retention.max_age = config_.recording_retention;
  settings.retention.max_bytes = config_.recording_max_bytes;
  recorder_ =
      std::make_unique<session_recorder>(io_.get_executor(), std::move(*companion), settings);
  recorder_->start();
  return true;
}

bool engine_app::open_tokens(std::string& error) {
  if (!tokens_.open(*store_, config_.data_dir, error)) return false;
  if (!tokens_.empty()) return true;
  token_info info;
  const std::string secret = tokens_.create(token_role::admin, "admin", info, error);
  if (secret.empty() || !base::write_private_file(admin_token_file(), secret + "\n", error)) {
    return false;
  }
  spdlog::info("first start: admin token written to {}", admin_token_file().string());
  return true;
}

bool engine_app::start(std::string& error) {
  if (!open_store(error) || !open_tokens(error)) return false;
  engine_server_config server_config;
  server_config.listen_host = config_.listen_host;
  server_config.listen_port = config_.listen_port;
  server_config.public_url = config_.public_url;
  server_config.name_grace = config_.name_grace;
  server_config.detached_session_timeout = config_.detached_session_timeout;
  server_config.limits = config_.limits;
  if (!transport::load_server_tls(config_.tls, server_config.tls, server_config.allow_plaintext,
                                  error)) {
    return false;
  }
  server_ = std::make_unique<engine_server>(io_, std::move(server_config), tokens_, *servers_);
  server_->attach_recordings(*recorder_, *store_);
  if (!server_->listen(error)) return false;
  if (config_.write_local_context) write_local_context();
  server_->start();
  return true;
}

void engine_app::write_local_context() const {
  // The local context lets servers and clients on this machine work with no further step.
  config::context local{"local", base_url(), admin_token()};
  const auto existing = config::load_contexts(config::config_file_path());
  const bool make_current = !existing || existing->current.empty() || existing->current == "local";
  if (auto written = config::upsert_context(config::config_file_path(), local, make_current);
      !written) {
    spdlog::warn("could not write the local context: {}", written.error().message);
  } else {
    spdlog::info("context 'local' ({}) written to {}{}", local.engine,
                 config::config_file_path().string(), make_current ? ", now current" : "");
  }
}

std::string engine_app::admin_token() const {
  std::ifstream in(admin_token_file());
  std::string token;
  std::getline(in, token);
  return token;
}

void engine_app::stop() {
  if (server_) server_->shutdown();
}

asio::ip::tcp::endpoint engine_app::local_endpoint() const { return server_->local_endpoint(); }

std::string engine_app::address() const { return transport::endpoint_text(local_endpoint()); }

std::string engine_app::base_url() const { return server_->base_url(); }

}  // namespace rstream::engine
