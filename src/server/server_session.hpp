// server_session: the server side of one WebTTY session on one connection.
//
//   Open → (auth, spawn) → Ack → Data both ways, Resize, Signal, Heartbeat → Close
//
// Coroutines, all on the connection's strand: the reader (this->run), one writer draining a
// bounded output queue, one pump per child output stream (stops reading the pipe while the
// queue is full), one stdin writer (the reader stops reading the socket while its queue is
// full), a child watcher on a pidfd, and a heartbeat timer. When the client goes away the
// child's process group gets SIGHUP, then SIGKILL after a grace period, and is reaped.
// Thread-safety: one strand only.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>

#include "rstream/common/async_queue.hpp"
#include "rstream/pty/async_child.hpp"
#include "rstream/pty/output_drain.hpp"
#include "rstream/server/webtty_server.hpp"
#include "rstream/transport/frame_channel.hpp"

namespace rstream::server {

/// The sessions a server is running, so that shutdown can reach them. Shared with the
/// sessions so it outlives any of them.
class server_session;
class session_registry {
 public:
  explicit session_registry(std::size_t max_running = 1024) : max_running_(max_running) {}
  std::uint64_t add(const std::shared_ptr<server_session>& s);
  void remove(std::uint64_t id);
  /// Every session, authenticated or not (shutdown reaches them all).
  std::size_t size() const { return sessions_.size(); }
  void hang_up_all();
  /// An authenticated session wants to start its command: false at --max-sessions.
  bool try_start_running() {
    if (running_ >= max_running_) return false;
    ++running_;
    return true;
  }
  void stopped_running() { --running_; }
  std::size_t running() const { return running_; }
  std::size_t max_running() const { return max_running_; }
  /// Called whenever a session ends (the server uses it to finish its shutdown).
  std::function<void()> on_removed;

 private:
  std::size_t max_running_;
  std::size_t running_ = 0;
  std::uint64_t next_id_ = 1;
  std::unordered_map<std::uint64_t, std::weak_ptr<server_session>> sessions_;
};

class server_session : public std::enable_shared_from_this<server_session> {
 public:
  server_session(std::unique_ptr<transport::frame_channel> channel,
                 const session_settings& settings, std::shared_ptr<session_registry> registry);
  ~server_session();

  /// Spawns the session's coroutines; the session keeps itself alive until they all end.
  void start();
  /// Server shutdown: end the command as if the client had hung up, but still send Close.
  void hang_up();

 private:
  struct outgoing {
    std::array<std::uint8_t, codec::header_size> header;
    std::vector<std::uint8_t> payload;
  };

  boost::asio::awaitable<void> run();
  boost::asio::awaitable<bool> authenticate_and_spawn(const codec::open_request& open);
  boost::asio::awaitable<void> read_loop();
  boost::asio::awaitable<void> write_loop();
  /// Fails the session with "timeout" unless an Open arrives within settings_.open_timeout.
  void arm_open_timer();
  /// After a refusal: reads and drops frames until the client closes (or is cut off).
  boost::asio::awaitable<void> discard_until_closed();
  boost::asio::awaitable<void> pump_output(boost::asio::posix::stream_descriptor& source,
                                           codec::stream_id stream);
  boost::asio::awaitable<void> pump_stdout();
  boost::asio::awaitable<void> pump_stderr();
  boost::asio::awaitable<void> write_stdin_loop();
  boost::asio::awaitable<void> deliver_terminal_eof();
  boost::asio::awaitable<void> watch_child();
  boost::asio::awaitable<void> heartbeat_loop();

  /// Coroutine launcher: keeps the session alive and logs anything that escapes.
  void spawn_task(const char* name, boost::asio::awaitable<void> (server_session::*task)());

  void enqueue(codec::frame_type type, std::vector<std::uint8_t> payload, bool final = false);
  void enqueue(const codec::frame& f, bool final = false);
  /// Sends an Error frame as the last frame; the connection closes after it.
  void fail(const std::string& code, const std::string& message);
  /// The client is gone (or must go): stop talking, end the command's process group.
  void peer_gone(const std::string& why);
  void end_process_group();
  void maybe_finish();
  bool handle_frame(codec::frame& f);

  std::unique_ptr<transport::frame_channel> channel_;
  const session_settings settings_;  // a copy: routed sessions have their own
  std::shared_ptr<session_registry> registry_;
  std::uint64_t id_ = 0;
  std::string peer_;

  /// What one queue entry costs beyond its payload (the entry, its header, the allocation):
  /// counted so that a flood of tiny frames fills a queue as surely as a few large ones.
  static constexpr std::size_t queue_entry_overhead = 64;

  // Outgoing frames, bounded by output_queue_bytes (payloads plus queue_entry_overhead each).
  // Closed when the writer is done (after the last frame, or the client is gone).
  async_queue<outgoing> out_;
  bool final_enqueued_ = false;

  // Bytes for the command's stdin, bounded by stdin_queue_bytes (with queue_entry_overhead).
  // Closed when the client is gone or the command has finished.
  async_queue<codec::data_frame> stdin_;
  bool stdin_end_received_ = false;

  // The command (its own teardown SIGKILLs and reaps it if it still runs when we go).
  pty::async_child child_;
  bool counted_running_ = false;  ///< holds one of the registry's --max-sessions places
  bool tty_ = false;
  std::optional<boost::asio::posix::stream_descriptor> stdin_desc_, stdout_desc_, stderr_desc_;
  pty::output_drain drain_;  ///< PTY output after the shell's exit (after stdout_desc_: uses it)
  bool child_exited_ = false;
  pty::exit_status exit_{};
  bool stdout_done_ = false;
  bool stderr_done_ = false;
  bool hung_up_ = false;
  boost::asio::steady_timer open_timer_;
  boost::asio::steady_timer heartbeat_timer_;

  // Liveness.
  std::chrono::milliseconds heartbeat_{0};
  std::chrono::steady_clock::time_point last_heard_;
  bool peer_gone_ = false;
};

}  // namespace rstream::server
