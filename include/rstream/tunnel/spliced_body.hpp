// spliced_body: the engine's fast path for a tunnel HTTP response body. When the server's
// stream is raw frames over plain TCP and the client's connection is plain TCP with a sized
// body, the engine reads only each Data frame's 8 header bytes and moves its payload with
// splice(2) through a pipe: the kernel passes pages from one socket to the other and the
// engine copies no body byte (`rstream webtty fs read` through the engine; see
// docs/performance.md). Every header is still checked: a frame that is not a Data frame of
// the response stream, or a malformed one, ends the relay with a message.
//
// Thread-safety: one call per stream, on its io_context thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace rstream::tunnel {

struct spliced_body_result {
  bool ended = false;       ///< the end-of-stream Data frame arrived and every byte went out
  std::uint64_t bytes = 0;  ///< body bytes written to the client
  std::string failure;      ///< why it stopped early (for logs)
};

/// Relays Data frames (stream `out`) from `server` to `client` until end-of-stream. `unread`
/// are bytes already read from `server` (they come first). Both sockets are switched to
/// non-blocking mode (Asio's own operations keep working on them).
boost::asio::awaitable<spliced_body_result> splice_response_body(
    boost::asio::ip::tcp::socket& server, std::vector<std::uint8_t> unread,
    boost::asio::ip::tcp::socket& client, std::size_t max_payload);

}  // namespace rstream::tunnel
