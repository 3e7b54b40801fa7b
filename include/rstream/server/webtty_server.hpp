// webtty_server: accepts connections on one port (raw TCP, WebSocket at /webtty, TLS, WSS),
// runs one server_session per connection, enforces the limits (connections, unauthenticated
// connections, authenticated sessions), and shuts down gracefully. Other HTTP requests on the port
// go to the routes the owner adds (files, live sessions, the web UI); without a route they get 404.
// Thread-safety: everything runs on one single-threaded io_context; call from its thread
// (or before run()).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "rstream/base/auth_throttle.hpp"
#include "rstream/codec/frame.hpp"
#include "rstream/e2e/handshake.hpp"
#include "rstream/e2e/identity.hpp"
#include "rstream/transport/frame_channel.hpp"
#include "rstream/transport/connection_limit_settings.hpp"
#include "rstream/transport/http.hpp"
#include "rstream/ui/browser_auth.hpp"

namespace boost::asio::ssl {
class context;
}

namespace rstream::server {

/// Limits and timings of the sessions a server runs.
struct session_settings {
  std::string token;  ///< empty: no authentication
  std::size_t max_payload = codec::default_max_payload;
  std::chrono::milliseconds open_timeout{10000};     ///< first frame must arrive by then
  std::chrono::milliseconds kill_grace{2000};        ///< SIGHUP → SIGKILL of a hung-up group
  std::chrono::milliseconds tty_drain{500};          ///< PTY output read after the shell exits
  std::size_t output_queue_bytes = 2 * 1024 * 1024;  ///< per session, towards the client
  std::size_t stdin_queue_bytes = 1024 * 1024;       ///< per session, towards the command
  std::size_t read_chunk_bytes = 256 * 1024;         ///< largest read from a pipe or PTY
  /// Endpoint identity: every session must be end-to-end encrypted (docs/security.md).
  std::shared_ptr<const e2e::identity> e2e_identity;
  /// Which clients' keys are admitted (with e2e_identity).
  e2e::client_authorizer e2e_authorizer;
  /// Failed token checks per source, shared with the HTTP routes (null: not throttled).
  std::shared_ptr<base::auth_throttle> auth_throttle;
};

struct webtty_server_config {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 0;
  std::shared_ptr<boost::asio::ssl::context> tls;  ///< null: no TLS
  bool allow_plaintext = false;     ///< with tls: serve plaintext clients on the same port too
  std::size_t max_sessions = 1024;  ///< authenticated sessions running at once
  /// Connections open at once, and those not yet authenticated (handshaking, or before their
  /// Open) in total and from one IP address (0: derived from RLIMIT_NOFILE, leaving a reserve
  /// for the commands' PTYs and pipes: transport::limits_for_descriptors). Over a limit a new
  /// connection is closed at once; an admitted one must authenticate within
  /// session.open_timeout (+1 s).
  transport::connection_limit_settings limits;
  std::chrono::milliseconds shutdown_grace{5000};  ///< after SIGTERM, before forcing
  session_settings session;
  /// Host names (besides IP literals and localhost) that HTTP requests may name in Host: the
  /// bound name and those of --public-url (ui::front_door_violation).
  std::vector<std::string> host_names;
};

class session_registry;

class webtty_server {
 public:
  webtty_server(boost::asio::io_context& io, webtty_server_config config);
  ~webtty_server();

  /// Binds and listens. Returns false with a message for users on failure.
  bool listen(std::string& error);
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  /// Serves HTTP requests other than the WebTTY WebSocket (/webtty) on the server's port.
  /// Call before start(). The handler checks its own authentication.
  void set_http_routes(transport::http_handler routes);
  /// Starts accepting (after listen()).
  void start();
  /// Stops accepting, hangs up every session (SIGHUP, then SIGKILL after the grace period)
  /// and lets them send their Close; io_context::run returns when the last one is gone
  /// or shutdown_grace has passed. `on_drained` runs once no session is left.
  void shutdown(std::function<void()> on_drained = {});
  std::size_t active_sessions() const;
  /// The admission limits in force (after deriving the defaults).
  const transport::connection_limits& connection_limits() const;
  /// Serves a connection that arrived another way (a tunnel's dial-back stream), already
  /// authenticated by the engine that routed it, within the same limits as accepted ones.
  void serve_channel(std::unique_ptr<transport::frame_channel> channel);

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> on_accepted_channel(std::unique_ptr<transport::frame_channel> c);
  boost::asio::awaitable<void> on_request(transport::http_exchange& exchange);
  boost::asio::awaitable<void> serve(std::unique_ptr<transport::frame_channel> channel,
                                     const session_settings& settings);
  boost::asio::awaitable<void> serve_routed(std::unique_ptr<transport::frame_channel> channel);

  boost::asio::io_context& io_;
  webtty_server_config config_;
  boost::asio::ip::tcp::acceptor acceptor_;
  transport::serve_options serve_options_;
  ui::front_door front_door_;  ///< the Host and Origin rules for every request (docs/security.md)
  transport::http_handler http_routes_;
  std::shared_ptr<session_registry> registry_;
  bool stopping_ = false;
};

}  // namespace rstream::server
