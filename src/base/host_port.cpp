// Hosts and ports in URLs (see host_port.hpp).
#include "rstream/base/host_port.hpp"

namespace rstream::base {

std::string url_host(std::string_view host) {
  if (host.find(':') == std::string_view::npos) return std::string(host);
  return "[" + std::string(host) + "]";
}

std::string host_port(std::string_view host, std::uint16_t port) {
  return url_host(host) + ":" + std::to_string(port);
}

}  // namespace rstream::base
