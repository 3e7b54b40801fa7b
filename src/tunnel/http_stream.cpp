// HTTP requests through a tunnel stream (see http_stream.hpp).
#include "rstream/tunnel/http_stream.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <cstring>

#include "rstream/base/log_failure.hpp"
#include "rstream/common/async_event.hpp"
#include "rstream/tunnel/protocol.hpp"
#include "rstream/tunnel/spliced_body.hpp"
#include "rstream/transport/untrusted_content.hpp"

namespace asio = boost::asio;

namespace rstream::tunnel {
namespace {

/// Body bytes per Data frame: well under every frame limit.
constexpr std::size_t body_chunk = 256 * 1024;

bool hop_by_hop(std::string_view name) {
  static constexpr std::string_view dropped[] = {
      "connection", "keep-alive",     "proxy-connection", "te",   "trailer", "transfer-encoding",
      "upgrade",    "content-length", "authorization",    "host", "expect"};
  for (auto d : dropped) {
    if (name.size() == d.size() &&
        std::equal(name.begin(), name.end(), d.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == b;
        })) {
      return true;
    }
  }
  return false;
}

/// End-to-end headers, as carried by the tunnel messages.
std::vector<header_pair> forwardable(const std::vector<transport::http_header>& in) {
  std::vector<header_pair> out;
  for (const auto& h : in) {
    if (!hop_by_hop(h.name)) out.emplace_back(h.name, h.value);
  }
  return out;
}

std::vector<transport::http_header> as_http_headers(const std::vector<header_pair>& in) {
  std::vector<transport::http_header> out;
  for (const auto& [name, value] : in) {
    if (!hop_by_hop(name)) out.push_back({name, value});
  }
  return out;
}

/// The server's view of a routed request: the head came in an HttpRequest frame, the body comes
/// in Data frames on stdin, the response goes out as HttpResponse and Data frames on stdout.
class routed_http_exchange final : public transport::http_exchange {
 public:
  routed_http_exchange(transport::frame_channel& stream, transport::http_request request)
      : stream_(stream), request_(std::move(request)) {}

  const transport::http_request& request() const override { return request_; }
  std::string peer() const override { return "engine " + stream_.peer(); }
  bool secure() const override { return false; }

  asio::awaitable<std::pair<boost::system::error_code, std::size_t>> read_body_some(
      std::span<std::uint8_t> into) override {
    while (offset_ >= current_.size()) {
      if (body_ended_) co_return std::pair{boost::system::error_code{}, std::size_t{0}};
      auto r = co_await stream_.read_frame();
      if (r.what != transport::read_result::kind::frame) {
        failed_ = true;
        co_return std::pair{boost::system::error_code(asio::error::connection_reset),
                            std::size_t{0}};
      }
      auto* data = std::get_if<codec::data_frame>(&r.frame);
      if (!data || data->stream() != codec::stream_id::in) {
        failed_ = true;
        co_return std::pair{boost::system::error_code(asio::error::invalid_argument),
                            std::size_t{0}};
      }
      body_ended_ = data->end_of_stream();
      const auto bytes = data->bytes();
      current_.assign(bytes.begin(), bytes.end());
      offset_ = 0;
    }
    const std::size_t n = std::min(into.size(), current_.size() - offset_);
    std::memcpy(into.data(), current_.data() + offset_, n);
    offset_ += n;
    co_return std::pair{boost::system::error_code{}, n};
  }

  asio::awaitable<boost::system::error_code> write_head(
      int status, const std::vector<transport::http_header>& headers,
      std::optional<std::uint64_t> content_length) override {
    head_written_ = true;
    http_response_head head;
    head.status = status;
    head.headers = forwardable(headers);
    head.content_length = content_length;
    const codec::frame f = to_message(head);
    co_return co_await stream_.write(f);
  }

