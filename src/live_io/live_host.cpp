// live_host's observers and control-request expiry (see live_host.hpp).
#include "rstream/live_io/live_host.hpp"

#include <algorithm>

namespace rstream::live_io {

live_host::live_host(const boost::asio::any_io_executor& executor)
    : executor_(executor), expiry_timer_(executor) {}

void live_host::mark_removed() {
  removed_ = true;
  changed();
}

void live_host::subscribe(async_event* event) { observers_.push_back(event); }

void live_host::unsubscribe(async_event* event) {
  observers_.erase(std::remove(observers_.begin(), observers_.end(), event), observers_.end());
}

void live_host::changed() {
  for (auto* observer : observers_) observer->notify();
}

void live_host::set_owner(const std::string& participant, std::string owner) {
  owners_[participant] = std::move(owner);
}

void live_host::forget_owner(const std::string& participant) { owners_.erase(participant); }

bool live_host::owned_by(const std::string& participant, const std::string& owner) const {
  const auto it = owners_.find(participant);
  return it != owners_.end() && it->second == owner;
}

void live_host::schedule_expiry() {
  auto next = state().control().next_expiry(control_request_ttl);
  if (!next || terminated()) return;
  const auto delay = std::max(live::clock::duration::zero(), *next - live::clock::now());
  std::weak_ptr<live_host> weak = weak_from_this();
  expiry_timer_.expires_after(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(delay) +
      std::chrono::milliseconds(5));
  expiry_timer_.async_wait([weak](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    if (self->state().expire_pending(live::clock::now(), control_request_ttl) > 0) {
      self->changed();
    }
    self->schedule_expiry();
  });
}

void live_host::stop_expiry() { expiry_timer_.cancel(); }

boost::asio::awaitable<void> live_host::wait_terminated(std::chrono::milliseconds limit) {
  auto self = shared_from_this();
  async_event event(executor_);
  observer_subscription subscription(self, event);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!terminated() && std::chrono::steady_clock::now() < deadline) {
    co_await event.wait_until(deadline);
  }
}

}  // namespace rstream::live_io
