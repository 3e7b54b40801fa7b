// engine_app: the whole relay (`rstream engine`) as one object that a command or a test starts
// on an io_context: its data directory and token store (with the admin token written on first
// start), the recorder of managed sessions (with its writer thread), TLS, the engine_server,
// and the project context "local" for this machine's clients.
// engine_config is plain data, the settings the command's flags produce; the process-wide
// parts (logging, signals, stdout) stay with the caller.
//
// Thread-safety: everything runs on one single-threaded io_context; call from its thread (or
// before run()).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "rstream/engine/server_registry.hpp"
#include "rstream/engine/token_store.hpp"
#include "rstream/transport/connection_limit_settings.hpp"
#include "rstream/transport/listener.hpp"

namespace rstream::engine {

struct engine_config {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8765;  ///< 0: any free port
  std::filesystem::path data_dir;    ///< engine.db (tokens, registered servers) and admin-token
  /// Write the project context "local" (this engine, its admin token) into the user's config
  /// file, and make it current unless another context is: what `rstream engine` does with its
  /// default data directory.
  bool write_local_context = false;
  transport::server_tls_files tls;              ///< serve https, wss and tls
  transport::connection_limit_settings limits;  ///< 0: derived from RLIMIT_NOFILE
  std::string public_url;  ///< base of the URLs given to users; empty: the bound address
  std::chrono::milliseconds name_grace{std::chrono::minutes(10)};
  /// A managed interactive session with no participant ends after this long.
  std::chrono::milliseconds detached_session_timeout{std::chrono::hours(1)};
  /// Recordings of managed sessions (session_recorder.hpp): ended ones older than this are
  /// deleted (0: kept), and the oldest ended ones while all of them hold more than
  /// recording_max_bytes of events (0: no cap).
  std::chrono::milliseconds recording_retention{0};
  std::uint64_t recording_max_bytes = 0;
};

/// Why `config` cannot be served (a message for users naming the flag), or nullopt.
std::optional<std::string> engine_config_problem(const engine_config& config);

class engine_server;
class session_recorder;

class engine_app {
 public:
  /// `config` must have passed engine_config_problem.
  engine_app(boost::asio::io_context& io, engine_config config);
  ~engine_app();
  engine_app(const engine_app&) = delete;
  engine_app& operator=(const engine_app&) = delete;

  /// Opens the data directory and tokens (writing the admin token on first start), loads TLS,
  /// binds, writes the local context when asked, and starts accepting. False with a message
  /// for users when something cannot be used.
  bool start(std::string& error);
  /// Stops accepting and closes every tunnel and stream.
  void stop();

  /// The bound address (after start).
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  /// The bound address as HOST:PORT ("[V6]:PORT").
  std::string address() const;
  /// The base URL users reach this engine at, e.g. "http://127.0.0.1:8765".
  std::string base_url() const;
  /// DATA_DIR/admin-token: the admin token written on first start.
  std::filesystem::path admin_token_file() const { return config_.data_dir / "admin-token"; }
  /// The admin token written on first start, or empty when its file is gone.
  std::string admin_token() const;
  /// The recorder of managed sessions (after start).
  session_recorder& recorder() { return *recorder_; }

 private:
  bool open_store(std::string& error);
  bool open_tokens(std::string& error);
  void write_local_context() const;

  boost::asio::io_context& io_;
  engine_config config_;
  std::unique_ptr<store::engine_store> store_;  ///< DATA_DIR/engine.db
  token_store tokens_;
  std::unique_ptr<server_registry> servers_;
  /// Before server_: the sessions it holds end (and queue their last events) first.
  std::unique_ptr<session_recorder> recorder_;
  std::unique_ptr<engine_server> server_;
};

}  // namespace rstream::engine