  asio::awaitable<boost::system::error_code> write_body(
      std::span<const std::uint8_t> bytes) override {
    while (!bytes.empty()) {
      const std::size_t n = std::min(bytes.size(), body_chunk);
      if (auto ec = co_await stream_.write_data(codec::stream_id::out, bytes.first(n))) {
        co_return ec;
      }
      bytes = bytes.subspan(n);
    }
    co_return boost::system::error_code{};
  }

  asio::awaitable<boost::system::error_code> end_body() override {
    if (body_sent_) co_return boost::system::error_code{};
    body_sent_ = true;
    const codec::frame f = codec::data_frame(codec::stream_id::out, {}, true);
    co_return co_await stream_.write(f);
  }

  void close_after_response() override {}

  asio::awaitable<std::unique_ptr<transport::frame_channel>> accept_websocket(
      std::size_t, std::string& error) override {
    error = "WebSocket upgrades are not carried by tunnel HTTP streams";
    co_return nullptr;
  }

  bool head_written() const { return head_written_; }
  bool body_complete() const { return body_ended_ && offset_ >= current_.size(); }
  bool failed() const { return failed_; }

 private:
  transport::frame_channel& stream_;
  transport::http_request request_;
  std::vector<std::uint8_t> current_;
  std::size_t offset_ = 0;
  bool body_ended_ = false;
  bool head_written_ = false;
  bool body_sent_ = false;
  bool failed_ = false;
};

asio::awaitable<void> refuse_stream(transport::frame_channel& stream, std::string code,
                                    std::string message) {
  const codec::frame f = codec::error_frame{std::move(code), std::move(message)};
  co_await transport::refuse(stream, f);
}

// ---- engine side ----

/// Carries the client's request body to the server as Data frames; ends with end-of-stream.
/// Stops early when the server stream fails or when cancelled (the response ended first).
struct body_pump {
  body_pump(transport::http_exchange& ex, transport::frame_channel& to)
      : exchange(ex), server(to), finished(to.get_executor()) {}

  transport::http_exchange& exchange;
  transport::frame_channel& server;
  async_event finished;
  bool done = false;
  bool complete = false;  ///< the whole body went out

  asio::awaitable<void> run() {
    std::vector<std::uint8_t> buffer(body_chunk);
    while (true) {
      auto [ec, n] = co_await exchange.read_body_some(buffer);
      if (ec) break;
      const bool end = n == 0;
      if (co_await server.write_data(codec::stream_id::in, std::span(buffer.data(), n), end)) {
        break;
      }
      if (end) {
        complete = true;
        break;
      }
    }
  }
};

}  // namespace

asio::awaitable<void> serve_http_stream(std::unique_ptr<transport::frame_channel> stream,
                                        transport::http_handler handler) {
  auto first = co_await stream->read_frame();
  if (first.what != transport::read_result::kind::frame) co_return;
  auto* control = std::get_if<codec::control_message>(&first.frame);
  http_request_head head;
  std::string error;
  if (!control || !parse(*control, head, error)) {
    if (error.empty()) error = "a tunnel HTTP stream must start with an HttpRequest frame";
    co_await refuse_stream(*stream, "protocol_error", error);
    co_return;
  }
  transport::http_request request;
  request.method = head.method;
  request.target = head.target;
  request.headers = as_http_headers(head.headers);
  request.content_length = head.content_length;
  request.external_prefix = head.external_prefix;
  routed_http_exchange exchange(*stream, std::move(request));
  co_await handler(exchange);
  if (exchange.failed()) co_return;
  if (!exchange.head_written()) {
    co_await exchange.respond_error(500, "internal", "the request was not answered");
  }
  co_await exchange.end_body();
  // A body the handler left unread (e.g. refused with 413) is drained so that the engine's
  // writes never meet a reset that would destroy the response on its way.
  std::vector<std::uint8_t> scratch(64 * 1024);
  while (!exchange.body_complete() && !exchange.failed()) {
    auto [ec, n] = co_await exchange.read_body_some(scratch);
    if (ec || n == 0) break;
  }
  co_await stream->shutdown();
  stream->close();
}

