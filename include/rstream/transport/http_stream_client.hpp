// A streaming HTTP/1.1 client for one request on its own connection (Connection: close): the
// request body comes from a source (a callback or a file descriptor) in bounded pieces, sized
// with Content-Length when the length is known and chunked otherwise; the response head is
// returned first, and the body is then streamed to a sink in bounded pieces. Memory stays flat
// whatever the body sizes. Used by `rstream webtty fs` to speak WebDAV; http_call (http.hpp) is
// the buffered sibling for small JSON exchanges.
//
// Time limits: connect_options.timeout bounds resolve + connect + TLS + sending the request head
// and, for a request without a body, receiving the response head. While a body moves (either
// way), and while waiting for the response head after a request body, each read or write must
// make progress within idle_timeout.
//
// An early answer (the server refuses an upload before reading all of it, e.g. 413, 401 or 403)
// stops the upload and is returned as the response: the caller sees the server's status, not a
// broken pipe.
//
// Thread-safety: one call belongs to one coroutine on a single-threaded io_context. Source and
// sink callbacks run on that thread and may block (local files, stdin, stdout).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rstream/transport/connect.hpp"
#include "rstream/transport/http.hpp"

namespace rstream::transport {

/// Fills `into` with the next piece of a request body: (error, bytes); 0 bytes = the body ended.
using body_source =
    std::function<std::pair<boost::system::error_code, std::size_t>(std::span<std::uint8_t>)>;
/// Takes the next piece of a response body; an error stops the transfer.
using body_sink = std::function<boost::system::error_code(std::span<const std::uint8_t>)>;

/// A source reading a file descriptor with blocking read() (EINTR retried). Not owned.
body_source fd_source(int fd);
/// A sink writing everything to a file descriptor with blocking write(). Not owned.
body_sink fd_sink(int fd);

/// One request to send.
struct http_stream_request {
  std::string method;                ///< "GET", "PUT", "PROPFIND", ...
  std::string target;                ///< path and optional query, already percent-encoded
  std::vector<http_header> headers;  ///< extra headers; Host, Connection, Content-Length,
                                     ///< Transfer-Encoding and Authorization are set here
  std::string token;                 ///< "Authorization: Bearer" when not empty
  /// A small body held in memory (used when `source` is null); nothing when empty and the
  /// method is not one that carries a body.
  std::string body;
  /// A streamed body; takes precedence over `body`.
  body_source source;
  /// The streamed body's length when known (sent as Content-Length, and the source must give
  /// exactly that many bytes); chunked transfer coding otherwise.
  std::optional<std::uint64_t> source_length;
};

struct http_stream_options {
  connect_options connect;  ///< TLS trust and the connect + head deadline (timeout)
  std::chrono::milliseconds idle_timeout{60000};  ///< per read or write while streaming
  std::size_t piece_size = 256 * 1024;            ///< bytes per body read or write
  std::size_t max_header_bytes = 64 * 1024;       ///< response head limit
};

/// The status line and headers of a response.
struct http_stream_head {
  int status = 0;
  std::string reason;
  std::vector<http_header> headers;
  std::optional<std::uint64_t> content_length;

  /// The first header with this name (case-insensitive), or null.
  const std::string* header(std::string_view name) const;
};

/// A request in flight whose response head has arrived; the body is still to be read.
class http_stream_call {
 public:
  class impl;
  explicit http_stream_call(std::unique_ptr<impl> state);
  ~http_stream_call();
  http_stream_call(const http_stream_call&) = delete;
  http_stream_call& operator=(const http_stream_call&) = delete;

  const http_stream_head& head() const;

  /// Streams the rest of the response body into `sink`; returns the bytes delivered. On
  /// failure (the connection, the idle timeout, or the sink) `error` says what failed.
  boost::asio::awaitable<std::pair<bool, std::uint64_t>> read_body(const body_sink& sink,
                                                                   std::string& error);
  /// Reads the whole body into `out`; false (with `error`) past `limit` bytes or on failure.
  boost::asio::awaitable<bool> read_body_text(std::size_t limit, std::string& out,
                                              std::string& error);

 private:
  std::unique_ptr<impl> impl_;
};

struct http_stream_result {
  std::unique_ptr<http_stream_call> call;  ///< null when no response head arrived
  std::string error;                       ///< what failed, for users (names host:port)
  /// Request-body bytes the source produced and were sent (an early answer may cut it short).
  std::uint64_t body_bytes_sent = 0;
};

/// Dials `target`, sends the request (streaming its body) and reads the response head.
/// `target`, `request` and `options` must outlive the returned awaitable.
boost::asio::awaitable<http_stream_result> http_stream_start(const http_target& target,
                                                             const http_stream_request& request,
                                                             const http_stream_options& options);

}  // namespace rstream::transport
