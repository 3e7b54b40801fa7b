// http_stream_start: one HTTP/1.1 request on its own connection with streamed bodies both ways
// (see http_stream_client.hpp). The request head and the chunked framing are written by hand;
// the response is parsed by Beast into a caller-sized buffer_body, so nothing grows with the
// body.
#include "rstream/transport/http_stream_client.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <strings.h>
#include <type_traits>

#include "rstream/common/asio_helpers.hpp"
#include "rstream/transport/deadline.hpp"
#include "rstream/base/host_port.hpp"
#include "stream_channels.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

namespace rstream::transport {

body_source fd_source(int fd) {
  return [fd](std::span<std::uint8_t> into) -> std::pair<error_code, std::size_t> {
    while (true) {
      const ssize_t n = ::read(fd, into.data(), into.size());
      if (n >= 0) return {error_code{}, static_cast<std::size_t>(n)};
      if (errno == EINTR) continue;
      return {error_code(errno, boost::system::system_category()), 0};
    }
  };
}

body_sink fd_sink(int fd) {
  return [fd](std::span<const std::uint8_t> bytes) -> error_code {
    while (!bytes.empty()) {
      const ssize_t n = ::write(fd, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return error_code(errno, boost::system::system_category());
      }
      bytes = bytes.subspan(static_cast<std::size_t>(n));
    }
    return {};
  };
}

const std::string* http_stream_head::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (h.name.size() == name.size() &&
        ::strncasecmp(h.name.data(), name.data(), name.size()) == 0) {
      return &h.value;
    }
  }
  return nullptr;
}

class http_stream_call::impl {
 public:
  virtual ~impl() = default;
  virtual asio::awaitable<std::pair<bool, std::uint64_t>> read_body(const body_sink& sink,
                                                                    std::string& error) = 0;
  http_stream_head head;
};

namespace {

/// Socket reads of a body are at most this large.
constexpr std::size_t read_room = 64 * 1024;

/// True when `text` could break out of its place in a request head.
bool unsafe_in_head(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

bool method_carries_body(std::string_view method) {
  return method == "PUT" || method == "POST" || method == "PATCH";
}

std::string hex(std::uint64_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), digits[n & 15]);
    n >>= 4;
  } while (n != 0);
  return out;
}

std::chrono::milliseconds at_least_1ms(std::chrono::milliseconds d) {
  return std::max(d, std::chrono::milliseconds(1));
}

template <class Stream>
class stream_call final : public http_stream_call::impl {
 public:
  stream_call(Stream stream, std::shared_ptr<asio::ssl::context> tls_context, std::string where,
              const http_stream_options& options)
      : tls_context_(std::move(tls_context)),
        stream_(std::move(stream)),
        where_(std::move(where)),
        options_(options),
        piece_(std::max<std::size_t>(options.piece_size, 4096)) {
    parser_.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    parser_.body_limit(boost::none);
  }

  ~stream_call() override {
    error_code ignored;
    detail::lowest(stream_).close(ignored);
  }

  /// Sends the request and reads the response head into `head`; false with result.error.
  asio::awaitable<bool> exchange(const http_target& target, const http_stream_request& request,
                                 std::chrono::milliseconds head_budget,
                                 http_stream_result& result) {
    auto ex = co_await asio::this_coro::executor;
    const int fd = detail::lowest(stream_).native_handle();
    const bool streamed = static_cast<bool>(request.source);

    // Everything up to the start of a streamed body (or the response head, when the request has
    // no streamed body) is bounded by what is left of the connect deadline.
    auto head_deadline = std::make_unique<deadline_guard>(ex, at_least_1ms(head_budget),
                                                          [fd] { ::shutdown(fd, SHUT_RDWR); });
    const std::string head_text = request_head(target, request);
    auto [wec, wn] = co_await asio::async_write(stream_, asio::buffer(head_text), use_nothrow);
    if (!wec && !streamed && !request.body.empty()) {
      auto [bec, bn] = co_await asio::async_write(stream_, asio::buffer(request.body), use_nothrow);
      wec = bec;
    }
    if (head_deadline->expired()) {
      result.error = "timed out sending the request to " + where_;
      co_return false;
    }
    bool early_answer = false;
    if (wec) {
      // The server may have answered and closed already: its answer beats our error.
      if (co_await read_head_after_failure()) co_return true;
      result.error = "sending the request to " + where_ + " failed: " + wec.message();
      co_return false;
    }
    if (streamed) {
      head_deadline.reset();
      std::string error;
      auto sent = co_await send_body(request, early_answer, result.body_bytes_sent, error);
      if (!sent) {
        if (!early_answer && co_await read_head_after_failure()) co_return true;
        result.error = error;
        co_return false;
      }
    }

    std::unique_ptr<deadline_guard> idle;
    if (streamed) {
      idle = std::make_unique<deadline_guard>(ex, options_.idle_timeout,
                                              [fd] { ::shutdown(fd, SHUT_RDWR); });
    }
    if (request.method == "HEAD") parser_.skip(true);
    auto [rec, rn] = co_await http::async_read_header(stream_, buffer_, parser_, use_nothrow);
    const bool expired = (head_deadline && head_deadline->expired()) || (idle && idle->expired());
    if (expired) {
      result.error = "timed out waiting for the response from " + where_;
      co_return false;
    }
    if (rec) {
      result.error = "reading the response from " + where_ + " failed: " + rec.message();
      co_return false;
    }
    take_head();
    co_return true;
  }

