// session_directory (see session_directory.hpp).
#include "rstream/engine/session_directory.hpp"

#include <algorithm>
#include <set>
#include <vector>

#include "rstream/codec/frame.hpp"

namespace rstream::engine {
namespace {

using json = nlohmann::json;

bool is_iso_time(const std::string& text) {
  // 2026-12-07T10:00:00Z, optionally with milliseconds: compared as text, so the shape matters.
  return text.size() >= 20 && text[4] == '-' && text[7] == '-' && text[10] == 'T' &&
         text[13] == ':' && text[16] == ':' && text.back() == 'Z';
}

bool matches(const managed_session& s, const session_filter& f) {
  const auto& info = s.info();
  if (f.status == "active" && s.terminated()) return false;
  if (f.status == "terminated" && !s.terminated()) return false;
  if (!f.server.empty() && f.server != info.server_id && f.server != info.server_name) {
    return false;
  }
  if (!f.origin.empty() && f.origin != info.origin) return false;
  if (!f.group.empty() && f.group != info.group) return false;
  if (!f.started_from.empty() && info.started_at < f.started_from) return false;
  if (!f.started_to.empty() && info.started_at > f.started_to) return false;
  return true;
}

}  // namespace

std::optional<session_filter> parse_session_filter(std::string status, std::string server,
                                                   std::string origin, std::string group,
                                                   std::string from, std::string to,
                                                   std::string& error) {
  if (!status.empty() && status != "active" && status != "terminated") {
    error = "status must be active or terminated, not '" + status + "'";
    return std::nullopt;
  }
  if (!origin.empty() && !codec::is_session_origin(origin)) {
    error =
        "origin must be human, ci, agent, api, automation or scheduled-job, not '" + origin + "'";
    return std::nullopt;
  }
  for (const auto* time : {&from, &to}) {
    if (!time->empty() && !is_iso_time(*time)) {
      error = "started_from and started_to are UTC times like 2026-12-07T10:00:00Z, not '" + *time +
              "'";
      return std::nullopt;
    }
  }
  return session_filter{std::move(status), std::move(server), std::move(origin),
                        std::move(group),  std::move(from),   std::move(to)};
}

void session_directory::add(std::shared_ptr<managed_session> session) {
  forget_old();
  const std::string id = session->id();
  sessions_[id] = std::move(session);
}

void session_directory::terminated(const std::string& id) {
  ended_.emplace_back(id, std::chrono::steady_clock::now());
  forget_old();
}

std::shared_ptr<managed_session> session_directory::find(const std::string& id) {
  forget_old();
  const auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second;
}

json session_directory::list(const session_filter& filter,
                             const std::function<bool(const managed_session&)>& visible) {
  forget_old();
  std::vector<const managed_session*> found;
  for (const auto& [id, session] : sessions_) {
    if (matches(*session, filter) && (!visible || visible(*session))) {
      found.push_back(session.get());
    }
  }
  std::sort(found.begin(), found.end(), [](const auto* a, const auto* b) {
    return a->info().started_at != b->info().started_at
               ? a->info().started_at < b->info().started_at
               : a->id() < b->id();
  });
  json out = json::array();
  for (const auto* session : found) out.push_back(session->to_json());
  return out;
}

json session_directory::groups() {
  forget_old();
  struct group_stats {
    std::size_t sessions = 0, active = 0;
    std::set<std::string> servers;
    std::string first, last;
  };
  std::map<std::string, group_stats> by_group;
  for (const auto& [id, session] : sessions_) {
    const auto& info = session->info();
    if (info.group.empty()) continue;
    auto& g = by_group[info.group];
    ++g.sessions;
    if (!session->terminated()) ++g.active;
    g.servers.insert(info.server_name);
    if (g.first.empty() || info.started_at < g.first) g.first = info.started_at;
    if (info.started_at > g.last) g.last = info.started_at;
  }
  json out = json::array();
  for (const auto& [name, g] : by_group) {
    out.push_back({{"group", name},
                   {"sessions", g.sessions},
                   {"active", g.active},
                   {"servers", g.servers},
                   {"first_started_at", g.first},
                   {"last_started_at", g.last}});
  }
  return out;
}

void session_directory::kill_all() {
  for (const auto& [id, session] : sessions_) session->kill();
}

std::vector<std::string> session_directory::cleanup(
    const std::function<bool(const managed_session&)>& visible) {
  forget_old();
  std::vector<std::string> removed;
  for (auto ended = ended_.begin(); ended != ended_.end();) {
    const auto it = sessions_.find(ended->first);
    if (it != sessions_.end() && visible && !visible(*it->second)) {
      ++ended;
      continue;
    }
    if (remove(ended->first)) removed.push_back(ended->first);
    ended = ended_.erase(ended);
  }
  return removed;
}

void session_directory::forget_old() {
  const auto now = std::chrono::steady_clock::now();
  while (!ended_.empty() &&
         (ended_.size() > max_terminated_ || now - ended_.front().second > keep_terminated_)) {
    remove(ended_.front().first);
    ended_.pop_front();
  }
}

bool session_directory::remove(const std::string& id) {
  const auto it = sessions_.find(id);
  if (it == sessions_.end()) return false;
  it->second->mark_removed();
  sessions_.erase(it);
  return true;
}

}  // namespace rstream::engine
