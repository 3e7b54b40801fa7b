// Internal to the transport layer: telling protocols apart by a connection's first byte, and a
// deadline for the handshakes that follow. Used by serve_connection.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstdint>

#include "rstream/codec/frame.hpp"
#include "rstream/transport/deadline.hpp"

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
      : guard_(ex, limit, [fd] { ::shutdown(fd, SHUT_RDWR); }) {}
  bool expired() const { return guard_.expired(); }

 private:
  deadline_guard guard_;
};

}  // namespace rstream::transport::detail
