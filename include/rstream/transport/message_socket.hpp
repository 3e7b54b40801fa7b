// message_socket: a WebSocket that carries raw messages, binary and text, for the live-sessions
// endpoint /ws/terminal/{id} (terminal bytes as binary messages, JSON control as text). Unlike
// frame_channel it knows nothing of WebTTY frames. Servers get one from
// http_exchange::accept_message_socket; clients from connect_message_socket.
// Beast stays inside src/transport.
//
// Thread-safety: one strand (single-threaded io_context). At most one read_message and one
// write_message outstanding at a time.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "rstream/transport/connect.hpp"
#include "rstream/transport/connection_gate.hpp"

namespace rstream::transport {

/// What read_message produced.
struct message_read {
  enum class kind { binary, text, closed, too_large, io_error };
  kind what = kind::closed;
  boost::system::error_code io;  ///< set for io_error
};

class message_socket {
 public:
  virtual ~message_socket() = default;

  virtual boost::asio::any_io_executor get_executor() = 0;
  /// Reads one whole message into `into` (replacing its contents). Messages longer than the
  /// socket's limit give too_large (the caller should close).
  virtual boost::asio::awaitable<message_read> read_message(std::vector<std::uint8_t>& into) = 0;
  /// Writes one message, binary or text (text must be UTF-8).
  virtual boost::asio::awaitable<boost::system::error_code> write_message(
      std::span<const std::uint8_t> bytes, bool text) = 0;
  /// Writes one binary message made of `pieces` in order, gathered (no copy into one buffer).
  virtual boost::asio::awaitable<boost::system::error_code> write_binary_pieces(
      std::span<const std::span<const std::uint8_t>> pieces) = 0;
  /// Sends a WebSocket close (code 1000 normal, or 1008 policy / 1011 error with a reason) and
  /// waits for the peer's close, bounded by `timeout`.
  virtual boost::asio::awaitable<void> close_politely(std::uint16_t code, std::string reason,
                                                      std::chrono::milliseconds timeout) = 0;
  /// Ends the connection now; pending operations complete with an error.
  virtual void close() = 0;
  /// The peer's address, for logs.
  virtual std::string peer() const = 0;

  /// Convenience: a text message from a string.
  boost::asio::awaitable<boost::system::error_code> write_text(const std::string& text);

  /// The listener's admission slot of this connection (connection_gate.hpp): it counts the
  /// connection while the socket lives.
  void hold_slot(connection_slot slot) { slot_ = std::move(slot); }

 protected:
  /// Declared in the base: destroyed after the derived class's socket, in the same step.
  connection_slot slot_;
};

struct message_connect_result {
  std::unique_ptr<message_socket> socket;  ///< null on failure
  std::string error;                       ///< what failed, for users
  int http_status = 0;                     ///< the status when the server declined the upgrade
};

/// Client: dials `url`'s host and port (ws://, wss://, http://, https://, tcp:// and tls:// are
/// taken as ws:// and wss://), and upgrades at `path_and_query` (e.g. "/ws/terminal/ID?role=
/// spectator") with "Authorization: Bearer options.token" when set. Messages up to
/// `max_message` bytes.
boost::asio::awaitable<message_connect_result> connect_message_socket(
    const endpoint_url& url, const std::string& path_and_query, const connect_options& options,
    std::size_t max_message = 4 * 1024 * 1024);

}  // namespace rstream::transport
