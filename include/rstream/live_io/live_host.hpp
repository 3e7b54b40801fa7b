// live_host: what runs one live session, seen from its network participants. The server's own
// terminals (server::live_terminal: a PTY it spawned) and the engine's managed sessions
// (engine::managed_session: a command on a registered server, reached through its tunnel) are
// both hosts; one participant driver (live_participant.hpp) serves either. A host owns the
// sans-I/O live::live_session_state, wakes its observers on every change, and takes the
// controller's input, resizes and signals to wherever the command runs.
//
// Thread-safety: one single-threaded io_context; everything on its thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "rstream/common/async_event.hpp"
#include "rstream/live/live_session_state.hpp"

namespace rstream::live_io {

class live_host : public std::enable_shared_from_this<live_host> {
 public:
  explicit live_host(const boost::asio::any_io_executor& executor);
  virtual ~live_host() = default;
  live_host(const live_host&) = delete;
  live_host& operator=(const live_host&) = delete;

  virtual live::live_session_state& state() = 0;
  virtual const live::live_session_state& state() const = 0;
  const std::string& id() const { return state().id(); }
  bool terminated() const { return state().state() == live::session_state::terminated; }
  /// Removed from its registry: observers finish what they send and go.
  bool removed() const { return removed_; }
  /// Marks it removed and wakes the observers.
  void mark_removed();

  /// Observers: `event` is notified on every change until unsubscribed. One waiter per event.
  /// Prefer observer_subscription, which cannot forget to unsubscribe.
  void subscribe(async_event* event);
  void unsubscribe(async_event* event);
  /// Wakes every observer (after a change made through state()).
  void changed();
  /// Suspends until the session terminated, or for at most `limit` (a DELETE that answers with
  /// the session's last state).
  boost::asio::awaitable<void> wait_terminated(std::chrono::milliseconds limit);

  /// Writes the controller's input to the command, waiting while it does not take it (the
  /// caller's connection is then not read: backpressure). The caller checked authorize_input.
  virtual boost::asio::awaitable<void> write_input(std::span<const std::uint8_t> bytes) = 0;
  /// Applies a size the state accepted (live_session_state::resize) to the command's terminal.
  virtual void apply_size() = 0;
  /// Delivers a signal (the caller checked authorize_signal).
  virtual void send_signal(int signal) = 0;

  /// Which token a participant joined with (its id; "" where one token owns everything), so that
  /// a caller can act as a participant only if it is its own (live_routes.hpp).
  void set_owner(const std::string& participant, std::string owner);
  void forget_owner(const std::string& participant);
  bool owned_by(const std::string& participant, const std::string& owner) const;

  /// Arms the timer that expires pending control requests (after a request was made).
  void schedule_expiry();
  /// How long a pending control request waits for a decision.
  static constexpr std::chrono::seconds control_request_ttl{60};

 protected:
  /// Stops the expiry timer (at the end of the session).
  void stop_expiry();
  const boost::asio::any_io_executor& executor() const { return executor_; }

 private:
  boost::asio::any_io_executor executor_;
  boost::asio::steady_timer expiry_timer_;
  std::vector<async_event*> observers_;
  std::map<std::string, std::string> owners_;
  bool removed_ = false;
};

/// Subscribes an event to a host for its own lifetime (also when a coroutine holding it is
/// destroyed without finishing).
class observer_subscription {
 public:
  observer_subscription(std::shared_ptr<live_host> host, async_event& event)
      : host_(std::move(host)), event_(&event) {
    host_->subscribe(event_);
  }
  ~observer_subscription() { host_->unsubscribe(event_); }
  observer_subscription(const observer_subscription&) = delete;
  observer_subscription& operator=(const observer_subscription&) = delete;

 private:
  std::shared_ptr<live_host> host_;
  async_event* event_;
};

}  // namespace rstream::live_io
