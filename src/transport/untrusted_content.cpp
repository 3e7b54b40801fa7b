// Headers around untrusted content (see untrusted_content.hpp).
#include "rstream/transport/untrusted_content.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace asio = boost::asio;

namespace rstream::transport {
namespace {

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

template <std::size_t N>
bool one_of(std::string_view name, const std::string_view (&names)[N]) {
  return std::any_of(std::begin(names), std::end(names),
                     [name](std::string_view n) { return same_name(name, n); });
}

/// "Text/HTML; charset=x" → "text/html".
std::string media_type(std::string_view value) {
  value = value.substr(0, value.find(';'));
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  std::string out(value);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

bool forwarded_to_tunnel(std::string_view header_name) {
  static constexpr std::string_view allowed[] = {"accept",
                                                 "content-type",
                                                 "range",
                                                 "if-range",
                                                 "if-match",
                                                 "if-none-match",
                                                 "if-modified-since",
                                                 "if-unmodified-since",
                                                 "depth",
                                                 "destination",
                                                 "overwrite"};
  return one_of(header_name, allowed);
}

std::vector<http_header> confine_file_response(const std::vector<http_header>& given) {
  static constexpr std::string_view kept[] = {
      "content-range", "accept-ranges", "etag", "last-modified", "dav", "allow", "cache-control"};
  std::vector<http_header> out;
  std::string type = "application/octet-stream";
  bool attachment = false;
  for (const auto& h : given) {
    if (one_of(h.name, kept)) {
      out.push_back(h);
    } else if (same_name(h.name, "content-type")) {
      const std::string media = media_type(h.value);
      if (media == "application/json" || media == "text/plain" ||
          media == "application/octet-stream") {
        type = h.value;
      } else if (media == "application/xml" || media == "text/xml") {
        type = h.value;  // WebDAV multistatus: clients read it, browsers save it
        attachment = true;
      } else {
        attachment = true;  // HTML, SVG, script, anything a browser would render or run
      }
    }
  }
  out.push_back({"Content-Type", type});
  if (attachment) out.push_back({"Content-Disposition", "attachment"});
  out.push_back({"X-Content-Type-Options", "nosniff"});
  out.push_back({"Content-Security-Policy", "sandbox"});
  return out;
}

asio::awaitable<std::pair<boost::system::error_code, std::size_t>>
confined_exchange::read_body_some(std::span<std::uint8_t> into) {
  co_return co_await inner_.read_body_some(into);
}

asio::awaitable<boost::system::error_code> confined_exchange::write_head(
    int status, const std::vector<http_header>& headers,
    std::optional<std::uint64_t> content_length) {
  const std::vector<http_header> confined = confine_file_response(headers);
  co_return co_await inner_.write_head(status, confined, content_length);
}

asio::awaitable<boost::system::error_code> confined_exchange::write_body(
    std::span<const std::uint8_t> bytes) {
  co_return co_await inner_.write_body(bytes);
}

asio::awaitable<boost::system::error_code> confined_exchange::end_body() {
  co_return co_await inner_.end_body();
}

asio::awaitable<std::unique_ptr<frame_channel>> confined_exchange::accept_websocket(
    std::size_t, std::string& error) {
  error = "file responses do not upgrade";
  co_return nullptr;
}

}  // namespace rstream::transport
