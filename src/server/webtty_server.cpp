// The accept loop, the session limit and graceful shutdown of a WebTTY server.
#include "rstream/server/webtty_server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl/context.hpp>

#include "rstream/base/log_failure.hpp"
#include "rstream/common/async_event.hpp"
#include "rstream/transport/listener.hpp"
#include "rstream/ui/browser_auth.hpp"
#include "rstream/ui/front_door.hpp"
#include "server_session.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;

namespace rstream::server {

namespace {
/// Where WebTTY clients upgrade to WebSocket (ws://HOST:PORT/webtty).
constexpr std::string_view webtty_websocket_path = "/webtty";
}  // namespace

webtty_server::webtty_server(asio::io_context& io, webtty_server_config config)
    : io_(io),
      config_(std::move(config)),
      acceptor_(io),
      registry_(std::make_shared<session_registry>(config_.max_sessions)) {
  front_door_.auth_required = !config_.session.token.empty();
  front_door_.names = config_.host_names;
  serve_options_.tls = config_.tls.get();
  serve_options_.allow_plaintext = config_.allow_plaintext;
  serve_options_.max_payload = config_.session.max_payload;
  serve_options_.handshake_timeout = config_.session.open_timeout;
  // The session's own Open timer answers first ("timeout"); this bounds the whole
  // unauthenticated time (sniffing, TLS, WebSocket upgrade, E2E handshake, Open) from accept.
  serve_options_.gate = std::make_shared<transport::connection_gate>(transport::limits_from(
      config_.limits, config_.session.open_timeout + std::chrono::seconds(1)));
}

const transport::connection_limits& webtty_server::connection_limits() const {
  return serve_options_.gate->limits();
}

webtty_server::~webtty_server() { registry_->on_removed = nullptr; }

bool webtty_server::listen(std::string& error) {
  return transport::listen_on(acceptor_, config_.listen_host, config_.listen_port, error);
}

tcp::endpoint webtty_server::local_endpoint() const { return acceptor_.local_endpoint(); }

std::size_t webtty_server::active_sessions() const { return registry_->size(); }

void webtty_server::start() {
  asio::co_spawn(io_, accept_loop(), base::log_failure{"accept loop"});
}

void webtty_server::set_http_routes(transport::http_handler routes) {
  http_routes_ = std::move(routes);
}

asio::awaitable<void> webtty_server::accept_loop() {
  co_await transport::accept_connections(acceptor_, serve_options_, this,
                                         &webtty_server::on_accepted_channel,
                                         &webtty_server::on_request);
}

asio::awaitable<void> webtty_server::on_accepted_channel(
    std::unique_ptr<transport::frame_channel> channel) {
  co_await serve(std::move(channel), config_.session);
}

asio::awaitable<void> webtty_server::on_request(transport::http_exchange& exchange) {
  const auto& request = exchange.request();
  // Every request on this port, whatever its route, passes the Host and Origin rules first:
  // a page elsewhere must not open /webtty (or anything) in a browser that can reach us.
  if (!co_await ui::screen_request(exchange, front_door_)) co_return;
  if (request.path() == webtty_websocket_path) {
    if (!request.is_websocket_upgrade()) {
      co_await exchange.respond_error(426, "upgrade_required",
                                      "WebTTY speaks WebSocket here: send an Upgrade request");
      co_return;
    }
    std::string error;
    auto channel = co_await exchange.accept_websocket(config_.session.max_payload, error);
    if (!channel) {
      spdlog::info("WebSocket upgrade from {} failed: {}", exchange.peer(), error);
      co_return;
    }
    co_await serve(std::move(channel), config_.session);
    co_return;
  }
  if (http_routes_) {
    co_await http_routes_(exchange);
    co_return;
  }
  co_await exchange.respond_error(404, "not_found",
                                  "nothing is served at this path (WebTTY is at /webtty)");
}

void webtty_server::serve_channel(std::unique_ptr<transport::frame_channel> channel) {
  asio::co_spawn(io_, serve_routed(std::move(channel)), base::log_failure{"tunnel stream"});
}

asio::awaitable<void> webtty_server::serve_routed(
    std::unique_ptr<transport::frame_channel> channel) {
  // The engine authenticated the client (its token, its role) before routing it here.
  session_settings settings = config_.session;
  settings.token.clear();
  co_await serve(std::move(channel), settings);
}

asio::awaitable<void> webtty_server::serve(std::unique_ptr<transport::frame_channel> channel,
                                           const session_settings& settings) {
  struct {
    std::unique_ptr<transport::frame_channel> channel;
  } accepted{std::move(channel)};
  // Named frames, not temporaries inside co_await: GCC 12 destroys such temporaries twice.
  if (stopping_) {
    const codec::frame refusal = codec::error_frame{"shutdown", "the server is shutting down"};
    co_await transport::refuse(*accepted.channel, refusal);
    co_return;
  }
  // --max-sessions counts authenticated sessions only (server_session checks it after the
  // token): connections that never authenticate are bounded by the connection_gate instead.
  auto session = std::make_shared<server_session>(std::move(accepted.channel), settings, registry_);
  session->start();
}

void webtty_server::shutdown(std::function<void()> on_drained) {
  if (stopping_) return;
  stopping_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  spdlog::info("shutting down: {} session(s) to end", registry_->size());
  registry_->hang_up_all();
  if (registry_->size() == 0) {
    if (on_drained) on_drained();
    return;
  }
  // Force the end if sessions do not finish in time.
  auto deadline = std::make_shared<asio::steady_timer>(io_, config_.shutdown_grace);
  registry_->on_removed = [this, deadline, on_drained, done = false]() mutable {
    if (done || registry_->size() != 0) return;
    done = true;
    deadline->cancel();
    if (on_drained) on_drained();
  };
  deadline->async_wait([this, deadline](boost::system::error_code ec) {
    if (ec) return;
    spdlog::warn("{} session(s) still running after the shutdown grace period; stopping",
                 registry_->size());
    io_.stop();
  });
}

}  // namespace rstream::server