asio::awaitable<void> forward_http_exchange(transport::http_exchange& exchange,
                                            transport::frame_channel& server, std::string target,
                                            std::string external_prefix) {
  const auto& req = exchange.request();
  http_request_head head;
  head.method = req.method;
  head.target = std::move(target);
  head.external_prefix = std::move(external_prefix);
  // An allowlist: the browser's Cookie and Authorization (the engine's own credentials) and
  // anything else the server does not need stay here.
  for (const auto& h : req.headers) {
    if (transport::forwarded_to_tunnel(h.name)) head.headers.emplace_back(h.name, h.value);
  }
  head.content_length = req.chunked ? std::nullopt : req.content_length;
  const codec::frame start = to_message(head);
  if (auto ec = co_await server.write(start)) {
    co_await exchange.respond_error(502, "tunnel_failed",
                                    "the server's tunnel stream failed before the request");
    co_return;
  }
  // The body goes out beside the response coming back: a server may answer (413, 403) before
  // reading it all, and a large body must never wait for a response that waits for it.
  auto pump = std::make_shared<body_pump>(exchange, server);
  asio::cancellation_signal stop_pump;
  asio::co_spawn(server.get_executor(), pump->run(),
                 asio::bind_cancellation_slot(stop_pump.slot(), [pump](std::exception_ptr e) {
                   base::log_exception("HTTP body relay", e);
                   pump->done = true;
                   pump->finished.notify();
                 }));

  bool head_sent = false;
  bool ended = false;
  while (!ended) {
    auto r = co_await server.read_frame();
    if (r.what != transport::read_result::kind::frame) break;
    if (!head_sent) {
      auto* control = std::get_if<codec::control_message>(&r.frame);
      http_response_head response;
      std::string error;
      if (auto* e = std::get_if<codec::error_frame>(&r.frame)) {
        spdlog::info("tunnel HTTP stream refused: {}: {}", e->code, e->message);
        break;
      }
      if (!control || !parse(*control, response, error)) {
        spdlog::info("tunnel HTTP stream: bad response start: {}", error);
        break;
      }
      // The engine answers with its own headers: nothing a tunnel sends may set cookies, open
      // CORS or run as a page in the engine's origin (untrusted_content.hpp).
      const auto headers = transport::confine_file_response(as_http_headers(response.headers));
      if (co_await exchange.write_head(response.status, headers, response.content_length)) {
        break;
      }
      head_sent = true;
      // A sized body between two plain TCP sockets moves by splice (spliced_body.hpp), once
      // the request body is all out (the server stream is then only read). Only a raw-frame
      // stream over plain TCP releases its socket.
      auto* client_socket = exchange.raw_body_socket();
      if (client_socket && pump->done && pump->complete) {
        if (auto released = server.release_plain_socket()) {
          auto spliced =
              co_await splice_response_body(released->socket, std::move(released->unread),
                                            *client_socket, codec::default_max_payload);
          if (!spliced.ended) spdlog::info("tunnel HTTP stream: {}", spliced.failure);
          ended = spliced.ended;
          break;
        }
      }
      continue;
    }
    auto* data = std::get_if<codec::data_frame>(&r.frame);
    if (!data || data->stream() != codec::stream_id::out) break;
    if (!data->bytes().empty() && co_await exchange.write_body(data->bytes())) break;
    ended = data->end_of_stream();
  }
  // The response is over (or failed): whatever of the body is still on its way is not needed.
  if (!pump->done) {
    if (!pump->complete) exchange.close_after_response();
    stop_pump.emit(asio::cancellation_type::terminal);
    server.close();
    while (!pump->done) co_await pump->finished.wait();
  }
  if (!pump->complete) exchange.close_after_response();
  if (!head_sent) {
    exchange.close_after_response();
    co_await exchange.respond_error(502, "tunnel_failed",
                                    "the server's tunnel stream ended without a response");
    co_return;
  }
  if (!ended) exchange.close_after_response();  // a truncated body must not look complete
  co_await exchange.end_body();
}

}  // namespace rstream::tunnel
