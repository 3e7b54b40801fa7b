// serve_connection: one port, raw frames or HTTP/1.1 (keep-alive, streamed bodies, WebSocket
// upgrades), over TCP or TLS. Responses are formatted by hand (status line, headers, sized or
// chunked body); requests are parsed by Beast.
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "rstream/transport/deadline.hpp"
#include "rstream/transport/http.hpp"
#include "sniff.hpp"
#include "rstream/common/asio_helpers.hpp"
#include "stream_channels.hpp"
#include <optional>

#include "websocket_channel_impl.hpp"
#include "websocket_message_impl.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace rstream::transport {
namespace {

/// Unread request body a connection may skip to reach the next request; past it, it closes.
constexpr std::size_t max_body_drain = 1024 * 1024;
/// What a lingering close reads and discards at most before closing anyway.
constexpr std::size_t max_linger_discard = 64 * 1024 * 1024;

template <class Stream>
class http_connection final : public http_exchange {
 public:
  http_connection(Stream& stream, beast::flat_buffer& buffer, bool secure, connection_slot& slot)
      : stream_(stream), buffer_(buffer), secure_(secure), slot_(slot) {}

  /// Reads the request head. False: the connection ended or the head was malformed (then
  /// `bad_request` says why and the caller answers 400).
  asio::awaitable<bool> read_head(std::size_t header_limit, std::string& bad_request) {
    parser_.header_limit(static_cast<std::uint32_t>(header_limit));
    parser_.body_limit(boost::none);  // handlers enforce their own limits
    auto [ec, n] = co_await http::async_read_header(stream_, buffer_, parser_, use_nothrow);
    if (ec) {
      if (ec != http::error::end_of_stream && ec != asio::error::eof &&
          ec != asio::error::connection_reset && ec != asio::error::operation_aborted &&
          buffer_.size() > 0) {
        bad_request = ec.message();
      }
      co_return false;
    }
    const auto& head = parser_.get();
    request_.method = std::string(head.method_string());
    request_.target = std::string(head.target());
    for (const auto& field : head) {
      request_.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    }
    if (auto length = parser_.content_length()) request_.content_length = *length;
    request_.chunked = parser_.chunked();
    version_11_ = head.version() >= 11;
    keep_alive_ = parser_.keep_alive();
    co_return true;
  }

  const http_request& request() const override { return request_; }
  std::string peer() const override { return detail::peer_of(detail::lowest(stream_)); }
  bool secure() const override { return secure_; }

  asio::awaitable<std::pair<boost::system::error_code, std::size_t>> read_body_some(
      std::span<std::uint8_t> into) override {
    if (!continue_sent_ && !head_written_ && !parser_.is_done() && expects_continue()) {
      // The client waits for this before sending a large body (curl does for > 1 MiB); a
      // handler that answers without reading the body never sends it.
      continue_sent_ = true;
      static constexpr std::string_view interim = "HTTP/1.1 100 Continue\r\n\r\n";
      auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(interim), use_nothrow);
      if (ec) {
        failed_ = true;
        co_return std::pair{ec, std::size_t{0}};
      }
    }
    while (!parser_.is_done() && !into.empty()) {
      auto& body = parser_.get().body();
      body.data = into.data();
      body.size = into.size();
      body.more = true;
      auto [ec, n] = co_await http::async_read_some(stream_, buffer_, parser_, use_nothrow);
      const std::size_t got = into.size() - body.size;
      if (ec == http::error::need_buffer) ec = {};
      if (ec) co_return std::pair{ec, got};
      if (got > 0) co_return std::pair{ec, got};
    }
    co_return std::pair{boost::system::error_code{}, std::size_t{0}};
  }

