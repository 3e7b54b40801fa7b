// Headers around content that a browser must never run in our origin: files served by the
// filesystem sidecar, and anything the engine relays from a tunnel (a tunnel is another party:
// it must not read the engine's cookies nor answer with a page that runs as the engine).
//
//   - A proxy forwards an allowlist of request headers: never Cookie or Authorization.
//   - A response carries an allowlist of the producer's headers (range, validators, WebDAV),
//     a Content-Type that cannot run (anything else becomes an attachment of
//     application/octet-stream), "X-Content-Type-Options: nosniff" and
//     "Content-Security-Policy: sandbox" (an opaque origin, no script).
//
// Thread-safety: pure functions; a confined_exchange belongs to its request's coroutine.
#pragma once

#include <string_view>
#include <vector>

#include "rstream/transport/http.hpp"

namespace rstream::transport {

/// True for the request headers a proxy passes on to a tunnel's HTTP surface (case-insensitive):
/// Accept, Content-Type, Range, If-Range, If-Match, If-None-Match, If-Modified-Since,
/// If-Unmodified-Since, Depth, Destination, Overwrite. Never Cookie or Authorization.
bool forwarded_to_tunnel(std::string_view header_name);

/// The headers to send with a response whose body and headers came from `given` (an untrusted
/// producer): Content-Range, Accept-Ranges, ETag, Last-Modified, DAV, Allow and Cache-Control
/// as given; Content-Type kept only for types a browser shows inertly (JSON, plain text,
/// octet-stream; XML as an attachment), else application/octet-stream as an attachment; plus
/// nosniff and a sandbox CSP. Length and framing headers are write_head's job.
std::vector<http_header> confine_file_response(const std::vector<http_header>& given);

/// An exchange whose response heads go through confine_file_response, whatever its handler
/// writes: the sidecar's own /fs answers get the same protection as relayed ones.
class confined_exchange final : public http_exchange {
 public:
  explicit confined_exchange(http_exchange& inner) : inner_(inner) {}

  const http_request& request() const override { return inner_.request(); }
  std::string peer() const override { return inner_.peer(); }
  bool secure() const override { return inner_.secure(); }
  boost::asio::awaitable<std::pair<boost::system::error_code, std::size_t>> read_body_some(
      std::span<std::uint8_t> into) override;
  boost::asio::awaitable<boost::system::error_code> write_head(
      int status, const std::vector<http_header>& headers,
      std::optional<std::uint64_t> content_length) override;
  boost::asio::awaitable<boost::system::error_code> write_body(
      std::span<const std::uint8_t> bytes) override;
  boost::asio::awaitable<boost::system::error_code> end_body() override;
  void close_after_response() override { inner_.close_after_response(); }
  boost::asio::ip::tcp::socket* raw_body_socket() override { return inner_.raw_body_socket(); }
  boost::asio::awaitable<std::unique_ptr<frame_channel>> accept_websocket(
      std::size_t max_payload, std::string& error) override;

 private:
  http_exchange& inner_;
};

}  // namespace rstream::transport
