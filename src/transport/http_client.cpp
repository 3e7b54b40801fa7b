// http_call: one request to a control API on its own connection (plain or TLS), within the
// connect options' deadline, the response body capped.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "rstream/transport/deadline.hpp"
#include "rstream/transport/http.hpp"
#include "rstream/common/asio_helpers.hpp"
#include "rstream/base/host_port.hpp"
#include "stream_channels.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace rstream::transport {
namespace {

constexpr std::uint64_t max_response_body = 64ull * 1024 * 1024;

template <class Stream>
asio::awaitable<http_response> exchange(Stream& stream, const http_target& target,
                                        const std::string& method, const std::string& path,
                                        const std::string& token, const std::string& body) {
  http_response result;
  http::request<http::string_body> req;
  req.method_string(method);
  req.target(path);
  req.version(11);
  req.set(http::field::host, base::host_port(target.host, target.port));
  req.set(http::field::user_agent, "rstream");
  req.set(http::field::accept, "application/json");
  req.set(http::field::connection, "close");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  auto [wec, wn] = co_await http::async_write(stream, req, use_nothrow);
  if (wec) {
    result.error = "sending the request failed: " + wec.message();
    co_return result;
  }
  // Beast reads at most the buffer's free capacity (but at least 512 bytes) at a time, and the
  // string body takes the bytes out of it: without room reserved, a 4 MB answer (the server
  // list) took 8,000 reads of 512 bytes.
  beast::flat_buffer buffer;
  buffer.reserve(64 * 1024);
  http::response_parser<http::string_body> parser;
  parser.body_limit(max_response_body);
  if (method == "HEAD") parser.skip(true);
  auto [rec, rn] = co_await http::async_read(stream, buffer, parser, use_nothrow);
  if (rec) {
    result.error = "reading the response failed: " + rec.message();
    co_return result;
  }
  auto& res = parser.get();
  result.status = res.result_int();
  result.content_type = std::string(res[http::field::content_type]);
  result.body = std::move(res.body());
  co_return result;
}

}  // namespace

asio::awaitable<http_response> http_call(const http_target& target, std::string method,
                                         std::string path, std::string token, std::string body,
                                         const connect_options& options) {
  http_response result;
  auto ex = co_await asio::this_coro::executor;
  auto dialed = co_await detail::dial(target.host, target.port, target.tls, options, result.error);
  if (!dialed.plain && !dialed.secure) co_return result;

  auto deadline = detail::deadline_after_dial(ex, dialed, options.timeout);
  if (dialed.plain) {
    result = co_await exchange(*dialed.plain, target, method, path, token, body);
  } else {
    result = co_await exchange(*dialed.secure, target, method, path, token, body);
  }
  deadline.disarm();
  if (deadline.expired()) {
    result = {};
    result.error = "timed out waiting for " + target.host + ":" + std::to_string(target.port);
  }
  co_return result;
}

http_response http_call_and_wait(const http_target& target, std::string method, std::string path,
                                 std::string token, std::string body,
                                 const connect_options& options) {
  http_response response;
  asio::io_context io{1};
  asio::co_spawn(io,
                 http_call(target, std::move(method), std::move(path), std::move(token),
                           std::move(body), options),
                 [&response](std::exception_ptr e, http_response r) {
                   if (e) {
                     response.error = "internal error";
                     return;
                   }
                   response = std::move(r);
                 });
  io.run();
  return response;
}

}  // namespace rstream::transport
