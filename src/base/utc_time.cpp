// ISO 8601 UTC times (see utc_time.hpp).
#include "rstream/base/utc_time.hpp"

#include <cstdio>
#include <ctime>

namespace rstream::base {

std::string utc_iso8601(std::chrono::system_clock::time_point t, bool milliseconds) {
  const auto whole = std::chrono::floor<std::chrono::seconds>(t);
  const auto millis =
      static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(t - whole).count());
  const std::time_t seconds = std::chrono::system_clock::to_time_t(whole);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char buffer[96];  // ample for any int fields
  if (milliseconds) {
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  } else {
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  }
  return buffer;
}

std::string utc_now_iso8601() { return utc_iso8601(std::chrono::system_clock::now()); }

}  // namespace rstream::base