  asio::awaitable<std::pair<bool, std::uint64_t>> read_body(const body_sink& sink,
                                                            std::string& error) override {
    auto ex = co_await asio::this_coro::executor;
    const int fd = detail::lowest(stream_).native_handle();
    std::uint64_t total = 0;
    // Beast reads at most what the buffer can take (512 bytes after a small head): room for
    // large reads, or a bulk download costs a system call per 512 bytes.
    buffer_.reserve(read_room);
    while (!parser_.is_done()) {
      auto& body = parser_.get().body();
      body.data = piece_.data();
      body.size = piece_.size();
      body.more = true;
      deadline_guard idle(ex, options_.idle_timeout, [fd] { ::shutdown(fd, SHUT_RDWR); });
      // read_some: hand over what arrived at once (a Server-Sent Events stream trickles);
      // async_read would wait until the piece is full.
      auto [ec, n] = co_await http::async_read_some(stream_, buffer_, parser_, use_nothrow);
      idle.disarm();
      if (idle.expired()) {
        error = "timed out: " + where_ + " sent nothing for " +
                std::to_string(options_.idle_timeout.count() / 1000) + "s";
        co_return std::pair(false, total);
      }
      if (ec == http::error::need_buffer) ec = {};
      if (ec) {
        error = "reading the response from " + where_ + " failed: " + ec.message();
        co_return std::pair(false, total);
      }
      const std::size_t got = piece_.size() - parser_.get().body().size;
      if (got == 0) continue;
      if (auto sec = sink(std::span<const std::uint8_t>(piece_.data(), got))) {
        error = "writing the response body failed: " + sec.message();
        co_return std::pair(false, total);
      }
      total += got;
    }
    co_return std::pair(true, total);
  }

 private:
  std::string request_head(const http_target& target, const http_stream_request& request) const {
    std::string head = request.method + " " + request.target + " HTTP/1.1\r\n";
    head += "Host: " + base::host_port(target.host, target.port) + "\r\n";
    head += "User-Agent: rstream\r\nConnection: close\r\n";
    if (!request.token.empty()) head += "Authorization: Bearer " + request.token + "\r\n";
    for (const auto& h : request.headers) head += h.name + ": " + h.value + "\r\n";
    if (request.source) {
      if (request.source_length) {
        head += "Content-Length: " + std::to_string(*request.source_length) + "\r\n";
      } else {
        head += "Transfer-Encoding: chunked\r\n";
      }
    } else if (!request.body.empty() || method_carries_body(request.method)) {
      head += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
    }
    head += "\r\n";
    return head;
  }

  /// True when the server has sent something (an early answer) while we are still sending.
  /// Plain TCP only: over TLS the server may send records that are not an answer (TLS 1.3
  /// session tickets), so there an early answer is found after a failed write instead.
  bool peer_has_spoken() {
    if constexpr (std::is_same_v<Stream, detail::tls_stream>) return false;
    error_code ec;
    const auto n = detail::lowest(stream_).available(ec);
    return !ec && n > 0;
  }

  /// Streams the source; false with `error` (or with early_answer set when the server answered
  /// before the body was complete).
  asio::awaitable<bool> send_body(const http_stream_request& request, bool& early_answer,
                                  std::uint64_t& sent, std::string& error) {
    auto ex = co_await asio::this_coro::executor;
    const int fd = detail::lowest(stream_).native_handle();
    const bool sized = request.source_length.has_value();
    std::uint64_t remaining = sized ? *request.source_length : 0;
    const std::string_view crlf = "\r\n";
    while (!sized || remaining > 0) {
      if (peer_has_spoken()) {
        early_answer = true;
        co_return true;
      }
      std::size_t want = piece_.size();
      if (sized) want = static_cast<std::size_t>(std::min<std::uint64_t>(want, remaining));
      auto [sec, n] = request.source(std::span<std::uint8_t>(piece_.data(), want));
      if (sec) {
        error = "reading the data to send failed: " + sec.message();
        co_return false;
      }
      if (n == 0) {
        if (sized) {
          error = "the data to send ended after " + std::to_string(sent) + " of " +
                  std::to_string(*request.source_length) + " bytes (did the file shrink?)";
          co_return false;
        }
        break;
      }
      deadline_guard idle(ex, options_.idle_timeout, [fd] { ::shutdown(fd, SHUT_RDWR); });
      error_code wec;
      if (sized) {
        auto [ec, wn] = co_await asio::async_write(stream_, asio::buffer(piece_.data(), n),
                                                   transfer_all_in_large_steps{}, use_nothrow);
        wec = ec;
      } else {
        const std::string size_line = hex(n) + "\r\n";
        const std::array<asio::const_buffer, 3> pieces{asio::buffer(size_line),
                                                       asio::buffer(piece_.data(), n),
                                                       asio::buffer(crlf.data(), crlf.size())};
        auto [ec, wn] =
            co_await asio::async_write(stream_, pieces, transfer_all_in_large_steps{}, use_nothrow);
        wec = ec;
      }
      idle.disarm();
      if (idle.expired()) {
        error = "timed out: " + where_ + " accepted nothing for " +
                std::to_string(options_.idle_timeout.count() / 1000) + "s";
        co_return false;
      }
      if (wec) {
        error = "sending the data to " + where_ + " failed: " + wec.message();
        co_return false;
      }
      sent += n;
      if (sized) remaining -= n;
    }
    if (!sized) {
      const std::string_view last = "0\r\n\r\n";
      deadline_guard idle(ex, options_.idle_timeout, [fd] { ::shutdown(fd, SHUT_RDWR); });
      auto [ec, wn] =
          co_await asio::async_write(stream_, asio::buffer(last.data(), last.size()), use_nothrow);
      idle.disarm();
      if (ec || idle.expired()) {
        error = "sending the data to " + where_ +
                " failed: " + (idle.expired() ? std::string("timed out") : ec.message());
        co_return false;
      }
    }
    co_return true;
  }

