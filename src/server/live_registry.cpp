// live_registry (see live_registry.hpp).
#include "rstream/server/live_registry.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>

namespace rstream::server {
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
    : executor_(std::move(executor)), config_(config), expiry_timer_(executor_) {}

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
  if (terminal) {
    sessions_.push_back(terminal);
    // Posted: the terminal calls this from its own handler, and pruning may destroy it.
    terminal->on_terminated([weak = weak_from_this(), executor = executor_] {
      boost::asio::post(executor, [weak] {
        if (auto self = weak.lock()) self->prune_terminated();
      });
    });
  }
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

void live_registry::prune_terminated() {
  if (shutting_down_) return;  // shut_down removes them all; no timer may keep run() going
  const auto now = std::chrono::steady_clock::now();
  std::vector<std::shared_ptr<live_terminal>> ended;
  for (const auto& s : sessions_) {
    if (s->terminated()) ended.push_back(s);
  }
  std::sort(ended.begin(), ended.end(),
            [](const auto& a, const auto& b) { return a->terminated_at() < b->terminated_at(); });
  std::size_t excess =
      ended.size() > config_.max_terminated ? ended.size() - config_.max_terminated : 0;
  std::optional<std::chrono::steady_clock::time_point> next_expiry;
  for (std::size_t i = 0; i < ended.size(); ++i) {
    const auto expires = ended[i]->terminated_at() + config_.terminated_retention;
    if (i < excess || expires <= now) {
      const auto age =
          std::chrono::duration_cast<std::chrono::milliseconds>(now - ended[i]->terminated_at());
      spdlog::info("live session {}: removed {} ms after it terminated ({})", ended[i]->id(),
                   age.count(),
                   i < excess ? "--max-terminated-sessions" : "--terminated-retention");
      remove(ended[i]);
    } else if (!next_expiry || expires < *next_expiry) {
      next_expiry = expires;
    }
  }
  if (!next_expiry) return;
  expiry_timer_.expires_at(*next_expiry);
  expiry_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->prune_terminated();
  });
}

boost::asio::awaitable<void> live_registry::shut_down() {
  shutting_down_ = true;
  expiry_timer_.cancel();  // a pending expiry must not keep the io_context running
  const auto all = sessions_;
  for (const auto& s : all) s->hang_up();
  for (const auto& s : all)
    co_await s->wait_terminated(config_.kill_grace + std::chrono::seconds(1));
  for (const auto& s : all) remove(s);
}

}  // namespace rstream::server
