// The names browsers present, as pure string functions with no I/O: the authorities of Origin
// and Host headers, the listener's own names (DNS-rebinding rule), and the login cookie's name,
// value and Set-Cookie lines. Every input here comes from the network; fuzzed by
// tests/fuzz/fuzz_ui_browser_names.cpp. The rules that use them are in browser_auth.hpp.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rstream::ui {

/// `s` without leading and trailing spaces and tabs (HTTP's optional whitespace).
std::string_view trim_ows(std::string_view s);

/// The login cookie's name for a server reached at `host` (the Host header). Cookies are not
/// scoped by port, so two rstream ports on one host get two names: "rstream_token_8765";
/// "rstream_token" when the host has no explicit port.
std::string login_cookie_name(std::string_view host);

/// The value of the cookie `name` in a Cookie header ("a=1; b=2"), or nullopt.
std::optional<std::string> cookie_value(std::string_view cookie_header, std::string_view name);

/// Set-Cookie values that set and clear the login cookie (the value is %-encoded).
std::string login_set_cookie(std::string_view name, std::string_view token, bool secure);
std::string logout_set_cookie(std::string_view name, bool secure);

/// "host:port" of an Origin value ("https://Example.org" → "example.org:443"), or nullopt for
/// "null" or anything malformed.
std::optional<std::string> origin_authority(std::string_view origin);
/// "host:port" of a Host header on a connection that is (not) TLS ("h" → "h:80").
std::optional<std::string> host_authority(std::string_view host, bool secure);

/// True when `host_header` ("name[:port]") names this listener: an IP literal (a rebinding
/// attack needs a DNS name), "localhost" or a name under ".localhost", or one of `names`
/// (lowercase host names, no port: the bound name, --public-url's host).
bool host_allowed(std::string_view host_header, const std::vector<std::string>& names);

/// The host name of a URL ("https://Engine.example:8765/x" → "engine.example"), or empty.
std::string url_host_name(std::string_view url);

}  // namespace rstream::ui