  /// After a failed write: a response head the server sent before it stopped reading.
  asio::awaitable<bool> read_head_after_failure() {
    auto ex = co_await asio::this_coro::executor;
    const int fd = detail::lowest(stream_).native_handle();
    deadline_guard limit(ex, std::chrono::milliseconds(2000), [fd] { ::shutdown(fd, SHUT_RDWR); });
    auto [ec, n] = co_await http::async_read_header(stream_, buffer_, parser_, use_nothrow);
    if (ec || limit.expired()) co_return false;
    take_head();
    co_return true;
  }

  void take_head() {
    const auto& res = parser_.get();
    head.status = res.result_int();
    head.reason = std::string(res.reason());
    for (const auto& field : res) {
      head.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    }
    if (auto length = parser_.content_length()) head.content_length = *length;
  }

  std::shared_ptr<asio::ssl::context> tls_context_;  // outlives stream_ (declared first)
  Stream stream_;
  std::string where_;
  http_stream_options options_;
  std::vector<std::uint8_t> piece_;
  beast::flat_buffer buffer_;
  http::response_parser<http::buffer_body> parser_;
};

}  // namespace

http_stream_call::http_stream_call(std::unique_ptr<impl> state) : impl_(std::move(state)) {}
http_stream_call::~http_stream_call() = default;

const http_stream_head& http_stream_call::head() const { return impl_->head; }

asio::awaitable<std::pair<bool, std::uint64_t>> http_stream_call::read_body(const body_sink& sink,
                                                                            std::string& error) {
  co_return co_await impl_->read_body(sink, error);
}

asio::awaitable<bool> http_stream_call::read_body_text(std::size_t limit, std::string& out,
                                                       std::string& error) {
  bool too_large = false;
  body_sink append = [&out, &too_large, limit](std::span<const std::uint8_t> bytes) {
    if (out.size() + bytes.size() > limit) {
      too_large = true;
      return error_code(asio::error::message_size);
    }
    out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return error_code{};
  };
  auto [ok, n] = co_await impl_->read_body(append, error);
  if (too_large) error = "the response is larger than " + std::to_string(limit) + " bytes";
  co_return ok;
}

asio::awaitable<http_stream_result> http_stream_start(const http_target& target,
                                                      const http_stream_request& request,
                                                      const http_stream_options& options) {
  http_stream_result result;
  bool unsafe = unsafe_in_head(request.method) || unsafe_in_head(request.target) ||
                unsafe_in_head(request.token) || request.target.find(' ') != std::string::npos ||
                request.target.empty();
  for (const auto& h : request.headers) unsafe = unsafe || unsafe_in_head(h.name + h.value);
  if (unsafe) {
    result.error = "invalid request: a line break, NUL or space where it cannot be sent";
    co_return result;
  }
  auto dialed =
      co_await detail::dial(target.host, target.port, target.tls, options.connect, result.error);
  if (!dialed.plain && !dialed.secure) co_return result;
  const auto left = detail::time_left(dialed, options.connect.timeout);
  std::string where = base::host_port(target.host, target.port);
  if (dialed.plain) {
    auto call = std::make_unique<stream_call<detail::tcp_stream>>(std::move(*dialed.plain), nullptr,
                                                                  std::move(where), options);
    if (co_await call->exchange(target, request, left, result)) {
      result.call = std::make_unique<http_stream_call>(std::move(call));
    }
  } else {
    auto call = std::make_unique<stream_call<detail::tls_stream>>(
        std::move(*dialed.secure), dialed.tls_context, std::move(where), options);
    if (co_await call->exchange(target, request, left, result)) {
      result.call = std::make_unique<http_stream_call>(std::move(call));
    }
  }
  co_return result;
}

}  // namespace rstream::transport
