// The client commands' server URLs, direct and rstrm:// (see server_url.hpp).
#include "rstream/client/server_url.hpp"

#include <algorithm>

#include "rstream/api/error_reply.hpp"
#include "rstream/base/host_port.hpp"
#include "rstream/transport/endpoint_url.hpp"

namespace rstream::client {
namespace {

constexpr std::string_view tunnel_scheme = "rstrm://";

}  // namespace

std::string direct_server_url::origin() const {
  return std::string(target.tls ? "https://" : "http://") +
         base::host_port(target.host, target.port);
}

bool split_host_port(std::string_view text, std::uint16_t default_port, std::string& host,
                     std::uint16_t& port) {
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return false;
    host = std::string(text.substr(1, close - 1));
    const auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port_text = rest.substr(1);
    }
  } else {
    const auto colon = text.rfind(':');
    if (colon != std::string_view::npos) {
      host = std::string(text.substr(0, colon));
      port_text = text.substr(colon + 1);
    } else {
      host = std::string(text);
    }
  }
  if (host.empty()) return false;
  port = default_port;
  if (port_text.empty()) return true;
  unsigned value = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
    if (value > 65535) return false;
  }
  if (value == 0) return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}

std::optional<direct_server_url> parse_direct_server_url(const std::string& url,
                                                         std::string& error) {
  direct_server_url out;
  for (const std::string_view scheme : {"http://", "https://"}) {
    if (url.rfind(scheme, 0) != 0) continue;
    const bool tls = scheme == "https://";
    std::string_view rest = std::string_view(url).substr(scheme.size());
    const auto slash = rest.find('/');
    const std::string_view authority = rest.substr(0, slash);
    std::string path = slash == std::string_view::npos ? "" : std::string(rest.substr(slash));
    if (path.find_first_of("?#") != std::string::npos ||
        authority.find('@') != std::string_view::npos) {
      error = "invalid URL '" + url + "': no query, fragment or user info";
      return std::nullopt;
    }
    if (!split_host_port(authority, tls ? 443 : 80, out.target.host, out.target.port)) {
      error = "invalid URL '" + url + "': expected " + std::string(scheme) + "HOST[:PORT][/PREFIX]";
      return std::nullopt;
    }
    while (!path.empty() && path.back() == '/') path.pop_back();
    out.target.tls = tls;
    out.path = std::move(path);
    out.http_form = true;
    return out;
  }
  auto endpoint = transport::parse_endpoint_url(url, error);
  if (!endpoint) return std::nullopt;
  out.target = {endpoint->uses_tls(), endpoint->host, endpoint->port};
  return out;
}

bool is_tunnel_url(std::string_view url) { return url.starts_with(tunnel_scheme); }

std::optional<tunnel_url_target> resolve_tunnel_url(const std::string& url,
                                                    const std::string& context, int& exit_code,
                                                    std::string& error) {
  tunnel_url_target target;
  target.name = url.substr(std::min(url.size(), tunnel_scheme.size()));
  while (!target.name.empty() && target.name.back() == '/') target.name.pop_back();
  if (!is_tunnel_url(url) || target.name.empty() || target.name.find('/') != std::string::npos) {
    exit_code = api::exit_usage;
    error = "invalid tunnel URL '" + url + "': expected rstrm://NAME";
    return std::nullopt;
  }
  auto engine = config::resolve_engine(context);
  if (!engine) {
    exit_code = api::exit_remote_failure;
    error = engine.error().message;
    return std::nullopt;
  }
  target.engine = std::move(*engine);
  return target;
}

}  // namespace rstream::client
