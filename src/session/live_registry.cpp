// live_registry (see live_registry.hpp).
#include "rstream/session/live_registry.hpp"

#include <sodium.h>

#include <algorithm>

namespace rstream::session {
namespace {

/// 12 hexadecimal digits from the system's random source: not guessable, short to type.
std::string fresh_id() {
  unsigned char bytes[6];
  randombytes_buf(bytes, sizeof bytes);
  static constexpr char digits[] = "0123456789abcdef";
  std::string id;
  for (unsigned char b : bytes) {
    id += digits[b >> 4];
    id += digits[b & 15];
  }
  return id;
}

}  // namespace

live_registry::live_registry(boost::asio::any_io_executor executor, live_registry_config config)
    : executor_(std::move(executor)), config_(config) {}

std::shared_ptr<live_terminal> live_registry::create(live_start_request request,
                                                     live_start_failure& failure) {
  const auto active = std::count_if(sessions_.begin(), sessions_.end(),
                                    [](const auto& s) { return !s->terminated(); });
  if (static_cast<std::size_t>(active) >= config_.max_sessions) {
    failure = {429, "too_many_sessions",
               "this server already runs " + std::to_string(active) +
                   " live sessions (--max-live-sessions)"};
    return nullptr;
  }
  const std::string& name = request.options.name;
  if (!name.empty()) {
    for (const auto& s : sessions_) {
      if (!s->terminated() && (s->state().name() == name || s->id() == name)) {
        failure = {409, "name_taken", "a running session is already called '" + name + "'"};
        return nullptr;
      }
    }
  }
  do {
    request.options.id = fresh_id();
  } while (find(request.options.id));
  request.options.scrollback_bytes = config_.scrollback_bytes;
  auto terminal = live_terminal::start(executor_, std::move(request), config_.kill_grace, failure);
  if (terminal) sessions_.push_back(terminal);
  return terminal;
}

std::shared_ptr<live_terminal> live_registry::find(const std::string& id_or_name) const {
  for (const auto& s : sessions_) {
    if (s->id() == id_or_name) return s;
  }
  std::shared_ptr<live_terminal> newest_ended;
  for (const auto& s : sessions_) {
    if (s->state().name() != id_or_name) continue;
    if (!s->terminated()) return s;
    newest_ended = s;
  }
  return newest_ended;
}

void live_registry::remove(const std::shared_ptr<live_terminal>& terminal) {
  auto it = std::find(sessions_.begin(), sessions_.end(), terminal);
  if (it == sessions_.end()) return;
  sessions_.erase(it);
  terminal->mark_removed();
}

std::vector<std::string> live_registry::cleanup() {
  std::vector<std::string> removed;
  std::vector<std::shared_ptr<live_terminal>> ended;
  for (const auto& s : sessions_) {
    if (s->terminated()) ended.push_back(s);
  }
  for (const auto& s : ended) {
    removed.push_back(s->id());
    remove(s);
  }
  return removed;
}

boost::asio::awaitable<void> live_registry::shut_down() {
  const auto all = sessions_;
  for (const auto& s : all) s->hang_up();
  for (const auto& s : all) co_await s->wait_terminated(config_.kill_grace + std::chrono::seconds(1));
  for (const auto& s : all) remove(s);
}

}  // namespace rstream::session
