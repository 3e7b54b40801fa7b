// auth_throttle (see auth_throttle.hpp).
#include "rstream/base/auth_throttle.hpp"

#include <algorithm>

namespace rstream::base {

bool auth_throttle::blocked(std::string_view source, clock::time_point now) {
  auto it = entries_.find(source);
  return it != entries_.end() && now < it->second.blocked_until;
}

void auth_throttle::failed(std::string_view source, clock::time_point now) {
  auto it = entries_.find(source);
  if (it == entries_.end()) {
    if (entries_.size() >= limits_.max_sources) {
      // Drop the entry whose window started first (a bounded table, whatever the flood).
      auto oldest = std::min_element(entries_.begin(), entries_.end(), [](auto& a, auto& b) {
        return a.second.window_start < b.second.window_start;
      });
      entries_.erase(oldest);
    }
    it = entries_.emplace(std::string(source), entry{now, 0, {}}).first;
  }
  entry& e = it->second;
  if (now - e.window_start > limits_.window) {
    e.window_start = now;
    e.failures = 0;
  }
  if (++e.failures >= limits_.max_failures) {
    e.blocked_until = now + limits_.cooldown;
    e.window_start = now;
    e.failures = 0;
  }
}

void auth_throttle::succeeded(std::string_view source) {
  // Only called after a check, and a blocked source is not checked: nothing to keep.
  if (auto it = entries_.find(source); it != entries_.end()) entries_.erase(it);
}

std::string source_address(std::string_view peer) {
  if (!peer.empty() && peer.front() == '[') {
    const auto close = peer.find(']');
    return std::string(peer.substr(1, close == std::string_view::npos ? peer.size() : close - 1));
  }
  const auto colon = peer.rfind(':');
  if (colon != std::string_view::npos && peer.find(':') == colon) {
    return std::string(peer.substr(0, colon));  // "a.b.c.d:port"
  }
  return std::string(peer);
}

}  // namespace rstream::base
