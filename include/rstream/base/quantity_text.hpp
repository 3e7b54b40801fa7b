// Durations and sizes as users type them on a command line ("500ms", "10s", "1.5m", "30d",
// "64K", "1MiB"): the one parser of both; and sizes as people read them ("1.5 MiB").
//
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rstream::base {

/// "500ms", "10s", "1.5m", "2h", "30d"; a bare number is seconds. nullopt when malformed or
/// negative.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
/// "1048576", "64K", "1M", "1MiB", "2G". nullopt when malformed.
std::optional<std::uint64_t> parse_size(std::string_view text);
/// "512 B", "1.5 KiB", ... "2.0 TiB" (binary units, one decimal above bytes).
std::string format_size(double bytes);

}  // namespace rstream::base