  asio::awaitable<boost::system::error_code> write_head(
      int status, const std::vector<http_header>& headers,
      std::optional<std::uint64_t> content_length) override {
    head_written_ = true;
    const bool head_request = request_.method == "HEAD";
    chunked_ = !content_length && version_11_ && !head_request && status != 204 && status != 304;
    if (!content_length && !chunked_ && !head_request) close_ = true;  // body ends with the close
    if (!version_11_ || !keep_alive_) close_ = true;
    if (!parser_.is_done() && expects_continue() && !continue_sent_)
      close_ = true;  // no body comes
    std::string text = "HTTP/1.1 " + std::to_string(status) + " " +
                       std::string(http::obsolete_reason(static_cast<http::status>(status))) +
                       "\r\nServer: rstream\r\n";
    for (const auto& h : headers) {
      text += h.name;
      text += ": ";
      text += h.value;
      text += "\r\n";
    }
    if (content_length) text += "Content-Length: " + std::to_string(*content_length) + "\r\n";
    if (chunked_) text += "Transfer-Encoding: chunked\r\n";
    if (close_) text += "Connection: close\r\n";
    text += "\r\n";
    auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(text), use_nothrow);
    if (ec) failed_ = true;
    co_return ec;
  }

  asio::awaitable<boost::system::error_code> write_body(
      std::span<const std::uint8_t> bytes) override {
    if (request_.method == "HEAD" || bytes.empty()) co_return boost::system::error_code{};
    if (!chunked_) {
      auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(bytes.data(), bytes.size()),
                                                use_nothrow);
      if (ec) failed_ = true;
      co_return ec;
    }
    char size_line[24];
    const int len = std::snprintf(size_line, sizeof size_line, "%zx\r\n", bytes.size());
    const std::array<asio::const_buffer, 3> pieces{
        asio::buffer(size_line, static_cast<std::size_t>(len)),
        asio::buffer(bytes.data(), bytes.size()), asio::buffer("\r\n", 2)};
    auto [ec, n] = co_await asio::async_write(stream_, pieces, use_nothrow);
    if (ec) failed_ = true;
    co_return ec;
  }

  asio::awaitable<boost::system::error_code> end_body() override {
    if (!chunked_ || body_ended_) co_return boost::system::error_code{};
    body_ended_ = true;
    auto [ec, n] = co_await asio::async_write(stream_, asio::buffer("0\r\n\r\n", 5), use_nothrow);
    if (ec) failed_ = true;
    co_return ec;
  }

  void close_after_response() override { close_ = true; }

  tcp::socket* raw_body_socket() override {
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
      if (head_written_ && !failed_ && !chunked_ && request_.method != "HEAD") return &stream_;
    }
    return nullptr;
  }

  asio::awaitable<std::unique_ptr<frame_channel>> accept_websocket(std::size_t max_payload,
                                                                   std::string& error) override {
    std::string token = request_.bearer_token();
    // Until its Open is authenticated, a WebTTY WebSocket counts as unauthenticated again.
    if (!slot_.reenter_pending()) {
      upgraded_ = true;  // leaves the HTTP loop: the connection closes at once
      error = "refused: too many unauthenticated connections";
      co_return nullptr;
    }
    auto ws = co_await accept_upgrade(error);
    if (!ws) co_return nullptr;
    auto channel = std::make_unique<detail::websocket_impl::websocket_channel<Stream>>(
        std::move(*ws), max_payload, std::move(token));
    channel->hold_slot(std::move(slot_));
    co_return channel;
  }

  asio::awaitable<std::unique_ptr<message_socket>> accept_message_socket(
      std::size_t max_message, std::string& error) override {
    auto ws = co_await accept_upgrade(error);
    if (!ws) co_return nullptr;
    auto socket = std::make_unique<detail::websocket_impl::websocket_message_socket<Stream>>(
        std::move(*ws), max_message);
    socket->hold_slot(std::move(slot_));
    co_return socket;
  }

  /// The WebSocket handshake on this request; the connection leaves the HTTP loop either way.
  asio::awaitable<std::optional<beast::websocket::stream<Stream>>> accept_upgrade(
      std::string& error) {
    namespace websocket = beast::websocket;
    upgraded_ = true;
    std::optional<websocket::stream<Stream>> ws(std::in_place, std::move(stream_));
    ws->set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "rstream"); }));
    auto [ec] = co_await ws->async_accept(parser_.get(), use_nothrow);
    if (ec) {
      error = "WebSocket handshake failed: " + ec.message();
      ws.reset();
    }
    co_return ws;
  }

  bool expects_continue() const {
    const std::string* expect = request_.header("Expect");
    return expect && version_11_ && beast::iequals(*expect, "100-continue");
  }

  bool waits_for_continue() const { return expects_continue() && !continue_sent_; }
  bool upgraded() const { return upgraded_; }
  bool head_written() const { return head_written_; }
  bool failed() const { return failed_; }
  bool wants_close() const { return close_; }
  bool body_done() const { return parser_.is_done(); }

 private:
  Stream& stream_;
  beast::flat_buffer& buffer_;
  bool secure_;
  connection_slot& slot_;  ///< the connection's admission; moves with an upgraded stream
  http::request_parser<http::buffer_body> parser_;
  http_request request_;
  bool version_11_ = true;
  bool keep_alive_ = true;
  bool head_written_ = false;
  bool chunked_ = false;
  bool body_ended_ = false;
  bool close_ = false;
  bool failed_ = false;
  bool continue_sent_ = false;
  bool upgraded_ = false;
};

