// Parsing of the URLs and listen addresses users type (see endpoint_url.hpp).
#include "rstream/transport/endpoint_url.hpp"

#include <charconv>

#include "rstream/transport/scheme.hpp"
#include "rstream/base/host_port.hpp"

namespace rstream::transport {
namespace {

bool parse_port(std::string_view text, std::uint16_t& port) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}

/// Splits "HOST:PORT" / "[V6]:PORT" / "HOST" (port optional when default_port is given).
bool split_host_port(std::string_view authority, std::optional<std::uint16_t> default_port,
                     endpoint_url& out, std::string& error) {
  std::string_view host = authority;
  std::string_view port_text;
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) {
      error = "missing ']' after IPv6 address";
      return false;
    }
    host = authority.substr(1, close - 1);
    auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') {
        error = "expected ':PORT' after ']'";
        return false;
      }
      port_text = rest.substr(1);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port_text = authority.substr(colon + 1);
  }
  if (host.empty()) {
    error = "missing host";
    return false;
  }
  out.host = std::string(host);
  if (port_text.empty()) {
    if (!default_port) {
      error = "missing port (expected HOST:PORT)";
      return false;
    }
    out.port = *default_port;
  } else if (!parse_port(port_text, out.port)) {
    error = "invalid port '" + std::string(port_text) + "'";
    return false;
  }
  return true;
}

}  // namespace

std::optional<scheme_kind> parse_scheme(std::string_view text) {
  if (text == "tcp") return scheme_kind::tcp;
  if (text == "tls") return scheme_kind::tls;
  if (text == "ws") return scheme_kind::ws;
  if (text == "wss") return scheme_kind::wss;
  return std::nullopt;
}

std::string endpoint_url::to_string() const {
  std::string text = scheme + "://";
  text += base::host_port(host, port) + path;
  return text;
}

std::optional<endpoint_url> parse_endpoint_url(std::string_view text, std::string& error) {
  auto sep = text.find("://");
  if (sep == std::string_view::npos) {
    error = "'" + std::string(text) + "' is not a URL (expected tcp://, tls://, ws:// or wss://)";
    return std::nullopt;
  }
  endpoint_url url;
  url.scheme = std::string(text.substr(0, sep));
  const auto kind = parse_scheme(url.scheme);
  if (!kind) {
    error = "unsupported URL scheme '" + url.scheme + "' (expected tcp, tls, ws or wss)";
    return std::nullopt;
  }
  std::optional<std::uint16_t> default_port;
  if (*kind == scheme_kind::ws) default_port = 80;
  if (*kind == scheme_kind::wss) default_port = 443;
  auto rest = text.substr(sep + 3);
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) url.path = std::string(rest.substr(slash));
  std::string detail;
  if (!split_host_port(authority, default_port, url, detail)) {
    error = "invalid URL '" + std::string(text) + "': " + detail;
    return std::nullopt;
  }
  if (url.uses_websocket()) {
    if (url.path.empty() || url.path == "/") url.path = "/webtty";
  } else if (!url.path.empty() && url.path != "/") {
    error = "invalid URL '" + std::string(text) + "': " + url.scheme + ":// takes no path";
    return std::nullopt;
  } else {
    url.path.clear();
  }
  return url;
}

std::optional<endpoint_url> parse_listen_address(std::string_view text, std::string& error) {
  endpoint_url url;
  url.scheme = "tcp";
  std::string detail;
  if (!split_host_port(text, std::nullopt, url, detail)) {
    error = "invalid listen address '" + std::string(text) + "': " + detail;
    return std::nullopt;
  }
  return url;
}

bool is_loopback_host(std::string_view host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

}  // namespace rstream::transport
