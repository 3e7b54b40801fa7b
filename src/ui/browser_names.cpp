// Browser names (see browser_names.hpp).
#include "rstream/ui/browser_names.hpp"
#include "rstream/base/percent.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <utility>

namespace rstream::ui {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
         c == '~' || c == '%';
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.size() <= 5 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

/// "host[:port]" → {"host", "port"} with the host lowercased; "[v6]" kept in brackets.
std::optional<std::pair<std::string, std::string>> split_authority(std::string_view authority) {
  std::string_view host;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(0, close + 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
    }
    const std::string_view inside = host.substr(1, host.size() - 2);
    if (inside.empty() || !std::all_of(inside.begin(), inside.end(), [](unsigned char c) {
          return std::isxdigit(c) || c == ':' || c == '.';
        })) {
      return std::nullopt;
    }
  } else {
    const auto colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    if (host.empty() || !std::all_of(host.begin(), host.end(), is_host_char)) return std::nullopt;
  }
  if (!port.empty() && !all_digits(port)) return std::nullopt;
  return std::pair{lower(host), std::string(port)};
}

std::string strip_leading_zeros(std::string port) {
  const auto first = port.find_first_not_of('0');
  return first == std::string::npos ? "0" : port.substr(first);
}

}  // namespace

std::string_view trim_ows(std::string_view s) { return trim(s); }

std::string login_cookie_name(std::string_view host) {
  auto parts = split_authority(trim(host));
  if (!parts || parts->second.empty()) return "rstream_token";
  return "rstream_token_" + strip_leading_zeros(parts->second);
}

std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
  std::size_t start = 0;
  while (start <= header.size()) {
    std::size_t end = header.find(';', start);
    if (end == std::string_view::npos) end = header.size();
    std::string_view pair = trim(header.substr(start, end - start));
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && trim(pair.substr(0, eq)) == name) {
      std::string_view value = trim(pair.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return std::string(value);
    }
    start = end + 1;
  }
  return std::nullopt;
}

std::string login_set_cookie(std::string_view name, std::string_view token, bool secure) {
  // Any byte outside the unreserved set is %XX-encoded: a token may hold ';', ' ' or '"'.
  std::string out =
      std::string(name) + "=" + base::percent_encode(token) + "; Path=/; HttpOnly; SameSite=Strict";
  if (secure) out += "; Secure";
  return out;
}

std::string logout_set_cookie(std::string_view name, bool secure) {
  std::string out = std::string(name) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";
  if (secure) out += "; Secure";
  return out;
}

std::optional<std::string> origin_authority(std::string_view origin) {
  origin = trim(origin);
  const auto sep = origin.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  const std::string scheme = lower(origin.substr(0, sep));
  std::string_view rest = origin.substr(sep + 3);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);  // tolerate "http://h/"
  if (rest.find_first_of("/?#@") != std::string_view::npos) return std::nullopt;
  std::string default_port;
  if (scheme == "http") {
    default_port = "80";
  } else if (scheme == "https") {
    default_port = "443";
  } else {
    return std::nullopt;
  }
  auto parts = split_authority(rest);
  if (!parts) return std::nullopt;
  const std::string port =
      parts->second.empty() ? default_port : strip_leading_zeros(parts->second);
  return parts->first + ":" + port;
}

std::optional<std::string> host_authority(std::string_view host, bool secure) {
  auto parts = split_authority(trim(host));
  if (!parts) return std::nullopt;
  const std::string port =
      parts->second.empty() ? (secure ? "443" : "80") : strip_leading_zeros(parts->second);
  return parts->first + ":" + port;
}

bool host_allowed(std::string_view host_header, const std::vector<std::string>& names) {
  auto parts = split_authority(trim(host_header));
  if (!parts) return false;
  const std::string& host = parts->first;
  if (host.front() == '[') return true;  // an IPv6 literal
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return true;
  constexpr std::string_view local = "localhost";
  if (host == local) return true;
  if (host.size() > local.size() + 1 && host.ends_with(local) &&
      host[host.size() - local.size() - 1] == '.') {
    return true;
  }
  return std::find(names.begin(), names.end(), host) != names.end();
}

std::string url_host_name(std::string_view url) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) return {};
  std::string_view rest = url.substr(sep + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (rest.find('@') != std::string_view::npos) return {};
  auto parts = split_authority(rest);
  return parts ? parts->first : std::string();
}

}  // namespace rstream::ui
