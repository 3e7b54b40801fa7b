// HTTP on rstream's ports: the shared port serves raw frame connections and HTTP requests
// side by side (see accept.hpp for the sniffing). Handlers see an http_exchange: the request
// head, a streamed body, a streamed response, and a WebSocket upgrade into a frame_channel.
// A small client (http_call) speaks to the control API. Beast stays inside src/transport.
//
// Thread-safety: an exchange belongs to its connection's coroutine on one io_context thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
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
#include "rstream/transport/connection_gate.hpp"
#include "rstream/transport/frame_channel.hpp"
#include "rstream/transport/message_socket.hpp"

namespace boost::asio::ssl {
class context;
}

namespace rstream::transport {

struct http_header {
  std::string name;
  std::string value;
};

/// The head of a request, as received.
struct http_request {
  std::string method;  ///< "GET", "PROPFIND", ...
  std::string target;  ///< as sent: path and optional query, percent-encoded
  std::vector<http_header> headers;
  std::optional<std::uint64_t> content_length;
  bool chunked = false;
  /// Where the client sees this server's root, when a proxy (the engine) routed the request:
  /// e.g. "/api/tunnels/NAME". Empty for requests that came straight to this port. Links in
  /// responses (WebDAV hrefs) start with it.
  std::string external_prefix;

  /// The first header with this name (case-insensitive), or null.
  const std::string* header(std::string_view name) const;
  /// The target before any '?', still percent-encoded.
  std::string_view path() const;
  /// A query parameter, percent-decoded; nullopt when absent.
  std::optional<std::string> query(std::string_view name) const;
  /// The token of "Authorization: Bearer TOKEN", or empty.
  std::string bearer_token() const;
  /// True for a WebSocket upgrade request.
  bool is_websocket_upgrade() const;
};

/// What read_body produced.
struct body_result {
  enum class kind { ok, too_large, failed };
  kind what = kind::failed;
  std::string body;
  std::string error;  ///< for failed
};

/// One request and its response, on a connection that may carry several in turn.
class http_exchange {
 public:
  virtual ~http_exchange() = default;

  virtual const http_request& request() const = 0;
  virtual std::string peer() const = 0;
  virtual bool secure() const = 0;

  /// Reads the next piece of the request body into `into`; 0 bytes means the body ended.
  virtual boost::asio::awaitable<std::pair<boost::system::error_code, std::size_t>> read_body_some(
      std::span<std::uint8_t> into) = 0;
  /// Reads a whole (small) body; too_large once it passes `limit` bytes.
  boost::asio::awaitable<body_result> read_body(std::size_t limit);

  /// Starts the response. Without content_length the body is sent chunked.
  /// "Content-Length", "Transfer-Encoding" and "Connection" are set here, not by callers.
  virtual boost::asio::awaitable<boost::system::error_code> write_head(
      int status, const std::vector<http_header>& headers,
      std::optional<std::uint64_t> content_length) = 0;
  virtual boost::asio::awaitable<boost::system::error_code> write_body(
      std::span<const std::uint8_t> bytes) = 0;
  /// Ends a chunked body (no-op for a sized one).
  virtual boost::asio::awaitable<boost::system::error_code> end_body() = 0;
  /// Asks for the connection to close after this response.
  virtual void close_after_response() = 0;
  /// For relays that move a sized body with splice(2): after write_head announced a
  /// Content-Length on a plain TCP connection (no TLS, not chunked, not HEAD), the socket the
  /// body bytes go to, with nothing buffered in front of it; nullptr otherwise. Bytes written
  /// there count as body.
  virtual boost::asio::ip::tcp::socket* raw_body_socket() { return nullptr; }

  /// A whole response in one call.
  boost::asio::awaitable<boost::system::error_code> respond(int status,
                                                            std::string_view content_type,
                                                            std::string_view body,
                                                            std::vector<http_header> extra = {});
  boost::asio::awaitable<boost::system::error_code> respond_json(
      int status, std::string_view json, std::vector<http_header> extra = {});
  /// {"error":{"code":CODE,"message":MESSAGE}} with the given status.
  boost::asio::awaitable<boost::system::error_code> respond_error(
      int status, std::string_view code, std::string_view message,
      std::vector<http_header> extra = {});

  /// Completes a WebSocket upgrade carrying WebTTY frames (one per binary message). The
  /// connection leaves the HTTP loop; null (with `error`) when the handshake failed.
  virtual boost::asio::awaitable<std::unique_ptr<frame_channel>> accept_websocket(
      std::size_t max_payload, std::string& error) = 0;
  /// Completes a WebSocket upgrade carrying raw binary and text messages (/ws/terminal).
  /// Null (with `error`) when the handshake failed or this exchange cannot upgrade (requests
  /// an engine routed through a tunnel).
  virtual boost::asio::awaitable<std::unique_ptr<message_socket>> accept_message_socket(
      std::size_t max_message, std::string& error);
};

/// Handles one request. The connection continues with the next request unless the handler
/// upgraded it, asked to close, or left the request body unread.
using http_handler = std::function<boost::asio::awaitable<void>(http_exchange&)>;
/// Takes a connection that speaks raw frames.
using channel_handler = std::function<boost::asio::awaitable<void>(std::unique_ptr<frame_channel>)>;

struct serve_options {
  boost::asio::ssl::context* tls = nullptr;  ///< null: TLS clients are refused
  /// With `tls`: also serve plaintext (raw frames, HTTP, WebSocket) on the same port. When
  /// false, plaintext clients are told to use TLS (HTTP 400, or an Error frame tls_required)
  /// and closed.
  bool allow_plaintext = false;
  std::size_t max_payload = codec::default_max_payload;
  std::chrono::milliseconds handshake_timeout{10000};  ///< first bytes, TLS, request head
  std::chrono::milliseconds idle_timeout{60000};       ///< between keep-alive requests
  std::size_t max_header_bytes = 16 * 1024;
  /// Admission limits of the listener (connection_gate.hpp); null: none.
  std::shared_ptr<connection_gate> gate;
};

/// Serves one accepted connection: raw frames (first byte = protocol version) go to
/// `on_channel`, HTTP requests to `on_request` (keep-alive), TLS first when it starts with a
/// TLS handshake. `slot` (the listener's admission of the connection) goes with the socket:
/// into the frame channel or WebSocket, and it stops counting as unauthenticated once an HTTP
/// request head has arrived (handlers authenticate requests themselves); it counts again while
/// a keep-alive connection waits for its next request (closed when the limits are reached).
boost::asio::awaitable<void> serve_connection(boost::asio::ip::tcp::socket socket,
                                              const serve_options& options,
                                              channel_handler on_channel, http_handler on_request,
                                              connection_slot slot = {});

// ---- client ----

struct http_target {
  bool tls = false;
  std::string host;
  std::uint16_t port = 0;
};

struct http_response {
  int status = 0;  ///< 0: no response (see error)
  std::string content_type;
  std::string body;
  std::string error;  ///< transport failure, for users
};

/// One request on its own connection (Connection: close); the response body is capped at
/// 64 MiB. TLS is verified like connect() does.
boost::asio::awaitable<http_response> http_call(const http_target& target, std::string method,
                                                std::string path, std::string token,
                                                std::string body, const connect_options& options);

/// http_call on an io_context of its own, run on the calling thread until the answer: for a
/// command that makes one request and waits for it.
http_response http_call_and_wait(const http_target& target, std::string method, std::string path,
                                 std::string token, std::string body,
                                 const connect_options& options);

}  // namespace rstream::transport
