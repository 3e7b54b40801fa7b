// frame_channel: one connection that carries WebTTY frames, whatever the transport underneath
// (raw TCP, TLS, WebSocket, WebSocket over TLS). The server and client layers only see this
// interface, so Beast and OpenSSL stay inside the transport layer's translation units.
//
// Thread-safety: a channel belongs to one strand (our io_context is single-threaded). At most
// one read_frame and one write_frame may be outstanding at a time.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <cstdint>
#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "rstream/codec/frame.hpp"
#include "rstream/transport/connection_gate.hpp"

namespace rstream::transport {

/// What a read produced: a frame, an orderly end, an I/O failure, or bytes that are not a
/// valid frame (a protocol error the caller should report to the peer before closing).
struct read_result {
  enum class kind { frame, closed, io_error, protocol_error };
  kind what = kind::closed;
  codec::frame frame;
  codec::decode_error protocol;  ///< set when what == protocol_error
  boost::system::error_code io;  ///< set when what == io_error

  /// One line for logs and error messages.
  std::string describe() const;
};

/// A plain TCP connection given up by a raw-frame channel, with the bytes it had read but not
/// yet consumed (they come first).
struct released_socket {
  boost::asio::ip::tcp::socket socket;
  std::vector<std::uint8_t> unread;
  connection_slot slot;  ///< the listener's count of this connection (if any) goes along
};

class frame_channel {
 public:
  virtual ~frame_channel() = default;

  virtual boost::asio::any_io_executor get_executor() = 0;
  /// Reads the next whole frame.
  virtual boost::asio::awaitable<read_result> read_frame() = 0;
  /// Writes one frame given as its header and payload (gathered, not copied).
  virtual boost::asio::awaitable<boost::system::error_code> write_frame(
      std::span<const std::uint8_t> header, std::span<const std::uint8_t> payload) = 0;
  /// Ends the connection politely (WebSocket close, TLS close_notify, TCP FIN), bounded in time
  /// by the caller.
  virtual boost::asio::awaitable<void> shutdown() = 0;
  /// Ends the connection now; pending operations complete with an error.
  virtual void close() = 0;

  /// "tcp", "tls", "ws" or "wss".
  virtual const char* scheme() const = 0;
  /// The peer's address, for logs.
  virtual std::string peer() const = 0;
  /// Bearer token the peer presented at the transport level (WebSocket Authorization header).
  const std::string& bearer_token() const { return bearer_token_; }
  /// Keeps an object the channel depends on (e.g. a client TLS context) alive as long as it.
  void keep_alive(std::shared_ptr<void> resource) { keep_alive_ = std::move(resource); }

  /// The listener's admission slot of this connection (connection_gate.hpp): it counts the
  /// connection while the channel lives, and as unauthenticated until leave_pending().
  void hold_slot(connection_slot slot) { slot_ = std::move(slot); }
  /// The peer proved who it is (token, stream secret), or the server refused it and is only
  /// closing it: the connection no longer counts as unauthenticated (it still counts as open)
  /// and its admission deadline is off. Wrappers forward to the inner channel.
  virtual void leave_pending() { slot_.leave_pending(); }
  /// Counts the connection as unauthenticated again (a WebSocket that must still send Open).
  /// False when the listener's limits are reached: the caller then closes it.
  bool reenter_pending() { return slot_.reenter_pending(); }

  /// For relays that move bytes without reading frames: a raw-frame channel over plain TCP
  /// gives up its socket (the channel is then unusable); any other channel returns nullopt and
  /// stays as it was.
  virtual std::optional<released_socket> release_plain_socket() { return std::nullopt; }

  /// Convenience: encodes and writes a whole frame.
  boost::asio::awaitable<boost::system::error_code> write(const codec::frame& f);
  /// Writes a Data frame whose bytes stay where they are (gathered with the header, not copied
  /// into a data_frame first): for relays and bulk bodies.
  boost::asio::awaitable<boost::system::error_code> write_data(codec::stream_id stream,
                                                               std::span<const std::uint8_t> bytes,
                                                               bool end_of_stream = false);

 protected:
  std::string bearer_token_;
  /// Declared in the base: destroyed after the derived class's socket, in the same step.
  connection_slot slot_;

 private:
  std::shared_ptr<void> keep_alive_;
};

/// Sends `reason` (an Error frame), closes politely, and discards what the peer still sends
/// (at most two seconds): closing with unread bytes would make the kernel answer with a reset,
/// and the peer could lose the Error and see only a broken pipe.
boost::asio::awaitable<void> refuse(frame_channel& channel, const codec::frame& reason);

/// Reads the channel's next frame, closing the channel when none came within `limit` (a first
/// frame, a handshake step or an answer that must come promptly).
boost::asio::awaitable<read_result> read_frame_within(std::shared_ptr<frame_channel> channel,
                                                      std::chrono::milliseconds limit);

}  // namespace rstream::transport
