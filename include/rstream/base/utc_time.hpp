// Times as the JSON of every API and key file writes them: ISO 8601 in UTC ("Z"), to the second
// ("2026-12-07T10:05:49Z") or to the millisecond ("2026-12-07T10:05:49.123Z").
//
// Thread-safety: pure functions (gmtime_r).
#pragma once

#include <chrono>
#include <string>

namespace rstream::base {

/// `t` to the second, or with milliseconds (floored, so times before 1970 too get 000..999).
std::string utc_iso8601(std::chrono::system_clock::time_point t, bool milliseconds = false);

/// Now, to the second.
std::string utc_now_iso8601();

}  // namespace rstream::base
