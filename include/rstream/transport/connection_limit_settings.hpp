// connection_limit_settings: the admission limits an operator sets on a listener (the webtty
// server's and the engine's --max-connections, --max-unauthenticated,
// --max-unauthenticated-per-ip), and how they combine with this process's defaults.
//
// Thread-safety: plain values; limits_from reads the process's RLIMIT_NOFILE.
#pragma once

#include <chrono>
#include <cstddef>

namespace rstream::transport {

struct connection_limits;

/// 0 keeps the default derived from RLIMIT_NOFILE (limits_for_descriptors).
struct connection_limit_settings {
  std::size_t max_connections = 0;             ///< accepted connections open at once
  std::size_t max_unauthenticated = 0;         ///< not yet authenticated, in total
  std::size_t max_unauthenticated_per_ip = 0;  ///< not yet authenticated, from one IP address
};

/// This process's defaults (limits_for_descriptors) overridden by what `settings` sets; a
/// connection must authenticate within `pending_timeout`.
connection_limits limits_from(const connection_limit_settings& settings,
                              std::chrono::milliseconds pending_timeout);

}  // namespace rstream::transport
