// A host and port as they stand in a URL, a Host header or a message: an IPv6 address in
// brackets ("[::1]:8765"), any other host as it is ("127.0.0.1:8765", "example.org:443").
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rstream::base {

/// `host` for a URL: in brackets when it is an IPv6 address (it holds a ':').
std::string url_host(std::string_view host);

/// "HOST:PORT" with url_host.
std::string host_port(std::string_view host, std::uint16_t port);

}  // namespace rstream::base
