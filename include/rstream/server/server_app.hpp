// server_app: the whole WebTTY server (`rstream webtty server`) as one object that a command or
// a test starts on an io_context: the listener with its limits, TLS and E2E identity, the HTTP
// routes (files, live sessions), and the tunnel to an engine. server_config is plain data, the
// settings the command's flags produce; the process-wide parts (logging, the orphan guard,
// signals, stdout) stay with the caller.
//
// Thread-safety: everything runs on one single-threaded io_context; call from its thread (or
// before run()).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rstream/config/contexts.hpp"
#include "rstream/transport/connection_gate.hpp"
#include "rstream/transport/connection_limit_settings.hpp"
#include "rstream/transport/endpoint_url.hpp"
#include "rstream/transport/listener.hpp"
#include "rstream/tunnel/protocol.hpp"

namespace rstream::e2e {
class identity;
}

namespace rstream::tunnel {
class tunnel_connector;
}

namespace rstream::server {

/// Where and as what the server publishes itself through an engine (--rstream).
struct server_tunnel_config {
  config::engine_url engine;
  std::string engine_token;  ///< the project context's token for that engine
  std::string engine_ca;     ///< PEM file trusted for an https:// engine; empty: system trust
  std::string name;          ///< rstrm://NAME
  /// --label KEY=VALUE, stored as rstream.webtty.label.KEY beside the labels the server sets.
  std::map<std::string, std::string> labels;
  bool publish = true;  ///< false: browsers cannot reach the tunnel (--no-publish)
  /// A registered server (--server-id): its id and the enrolled identity that signs its
  /// admission proof; both empty for a lightweight tunnel.
  std::string server_id;
  std::string enrolled_identity;
  /// The record's encryption policy is explicit_key: every session must be end-to-end
  /// encrypted with the enrolled identity (it becomes the server's --identity).
  bool requires_e2e = false;
};

struct server_config {
  /// Serve directly on this address (port 0: any free port); none: through the engine only.
  std::optional<transport::endpoint_url> listen;
  std::optional<server_tunnel_config> tunnel;  ///< none: no engine
  std::string token;                           ///< clients must present it; empty: no auth
  bool insecure_no_auth = false;               ///< allows a non-loopback listener without a token
  transport::server_tls_files tls;             ///< enables tls:// and wss://
  std::vector<std::string> public_urls;        ///< URLs browsers reach the server by (Host names)
  std::size_t max_sessions = 1024;
  transport::connection_limit_settings limits;  ///< 0: derived from RLIMIT_NOFILE
  std::size_t max_frame = 1u << 20;             ///< largest frame payload accepted
  std::chrono::milliseconds kill_grace{2000};
  std::chrono::milliseconds open_timeout{10000};
  std::string identity;  ///< E2E endpoint identity name; every session must use it
  // Filesystem sidecar at /fs
  std::string fs_root;  ///< empty: no files
  bool fs_read_only = false;
  std::size_t fs_max_upload = 64u << 20;
  // Live sessions at /api/terminal
  std::size_t max_live_sessions = 64;  ///< 0: off
  std::size_t scrollback = 1u << 20;
  std::size_t max_terminated_sessions = 32;
  std::chrono::milliseconds terminated_retention{std::chrono::minutes(10)};
};

/// Why `config` cannot be served (a message for users naming the flag), or nullopt. Checks
/// what does not need the system: combinations, the token's strength, a non-loopback address
/// without a token, the tunnel's name and label keys, the public URLs.
std::optional<std::string> server_config_problem(const server_config& config);

/// The labels a tunnel of this server carries: host facts, what it serves, the user's labels.
std::map<std::string, std::string> server_tunnel_labels(const server_config& config);

class webtty_server;
class live_registry;
class server_routes;

class server_app {
 public:
  struct events {
    /// The listener is bound (address() and client_urls() answer); sessions are not served
    /// yet. Not called without config.listen.
    std::function<void()> listening;
    /// The tunnel is online for the first time (reconnections are only logged).
    std::function<void(const tunnel::tunnel_welcome&)> online;
    /// The engine refused the tunnel for a reason retrying cannot fix; the caller stops.
    std::function<void(const std::string& why)> fatal;
  };

  /// `config` must have passed server_config_problem.
  server_app(boost::asio::io_context& io, server_config config, events on_event = {});
  ~server_app();
  server_app(const server_app&) = delete;
  server_app& operator=(const server_app&) = delete;

  /// Loads the identity, TLS certificate and file root, binds, starts accepting and connects
  /// the tunnel. False with a message for users when something cannot be used.
  bool start(std::string& error);
  /// Stops the tunnel, hangs up every session and live session; `on_drained` runs once no
  /// session is left (io_context::run then returns when the last live session is gone).
  void stop(std::function<void()> on_drained = {});

  /// Whether the server listens on its own port (config.listen).
  bool listening() const { return config_.listen.has_value(); }
  /// The bound address (after start, when listening).
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  /// The bound address as HOST:PORT ("[V6]:PORT"), e.g. "127.0.0.1:7681".
  std::string address() const;
  /// The URLs clients reach it by: tcp:// and ws://…/webtty, with TLS also tls:// and wss://.
  std::vector<std::string> client_urls() const;
  /// The WebDAV root ("http://HOST:PORT/fs/"), or empty without --fs-root.
  std::string files_url() const;
  /// The tunnel's address once online ("rstrm://NAME"), else empty.
  const std::string& rstream_url() const { return rstream_url_; }
  /// The admission limits in force (after deriving the defaults).
  const transport::connection_limits& connection_limits() const;
  const server_config& config() const { return config_; }
  /// What `webtty server` prints once listening: the bound address on the first line (useful
  /// with port 0), then the URLs that reach it.
  std::string listening_banner() const;
  /// What it prints when its tunnel is first online: "online as rstrm://NAME" (+ browser URL).
  static std::string online_banner(const tunnel::tunnel_welcome& welcome);

 private:
  /// Loads what the config names (identity, TLS, file root) and builds the server and routes.
  bool build(std::string& error);
  void connect_tunnel();

  boost::asio::io_context& io_;
  server_config config_;
  events events_;
  std::unique_ptr<webtty_server> server_;
  std::shared_ptr<live_registry> live_sessions_;
  std::shared_ptr<const server_routes> routes_;  ///< shared with the handlers
  std::shared_ptr<tunnel::tunnel_connector> connector_;
  /// A registered server's enrolled identity: signs its admission proofs.
  std::shared_ptr<const e2e::identity> enrolled_identity_;
  std::string rstream_url_;
};

}  // namespace rstream::server
