// The tunnel's two client ends:
// - tunnel_connector (server side): dials the engine (outbound only), registers the tunnel,
//   exchanges heartbeats, dials back a new connection for every client stream the engine
//   announces and hands it to the server as an already authenticated session connection;
//   reconnects with exponential backoff and jitter and registers again after a loss.
// - connect_route (client side): one connection to the engine that asks for a tunnel by name;
//   after it, the connection carries an ordinary WebTTY session.
//
// Thread-safety: the io_context's thread only.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "rstream/config/contexts.hpp"
#include "rstream/transport/connect.hpp"
#include "rstream/tunnel/protocol.hpp"

namespace rstream::tunnel {

/// A registered server's answer to the engine's challenge: the signature (base64url) of the
/// challenge with the server id and these labels, by the enrolled identity
/// (e2e/admission_proof.hpp); empty when it cannot sign.
using admission_signer = std::function<std::string(
    const tunnel_challenge& challenge, const std::map<std::string, std::string>& labels)>;

struct connector_config {
  config::engine_url engine;
  std::string token;
  std::string name;
  /// A registered server's id (--server-id), with the signer of its admission proof; empty for
  /// a lightweight tunnel.
  std::string server_id;
  admission_signer sign_admission;
  std::map<std::string, std::string> labels;  ///< full keys
  bool publish = true;
  transport::connect_options connect;  ///< TLS trust, timeout, frame limit
  std::chrono::milliseconds backoff_initial{250};
  std::chrono::milliseconds backoff_max{3000};
  std::chrono::milliseconds dead_after{10000};  ///< engine silence that means a lost connection
};

class tunnel_connector : public std::enable_shared_from_this<tunnel_connector> {
 public:
  /// A dial-back connection for one client stream, ready for the WebTTY session.
  /// Takes a dial-back stream (after its StreamAttach), of the kind the engine asked for.
  using stream_handler =
      std::function<void(std::unique_ptr<transport::frame_channel>, stream_kind kind)>;
  /// Status for the operator: online (with the welcome), offline (with why), fatal (the
  /// first registration was refused for a reason retrying cannot fix).
  struct events {
    std::function<void(const tunnel_welcome&, bool first_time)> online;
    std::function<void(const std::string& why, std::chrono::milliseconds retry_in)> offline;
    std::function<void(const std::string& why)> fatal;
  };

  tunnel_connector(boost::asio::io_context& io, connector_config config, stream_handler on_stream,
                   events on_event);

  void start();
  /// Closes the control connection (the engine drops the tunnel at once) and stops retrying.
  void stop();

 private:
  boost::asio::awaitable<void> run();
  /// One connection's life: register, then serve until it ends. Returns why it ended.
  boost::asio::awaitable<std::string> session(bool& fatal);
  /// Answers a TunnelChallenge with the signed proof; why not, or empty when sent.
  boost::asio::awaitable<std::string> prove(transport::frame_channel& channel,
                                            const codec::control_message& challenge);
  boost::asio::awaitable<void> heartbeats(std::shared_ptr<transport::frame_channel> channel);
  boost::asio::awaitable<void> dial_back(std::string tunnel_id, std::string secret,
                                         std::string stream, stream_kind kind);

  boost::asio::io_context& io_;
  connector_config config_;
  stream_handler on_stream_;
  events on_event_;
  std::string instance_;
  std::shared_ptr<transport::frame_channel> control_;
  boost::asio::steady_timer retry_timer_;
  boost::asio::steady_timer heartbeat_timer_;
  std::mt19937_64 random_;
  std::chrono::steady_clock::time_point last_heard_;
  bool stopped_ = false;
  bool ever_online_ = false;
};

/// Client: connects to the engine and asks for tunnel `target` (a name or id). The engine
/// answers on the returned channel: an Error frame when it cannot route, otherwise the
/// server's frames. The caller sends Open next, as on a direct connection.
boost::asio::awaitable<transport::connect_result> connect_route(
    const config::engine_url& engine, const std::string& token, const std::string& target,
    const transport::connect_options& options);

/// Host facts as labels (rstream.webtty.hostname, .os_id, .arch, .kernel_release).
std::map<std::string, std::string> host_fact_labels();

}  // namespace rstream::tunnel