/// Writes a whole "400 Bad Request" with `body` and "Connection: close" (the caller ends the
/// connection): for requests that never reach a handler.
template <class Stream>
asio::awaitable<void> answer_400_and_close(Stream& stream, std::string_view content_type,
                                           std::string_view body) {
  const std::string text =
      "HTTP/1.1 400 Bad Request\r\nServer: rstream\r\nContent-Type: " + std::string(content_type) +
      "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
      std::string(body);
  co_await asio::async_write(stream, asio::buffer(text), use_nothrow);
}

/// Answers a malformed request head and ends the connection.
template <class Stream>
asio::awaitable<void> answer_bad_request(Stream& stream, const std::string& why) {
  (void)why;
  co_await answer_400_and_close(
      stream, "application/json",
      "{\"error\":{\"code\":\"bad_request\",\"message\":\"malformed HTTP request\"}}");
}

/// Answers a plaintext HTTP request on a port that requires TLS, and ends the connection.
asio::awaitable<void> answer_tls_required(tcp::socket& socket) {
  co_await answer_400_and_close(
      socket, "text/plain; charset=utf-8",
      "this port requires TLS: use https:// or wss:// (the server was started with a "
      "certificate and without --allow-plaintext)\n");
}

template <class Stream>
asio::awaitable<void> finish_stream(Stream& stream) {
  if constexpr (std::is_same_v<Stream, detail::tls_stream>) {
    const int fd = detail::lowest(stream).native_handle();
    deadline_guard limit(stream.get_executor(), std::chrono::seconds(2),
                         [fd] { ::shutdown(fd, SHUT_RDWR); });
    co_await stream.async_shutdown(use_nothrow);
  }
  boost::system::error_code ignored;
  auto& socket = detail::lowest(stream);
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  // Lingering close: a client may still be sending a body we refused (413, 403). Closing now
  // would answer its bytes with a reset, which can destroy our response before it reads it, so
  // read and discard until it closes, for a bounded time and amount.
  const int fd = socket.native_handle();
  deadline_guard limit(socket.get_executor(), std::chrono::seconds(2),
                       [fd] { ::shutdown(fd, SHUT_RD); });
  std::vector<std::uint8_t> scratch(64 * 1024);
  std::size_t discarded = 0;
  while (discarded < max_linger_discard) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(scratch), use_nothrow);
    if (ec || n == 0) break;
    discarded += n;
  }
}

template <class Stream>
asio::awaitable<void> serve_http(Stream stream, std::vector<std::uint8_t> preread,
                                 const serve_options& options, const http_handler& on_request,
                                 bool secure, connection_slot& slot) {
  beast::flat_buffer buffer;
  // Beast reads at most what the buffer can take: room for 64 KiB reads, or an upload costs a
  // system call per few hundred bytes.
  buffer.reserve(64 * 1024);
  if (!preread.empty()) {
    auto prefix = buffer.prepare(preread.size());
    std::memcpy(prefix.data(), preread.data(), preread.size());
    buffer.commit(preread.size());
  }
  const int fd = detail::lowest(stream).native_handle();
  bool first = true;
  while (true) {
    // Waiting for a request head is unauthenticated time: a keep-alive connection counts
    // as such again, and is closed when the limits are reached.
    if (!first && !slot.reenter_pending()) break;
    http_connection<Stream> exchange(stream, buffer, secure, slot);
    std::string bad_request;
    bool got_head;
    {
      detail::handshake_deadline deadline(stream.get_executor(), fd,
                                          first ? options.handshake_timeout : options.idle_timeout);
      got_head = co_await exchange.read_head(options.max_header_bytes, bad_request);
    }
    first = false;
    if (!got_head) {
      if (!bad_request.empty()) co_await answer_bad_request(stream, bad_request);
      break;
    }
    // The handler authenticates the request itself and answers it promptly either way.
    slot.leave_pending();
    co_await on_request(exchange);
    if (exchange.upgraded()) co_return;  // the stream now belongs to a WebSocket channel
    if (exchange.failed()) break;
    if (!exchange.head_written()) {
      exchange.close_after_response();
      co_await exchange.respond_error(500, "internal", "the request was not answered");
    }
    co_await exchange.end_body();
    if (exchange.wants_close()) break;
    // A client still waiting for "100 Continue" will not send the body: nothing to skip, and
    // the connection's state is unclear to it; close.
    if (!exchange.body_done() && exchange.waits_for_continue()) break;
    if (!exchange.body_done()) {
      // Skip an unread body (bounded) so the next request can be read.
      std::vector<std::uint8_t> scratch(64 * 1024);
      std::size_t skipped = 0;
      bool ok = true;
      while (!exchange.body_done() && ok) {
        auto [ec, n] = co_await exchange.read_body_some(scratch);
        skipped += n;
        ok = !ec && skipped <= max_body_drain && (n > 0 || exchange.body_done());
      }
      if (!ok) break;
    }
  }
  slot.leave_pending();  // only closing now: the lingering close must not hold a pending place
  co_await finish_stream(stream);
}

