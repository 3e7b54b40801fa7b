// recording_retention: which recordings the engine deletes to keep within its limits (`engine
// --recording-retention DURATION`, `--recording-max-bytes SIZE`). Pure: the session_recorder
// lists the recordings, asks, and deletes.
//
// Only ended recordings are ever chosen, oldest end first: those that ended longer ago than the
// retention, then, while the recordings (running ones included) hold more payload bytes than
// the cap, the oldest of the rest. A running recording over the cap stays: it is deleted once
// it has ended and is the oldest.
//
// Thread-safety: a pure function.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "rstream/api/recording_event.hpp"

namespace rstream::engine {

struct retention_limits {
  std::chrono::milliseconds max_age{0};  ///< 0: recordings are kept whatever their age
  std::uint64_t max_bytes = 0;           ///< 0: no cap on their total size
};

/// The session ids of the recordings to delete, in the order to delete them.
std::vector<std::string> retention_victims(const std::vector<api::recording_summary>& recordings,
                                           const retention_limits& limits,
                                           std::chrono::system_clock::time_point now);

}  // namespace rstream::engine
