// The browser UI's static files (web/, bundled at build time and embedded: docs/ui.md) and
// the HTTP handler that serves them with caching and browser-hardening headers.
//
// Thread-safety: the asset table is immutable static data; serve_asset uses only the exchange.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <span>
#include <string_view>

#include "rstream/transport/http.hpp"

namespace rstream::ui {

/// One embedded file.
struct asset {
  std::string_view name;          ///< "index.html", "app.js", ... (no directories)
  std::string_view content_type;  ///< "text/javascript; charset=utf-8", ...
  std::span<const unsigned char> bytes;
  std::string_view etag;  ///< strong, quoted: "\"3f2a...\"" (from the content's SHA-256)
};

/// The embedded file named `name` ("app.js"; a leading '/' is ignored), or null.
const asset* find_asset(std::string_view name);

/// Every embedded file, sorted by name.
std::span<const asset> all_assets();

/// The Content-Security-Policy of our pages: scripts, connections and everything else from
/// this origin only (styles may be inline: xterm.js sets its colours with a <style>).
inline constexpr std::string_view content_security_policy =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Answers GET or HEAD for the asset `name` (ETag, If-None-Match → 304, Cache-Control:
/// no-cache so a new binary's files are picked up at once, CSP, nosniff); 404 when there is no
/// such asset, 405 for other methods.
boost::asio::awaitable<void> serve_asset(transport::http_exchange& exchange, std::string_view name);

namespace detail {
/// Defined in the generated file (cmake/embed_assets.cmake).
const std::span<const asset> embedded_assets();
}  // namespace detail

}  // namespace rstream::ui
