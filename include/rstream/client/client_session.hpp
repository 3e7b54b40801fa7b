// client_session: the client side of one WebTTY session over a connected frame_channel.
// Sends Open, waits for Ack, then forwards stdin/resize/signals and delivers output to a sink
// until Close (or an Error, or the connection failing). Used by `exec` and `client`.
//
// Thread-safety: one strand; send_* must be called on it (post from other threads).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "rstream/codec/frame.hpp"
#include "rstream/common/async_event.hpp"
#include "rstream/transport/frame_channel.hpp"

namespace rstream::client {

/// How a session ended, from the client's point of view.
struct client_outcome {
  enum class kind {
    closed,             ///< the command ended: exit_code/signal are the remote ones
    remote_error,       ///< the server sent an Error (error_code/message set)
    connection_failed,  ///< I/O failure, protocol error or dead peer (message set)
    detached,           ///< the user left (escape sequence) or the client was told to stop
  };
  kind what = kind::connection_failed;
  int exit_code = 255;
  int signal = 0;
  std::string error_code;
  std::string message;
  std::int64_t pid = 0;
  std::string session_id;  ///< the engine's managed session, when there is one
};

/// Exit code a local process should return for an outcome (as ssh: 255 for failures).
int local_exit_code(const client_outcome& outcome);

class client_session {
 public:
  /// Receives output; may block (that is the backpressure towards the server).
  using output_sink = std::function<void(codec::stream_id, std::span<const std::uint8_t>)>;

  client_session(std::unique_ptr<transport::frame_channel> channel, codec::open_request open,
                 output_sink sink);

  /// Runs the session to its end.
  boost::asio::awaitable<client_outcome> run();

  /// Queues a stdin Data frame (its end-of-stream flag ends stdin). `done` runs once the bytes are
  /// written to the connection, so a reader can keep a bounded number of chunks in flight.
  void send_stdin(codec::data_frame frame, std::function<void()> done = {});
  void send_resize(std::uint16_t cols, std::uint16_t rows);
  void send_signal(int signal);
  /// Ends the session from the client side with the given outcome kind.
  void stop(client_outcome::kind why, const std::string& message);
  /// True once Ack arrived (the command is running).
  bool started() const { return started_; }

 private:
  struct outgoing {
    std::array<std::uint8_t, codec::header_size> header;
    std::vector<std::uint8_t> payload;
    std::function<void()> done;
  };
  void enqueue(codec::frame_type type, std::vector<std::uint8_t> payload,
               std::function<void()> done = {});
  boost::asio::awaitable<void> write_loop();
  boost::asio::awaitable<void> heartbeat_loop();
  void finish(client_outcome outcome);

  std::unique_ptr<transport::frame_channel> channel_;
  codec::open_request open_;
  output_sink sink_;
  std::deque<outgoing> queue_;
  async_event queue_ready_;
  async_event finished_event_;
  boost::asio::steady_timer heartbeat_timer_;
  boost::asio::steady_timer send_failure_timer_;
  bool started_ = false;
  bool send_failed_ = false;  ///< a write failed; the reader gets a moment to explain why
  std::string send_failure_;
  bool finished_ = false;
  bool writer_running_ = false;
  bool heartbeat_running_ = false;
  client_outcome outcome_;
  std::chrono::steady_clock::time_point last_heard_;
};

}  // namespace rstream::client
