// Internal to the engine: tunnel_link is the engine's side of one server's control connection.
// It sends the welcome, then TunnelDial requests and heartbeats (a bounded queue), reads the
// server's heartbeats, and declares the tunnel gone on close, error or silence.
//
// Thread-safety: the engine's io_context thread only.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "rstream/common/async_event.hpp"
#include "rstream/transport/frame_channel.hpp"
#include "rstream/tunnel/protocol.hpp"

namespace rstream::engine {

class tunnel_link : public std::enable_shared_from_this<tunnel_link> {
 public:
  /// Called once when the link ends, with why.
  using gone_handler = std::function<void(const std::string& id, const std::string& reason)>;

  /// `id`: the tunnel's id in the inventory (inventory.hpp), given back to `on_gone`.
  tunnel_link(std::shared_ptr<transport::frame_channel> channel, std::string id,
              std::chrono::milliseconds heartbeat, std::chrono::milliseconds dead_after,
              gone_handler on_gone);

  /// Sends the welcome and starts the read, write and watchdog loops.
  void start(const tunnel::tunnel_welcome& welcome);
  /// Asks the server to dial back for `stream`. False when the link is closed or its queue full.
  bool dial(const std::string& stream, tunnel::stream_kind kind = tunnel::stream_kind::webtty);
  /// Ends the link (idempotent); the server sees its control connection close.
  void close(const std::string& reason);
  bool closed() const { return closed_; }

 private:
  boost::asio::awaitable<void> read_loop();
  boost::asio::awaitable<void> write_loop();
  boost::asio::awaitable<void> watchdog();
  void enqueue(codec::frame f);

  static constexpr std::size_t max_queued_frames = 4096;

  std::shared_ptr<transport::frame_channel> channel_;
  std::string id_;
  std::chrono::milliseconds heartbeat_;
  std::chrono::milliseconds dead_after_;
  gone_handler on_gone_;
  std::deque<codec::frame> queue_;
  async_event queue_ready_;
  boost::asio::steady_timer timer_;
  std::chrono::steady_clock::time_point last_heard_;
  bool closed_ = false;
};

}  // namespace rstream::engine
