// The transport-independent parts of HTTP: request-head helpers, and the
// whole-body and whole-response conveniences built on an exchange's streaming primitives.
#include <strings.h>

#include <nlohmann/json.hpp>

#include "rstream/transport/http.hpp"

#include "rstream/api/error_reply.hpp"
#include "rstream/base/percent.hpp"

namespace asio = boost::asio;

namespace rstream::transport {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

const std::string* http_request::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) return &h.value;
  }
  return nullptr;
}

std::string_view http_request::path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

std::optional<std::string> http_request::query(std::string_view name) const {
  std::string_view t = target;
  auto q = t.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view rest = t.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    auto eq = pair.find('=');
    std::string key, value;
    if (!base::percent_decode(pair.substr(0, eq), key)) continue;
    if (key != name) continue;
    if (eq != std::string_view::npos && !base::percent_decode(pair.substr(eq + 1), value)) continue;
    return value;
  }
  return std::nullopt;
}

std::string http_request::bearer_token() const {
  const std::string* authorization = header("Authorization");
  constexpr std::string_view prefix = "Bearer ";
  if (!authorization || authorization->size() <= prefix.size()) return {};
  if (!iequals(std::string_view(*authorization).substr(0, prefix.size()), prefix)) return {};
  return authorization->substr(prefix.size());
}

bool http_request::is_websocket_upgrade() const {
  const std::string* upgrade = header("Upgrade");
  return method == "GET" && upgrade && iequals(*upgrade, "websocket");
}

asio::awaitable<body_result> http_exchange::read_body(std::size_t limit) {
  body_result result;
  const auto& req = request();
  if (req.content_length && *req.content_length > limit) {
    result.what = body_result::kind::too_large;
    co_return result;
  }
  std::vector<std::uint8_t> piece(16 * 1024);
  while (true) {
    auto [ec, n] = co_await read_body_some(piece);
    if (ec) {
      result.what = body_result::kind::failed;
      result.error = ec.message();
      co_return result;
    }
    if (n == 0) break;
    if (result.body.size() + n > limit) {
      result.what = body_result::kind::too_large;
      result.body.clear();
      co_return result;
    }
    result.body.append(reinterpret_cast<const char*>(piece.data()), n);
  }
  result.what = body_result::kind::ok;
  co_return result;
}

asio::awaitable<boost::system::error_code> http_exchange::respond(int status,
                                                                  std::string_view content_type,
                                                                  std::string_view body,
                                                                  std::vector<http_header> extra) {
  extra.push_back({"Content-Type", std::string(content_type)});
  extra.push_back({"Cache-Control", "no-store"});
  // A page of another origin cannot make a browser run or render an answer as another type.
  extra.push_back({"X-Content-Type-Options", "nosniff"});
  auto ec = co_await write_head(status, extra, body.size());
  if (ec) co_return ec;
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(body.data()),
                                            body.size());
  co_return co_await write_body(bytes);
}

asio::awaitable<boost::system::error_code> http_exchange::respond_json(
    int status, std::string_view json, std::vector<http_header> extra) {
  std::string text(json);
  text += "\n";
  co_return co_await respond(status, "application/json", text, std::move(extra));
}

asio::awaitable<boost::system::error_code> http_exchange::respond_error(
    int status, std::string_view code, std::string_view message, std::vector<http_header> extra) {
  co_return co_await respond(status, "application/json", api::error_envelope(code, message),
                             std::move(extra));
}

}  // namespace rstream::transport

namespace rstream::transport {

boost::asio::awaitable<std::unique_ptr<message_socket>> http_exchange::accept_message_socket(
    std::size_t /*max_message*/, std::string& error) {
  error = "this connection cannot be upgraded to a WebSocket";
  co_return nullptr;
}

}  // namespace rstream::transport