/// After TLS: the first bytes inside decide between raw frames and HTTP.
asio::awaitable<void> dispatch_inside_tls(detail::tls_stream stream, const serve_options& options,
                                          const channel_handler& on_channel,
                                          const http_handler& on_request, connection_slot& slot) {
  std::vector<std::uint8_t> preread(512);
  boost::system::error_code ec;
  std::size_t n = 0;
  {
    detail::handshake_deadline deadline(
        stream.get_executor(), detail::lowest(stream).native_handle(), options.handshake_timeout);
    std::tie(ec, n) = co_await stream.async_read_some(asio::buffer(preread), use_nothrow);
  }
  if (ec || n == 0) co_return;
  preread.resize(n);
  if (detail::classify(preread[0]) == detail::first_byte_kind::http) {
    co_await serve_http(std::move(stream), std::move(preread), options, on_request, true, slot);
  } else {
    auto channel =
        detail::make_raw_channel(std::move(stream), std::move(preread), options.max_payload);
    channel->hold_slot(std::move(slot));
    co_await on_channel(std::move(channel));
  }
}

}  // namespace

asio::awaitable<void> serve_connection(tcp::socket socket, const serve_options& options,
                                       channel_handler on_channel, http_handler on_request,
                                       connection_slot slot) {
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  std::uint8_t first = 0;
  {
    detail::handshake_deadline deadline(socket.get_executor(), socket.native_handle(),
                                        options.handshake_timeout);
    auto [wait_ec] = co_await socket.async_wait(tcp::socket::wait_read, use_nothrow);
    boost::system::error_code peek_ec;
    std::size_t peeked =
        wait_ec ? 0 : socket.receive(asio::buffer(&first, 1), tcp::socket::message_peek, peek_ec);
    if (wait_ec || peek_ec || peeked == 0 || deadline.expired()) co_return;
  }
  const bool plaintext_refused = options.tls != nullptr && !options.allow_plaintext;
  switch (detail::classify(first)) {
    case detail::first_byte_kind::http: {
      if (plaintext_refused) {
        slot.leave_pending();  // refused: only closing now
        co_await answer_tls_required(socket);
        co_await finish_stream(socket);
        co_return;
      }
      std::vector<std::uint8_t> nothing;  // named: no temporaries in co_await (GCC 12)
      co_await serve_http(std::move(socket), std::move(nothing), options, on_request, false, slot);
      co_return;
    }
    case detail::first_byte_kind::tls: {
      if (!options.tls) co_return;
      detail::tls_stream stream(std::move(socket), *options.tls);
      bool ok;
      {
        detail::handshake_deadline deadline(stream.get_executor(),
                                            detail::lowest(stream).native_handle(),
                                            options.handshake_timeout);
        auto [hs_ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_nothrow);
        ok = !hs_ec && !deadline.expired();
      }
      if (!ok) co_return;
      co_await dispatch_inside_tls(std::move(stream), options, on_channel, on_request, slot);
      co_return;
    }
    default: {
      // Raw frames; unknown first bytes too, so the peer gets a readable protocol error.
      auto channel = detail::make_raw_channel(std::move(socket), {}, options.max_payload);
      channel->hold_slot(std::move(slot));
      if (plaintext_refused) {
        const codec::frame refusal = codec::error_frame{
            "tls_required",
            "this port requires TLS: use tls:// or wss:// (the server was started with a "
            "certificate and without --allow-plaintext)"};
        co_await refuse(*channel, refusal);
        co_return;
      }
      co_await on_channel(std::move(channel));
      co_return;
    }
  }
}

}  // namespace rstream::transport
