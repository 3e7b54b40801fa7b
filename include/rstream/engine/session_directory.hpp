// session_directory: the engine's managed sessions by id, for listing, joining and control.
// A session is listed while it runs and, once terminated, for `keep_terminated` (at most
// `max_terminated` of them, oldest forgotten first), so `sessions list --status terminated` and
// `sessions show` still find a session that just ended; its recording (when its server is
// recorded) is what stays for good.
//
// Thread-safety: none; the engine's io_context thread.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "rstream/engine/managed_session.hpp"

namespace rstream::engine {

/// What `sessions list` narrows to (GET /api/webtty/sessions's query); empty fields match all.
struct session_filter {
  std::string status;  ///< "", "active" or "terminated"
  std::string server;  ///< a server's id or name
  std::string origin;
  std::string group;
  std::string started_from;  ///< UTC ISO 8601, inclusive
  std::string started_to;    ///< UTC ISO 8601, inclusive
};

/// Reads the filter from the query's values; an error names the bad one.
std::optional<session_filter> parse_session_filter(std::string status, std::string server,
                                                   std::string origin, std::string group,
                                                   std::string from, std::string to,
                                                   std::string& error);

class session_directory {
 public:
  explicit session_directory(std::chrono::milliseconds keep_terminated = std::chrono::minutes(10),
                             std::size_t max_terminated = 1000)
      : keep_terminated_(keep_terminated), max_terminated_(max_terminated) {}

  /// Adds a new session (its id is fresh: new_session_id()).
  void add(std::shared_ptr<managed_session> session);
  /// Notes that a session terminated (keeps it listed for a while).
  void terminated(const std::string& id);
  std::shared_ptr<managed_session> find(const std::string& id);
  /// Sessions matching `filter` (and `visible`, when given), oldest first, as their listing
  /// entries.
  nlohmann::json list(const session_filter& filter,
                      const std::function<bool(const managed_session&)>& visible = {});
  /// Session groups: {group, sessions, active, servers, first_started_at, last_started_at}.
  nlohmann::json groups();
  /// Forgets the terminated sessions `visible` lets go of (all when unset) now, instead of after
  /// keep_terminated; their ids, oldest first.
  std::vector<std::string> cleanup(const std::function<bool(const managed_session&)>& visible = {});
  /// Ends every session (engine shutdown).
  void kill_all();
  std::size_t size() const { return sessions_.size(); }

 private:
  void forget_old();
  /// Forgets a session (its observers are told it was removed); false when it was not listed.
  bool remove(const std::string& id);

  std::chrono::milliseconds keep_terminated_;
  std::size_t max_terminated_;
  std::map<std::string, std::shared_ptr<managed_session>> sessions_;
  /// Terminated ones in the order they ended, with when.
  std::deque<std::pair<std::string, std::chrono::steady_clock::time_point>> ended_;
};

}  // namespace rstream::engine
