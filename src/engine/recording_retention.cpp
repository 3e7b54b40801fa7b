// Which recordings to delete (see recording_retention.hpp).
#include "rstream/engine/recording_retention.hpp"

#include <algorithm>

#include "rstream/base/utc_time.hpp"

namespace rstream::engine {

std::vector<std::string> retention_victims(const std::vector<api::recording_summary>& recordings,
                                           const retention_limits& limits,
                                           std::chrono::system_clock::time_point now) {
  std::uint64_t total = 0;
  std::vector<const api::recording_summary*> ended;
  for (const auto& r : recordings) {
    total += r.bytes;
    if (!r.ended_at.empty()) ended.push_back(&r);
  }
  // ISO 8601 texts of one format compare as the times they name.
  std::sort(ended.begin(), ended.end(), [](const auto* a, const auto* b) {
    return a->ended_at != b->ended_at ? a->ended_at < b->ended_at
                                      : a->open.started_at < b->open.started_at;
  });
  const std::string cutoff =
      limits.max_age.count() > 0 ? base::utc_iso8601(now - limits.max_age, true) : std::string();
  std::vector<std::string> victims;
  for (const auto* r : ended) {
    const bool too_old = !cutoff.empty() && r->ended_at < cutoff;
    const bool over_cap = limits.max_bytes > 0 && total > limits.max_bytes;
    if (!too_old && !over_cap) break;  // the rest ended later and the total fits
    victims.push_back(r->session_id);
    total -= r->bytes;
  }
  return victims;
}

}  // namespace rstream::engine
