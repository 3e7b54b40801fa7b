// Internal to the transport layer: telling protocols apart by a connection's first byte, and a
// deadline for the handshakes that follow. Shared by accept_channel and serve_connection.
#pragma once

#include <sys/socket.h>

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>

#include "rstream/codec/frame.hpp"

namespace rstream::transport::detail {

inline constexpr std::uint8_t tls_handshake_byte = 0x16;

enum class first_byte_kind { raw, http, tls, closed, unknown };

/// raw: our protocol version byte; http: an upper-case letter (every method starts with one);
/// tls: a TLS handshake record.
inline first_byte_kind classify(std::uint8_t byte) {
  if (byte == codec::protocol_version) return first_byte_kind::raw;
  if (byte >= 'A' && byte <= 'Z') return first_byte_kind::http;
  if (byte == tls_handshake_byte) return first_byte_kind::tls;
  return first_byte_kind::unknown;
}

/// Ends a connection's handshakes when a deadline passes: shuts the socket down by descriptor,
/// which stays valid while the socket object moves from layer to layer.
class handshake_deadline {
 public:
  handshake_deadline(const boost::asio::any_io_executor& ex, int fd,
                     std::chrono::milliseconds limit)
      : timer_(ex, limit) {
    timer_.async_wait([fd, &expired = expired_](boost::system::error_code ec) {
      if (ec) return;
      expired = true;
      ::shutdown(fd, SHUT_RDWR);
    });
  }
  ~handshake_deadline() { timer_.cancel(); }
  handshake_deadline(const handshake_deadline&) = delete;
  handshake_deadline& operator=(const handshake_deadline&) = delete;
  bool expired() const { return expired_; }

 private:
  boost::asio::steady_timer timer_;
  bool expired_ = false;
};

}  // namespace rstream::transport::detail
