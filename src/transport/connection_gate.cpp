// connection_gate and connection_slot (see connection_gate.hpp).
#include "rstream/transport/connection_gate.hpp"

#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>

#include "rstream/transport/connection_limit_settings.hpp"
#include "rstream/transport/deadline.hpp"

namespace rstream::transport {

connection_limits limits_for_descriptors(std::size_t nofile) {
  connection_limits limits;
  const std::size_t reserve = std::max<std::size_t>(32, nofile / 4);
  limits.max_connections = nofile > reserve + 16 ? nofile - reserve : 16;
  limits.max_pending = std::clamp<std::size_t>(limits.max_connections / 2, 8, 256);
  // One address may take at most half: a single attacker cannot fill the pending places.
  limits.max_pending_per_source = std::clamp<std::size_t>(limits.max_pending / 2, 1, 64);
  return limits;
}

std::size_t descriptor_limit() {
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur == RLIM_INFINITY) return std::size_t{1} << 20;
  return static_cast<std::size_t>(std::min<rlim_t>(limit.rlim_cur, rlim_t{1} << 20));
}

connection_limits limits_from(const connection_limit_settings& settings,
                              std::chrono::milliseconds pending_timeout) {
  auto limits = limits_for_descriptors(descriptor_limit());
  if (settings.max_connections) limits.max_connections = settings.max_connections;
  if (settings.max_unauthenticated) limits.max_pending = settings.max_unauthenticated;
  if (settings.max_unauthenticated_per_ip) {
    limits.max_pending_per_source = settings.max_unauthenticated_per_ip;
  }
  limits.pending_timeout = pending_timeout;
  return limits;
}

// ---- slot ----

connection_slot::~connection_slot() { release(); }

connection_slot::connection_slot(connection_slot&& other) noexcept
    : gate_(std::move(other.gate_)),
      source_(std::move(other.source_)),
      pending_(other.pending_),
      deadline_(std::move(other.deadline_)) {
  other.gate_.reset();
  other.pending_ = false;
}

connection_slot& connection_slot::operator=(connection_slot&& other) noexcept {
  if (this != &other) {
    release();
    gate_ = std::move(other.gate_);
    source_ = std::move(other.source_);
    pending_ = other.pending_;
    deadline_ = std::move(other.deadline_);
    other.gate_.reset();
    other.pending_ = false;
  }
  return *this;
}

void connection_slot::release() {
  deadline_.reset();
  if (!gate_) return;
  if (pending_) gate_->give_back_pending(source_);
  pending_ = false;
  --gate_->connections_;
  gate_.reset();
}

void connection_slot::leave_pending() {
  deadline_.reset();
  if (!gate_ || !pending_) return;
  gate_->give_back_pending(source_);
  pending_ = false;
}

bool connection_slot::reenter_pending() {
  if (!gate_ || pending_) return true;
  connection_gate::refusal why = connection_gate::refusal::none;
  if (!gate_->take_pending(source_, why)) return false;
  pending_ = true;
  return true;
}

void connection_slot::arm_deadline(const boost::asio::any_io_executor& executor,
                                   std::chrono::milliseconds limit, int fd) {
  if (!pending_ || limit.count() <= 0) return;
  deadline_ =
      std::make_unique<deadline_guard>(executor, limit, [fd] { ::shutdown(fd, SHUT_RDWR); });
}

// ---- gate ----

connection_slot connection_gate::admit(const std::string& source, refusal& why) {
  why = refusal::none;
  connection_slot slot;
  if (connections_ >= limits_.max_connections) {
    why = refusal::connections;
    return slot;
  }
  if (!take_pending(source, why)) return slot;
  ++connections_;
  slot.gate_ = shared_from_this();
  slot.source_ = source;
  slot.pending_ = true;
  return slot;
}

bool connection_gate::take_pending(const std::string& source, refusal& why) {
  if (pending_ >= limits_.max_pending) {
    why = refusal::pending_total;
    return false;
  }
  auto& from_source = pending_by_source_[source];
  if (from_source >= limits_.max_pending_per_source) {
    why = refusal::pending_source;
    return false;
  }
  ++from_source;
  ++pending_;
  return true;
}

void connection_gate::give_back_pending(const std::string& source) {
  --pending_;
  auto it = pending_by_source_.find(source);
  if (it == pending_by_source_.end()) return;
  if (--it->second == 0) pending_by_source_.erase(it);
}

std::size_t connection_gate::pending_from(const std::string& source) const {
  auto it = pending_by_source_.find(source);
  return it == pending_by_source_.end() ? 0 : it->second;
}

const char* connection_gate::describe(refusal why) {
  switch (why) {
    case refusal::connections:
      return "too many open connections (--max-connections)";
    case refusal::pending_total:
      return "too many unauthenticated connections (--max-unauthenticated)";
    case refusal::pending_source:
      return "too many unauthenticated connections from this address "
             "(--max-unauthenticated-per-ip)";
    case refusal::none:
      break;
  }
  return "admitted";
}

}  // namespace rstream::transport
