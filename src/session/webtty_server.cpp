// The accept loop, the session limit and graceful shutdown of a WebTTY server.
#include "rstream/session/webtty_server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl/context.hpp>

#include "rstream/common/async_event.hpp"
#include "rstream/transport/accept.hpp"
#include "server_session.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;

namespace rstream::session {

webtty_server::webtty_server(asio::io_context& io, server_config config)
    : io_(io),
      config_(std::move(config)),
      acceptor_(io),
      registry_(std::make_shared<session_registry>()) {}

webtty_server::~webtty_server() { registry_->on_removed = nullptr; }

bool webtty_server::listen(std::string& error) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(
      config_.listen_host == "localhost" ? "127.0.0.1" : config_.listen_host, ec);
  if (ec) {
    error = "invalid listen address '" + config_.listen_host + "': expected an IP address";
    return false;
  }
  tcp::endpoint endpoint(address, config_.listen_port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error = "cannot listen on " + config_.listen_host + ":" + std::to_string(config_.listen_port) +
            ": " + ec.message();
    return false;
  }
  return true;
}

tcp::endpoint webtty_server::local_endpoint() const { return acceptor_.local_endpoint(); }

std::size_t webtty_server::active_sessions() const { return registry_->size(); }

void webtty_server::start() {
  asio::co_spawn(io_, accept_loop(), [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("accept loop failed: {}", ex.what());
    }
  });
}

asio::awaitable<void> webtty_server::accept_loop() {
  while (!stopping_) {
    auto [ec, socket] = co_await acceptor_.async_accept(use_nothrow);
    if (ec) {
      if (stopping_ || ec == asio::error::operation_aborted) break;
      spdlog::warn("accept failed: {}", ec.message());
      if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space) {
        // Out of descriptors: back off instead of spinning.
        asio::steady_timer pause(io_, std::chrono::milliseconds(100));
        co_await pause.async_wait(use_nothrow);
      }
      continue;
    }
    asio::co_spawn(io_, handle_connection(std::move(socket)), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::error("connection setup failed: {}", ex.what());
      }
    });
  }
}

asio::awaitable<void> webtty_server::handle_connection(tcp::socket socket) {
  transport::accept_options options;
  options.tls = config_.tls.get();
  options.max_payload = config_.session.max_payload;
  options.handshake_timeout = config_.session.open_timeout;
  auto accepted = co_await transport::accept_channel(std::move(socket), options);
  if (!accepted.channel) {
    spdlog::info("connection refused: {}", accepted.error);
    co_return;
  }
  co_await serve(std::move(accepted.channel), config_.session);
}

void webtty_server::serve_channel(std::unique_ptr<transport::frame_channel> channel) {
  asio::co_spawn(io_, serve_routed(std::move(channel)), [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("tunnel stream failed: {}", ex.what());
    }
  });
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
  if (registry_->size() >= config_.max_sessions) {
    spdlog::warn("refusing {}: {} sessions running (--max-sessions)", accepted.channel->peer(),
                 registry_->size());
    const codec::frame refusal = codec::error_frame{
        "too_many_sessions", "the server already runs its maximum of " +
                                 std::to_string(config_.max_sessions) + " sessions"};
    co_await transport::refuse(*accepted.channel, refusal);
    co_return;
  }
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

}  // namespace rstream::session
