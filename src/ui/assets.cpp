// Embedded assets and serve_asset (see assets.hpp).
#include "rstream/ui/assets.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace asio = boost::asio;

namespace rstream::ui {
namespace {

/// True when an If-None-Match value ("*", or a list of entity tags, weak or strong) names
/// `etag`. Weak comparison, as RFC 9110 asks for If-None-Match.
bool none_match_hits(std::string_view header, std::string_view etag) {
  std::size_t start = 0;
  while (start < header.size()) {
    std::size_t comma = header.find(',', start);
    if (comma == std::string_view::npos) comma = header.size();
    std::string_view item = header.substr(start, comma - start);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item.substr(0, 2) == "W/") item.remove_prefix(2);
    if (item == "*" || item == etag) return true;
    start = comma + 1;
  }
  return false;
}

}  // namespace

std::span<const asset> all_assets() { return detail::embedded_assets(); }

const asset* find_asset(std::string_view name) {
  if (!name.empty() && name.front() == '/') name.remove_prefix(1);
  for (const asset& a : detail::embedded_assets()) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

asio::awaitable<void> serve_asset(transport::http_exchange& exchange, std::string_view name) {
  const auto& request = exchange.request();
  if (request.method != "GET" && request.method != "HEAD") {
    std::vector<transport::http_header> allow{{"Allow", "GET, HEAD"}};
    co_await exchange.respond_error(405, "method_not_allowed", "use GET or HEAD for pages",
                                    std::move(allow));
    co_return;
  }
  const asset* found = find_asset(name);
  if (!found) {
    const std::string why = "no such file: " + std::string(name);
    co_await exchange.respond_error(404, "not_found", why);
    co_return;
  }
  std::vector<transport::http_header> headers{
      {"ETag", std::string(found->etag)},
      {"Cache-Control", "no-cache"},
      {"Content-Security-Policy", std::string(content_security_policy)},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Frame-Options", "DENY"},
  };
  const std::string* if_none_match = request.header("If-None-Match");
  if (if_none_match && none_match_hits(*if_none_match, found->etag)) {
    // A 304 has no body; its Content-Length is the representation's (RFC 9110 §8.6), and
    // giving it keeps the connection alive.
    co_await exchange.write_head(304, headers, found->bytes.size());
    co_return;
  }
  headers.push_back({"Content-Type", std::string(found->content_type)});
  auto ec = co_await exchange.write_head(200, headers, found->bytes.size());
  if (ec || request.method == "HEAD") co_return;
  co_await exchange.write_body(found->bytes);
}

}  // namespace rstream::ui
