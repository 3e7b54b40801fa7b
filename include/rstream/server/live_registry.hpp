// live_registry: the server's live sessions (daemon mode): creates them with fresh ids, finds
// them by id or name, lists them, removes terminated ones (cleanup, expiry; DELETE only ends a
// session, which stays listed as terminated) and hangs them all up when the server shuts down.
// Limits: how many sessions run at once, each one's scrollback, and how many terminated
// sessions are kept (each holds its scrollback) and for how long: the oldest terminated ones go
// first, and each goes `terminated_retention` after its end.
// Thread-safety: one single-threaded io_context; everything on its thread. Create it with
// std::make_shared (its timers hold weak references to it).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rstream/server/live_terminal.hpp"

namespace rstream::server {

struct live_registry_config {
  std::size_t max_sessions = 64;  ///< starting or running at once
  std::size_t scrollback_bytes = live::default_scrollback_bytes;
  std::chrono::milliseconds kill_grace{2000};  ///< SIGHUP → SIGKILL when a session is killed
  /// Terminated sessions kept for `sessions list`/`join` (oldest removed first beyond it).
  std::size_t max_terminated = 32;
  /// A terminated session is removed this long after its end.
  std::chrono::milliseconds terminated_retention{std::chrono::minutes(10)};
};

class live_registry : public std::enable_shared_from_this<live_registry> {
 public:
  live_registry(boost::asio::any_io_executor executor, live_registry_config config);

  /// Starts a session; the request's id is assigned here, its scrollback size from the config.
  /// Null with `failure` (409 name_taken, 429 too_many_sessions, or the start failure).
  std::shared_ptr<live_terminal> create(live_start_request request, live_start_failure& failure);
  /// By id, else by name (a session that is not terminated first, then the newest).
  std::shared_ptr<live_terminal> find(const std::string& id_or_name) const;
  /// Oldest first.
  const std::vector<std::shared_ptr<live_terminal>>& sessions() const { return sessions_; }
  /// Forgets a session (it must have terminated or be about to) and wakes its observers.
  void remove(const std::shared_ptr<live_terminal>& terminal);
  /// Removes every terminated session; returns their ids.
  std::vector<std::string> cleanup();
  /// Server shutdown: ends every session's process group, waits for them to end (SIGKILL
  /// after the grace period), then removes them all so that participants and event streams
  /// finish.
  boost::asio::awaitable<void> shut_down();
  const live_registry_config& config() const { return config_; }

 private:
  /// Removes terminated sessions past the count or the retention time; re-arms the timer for
  /// the next one to expire.
  void prune_terminated();

  boost::asio::any_io_executor executor_;
  live_registry_config config_;
  std::vector<std::shared_ptr<live_terminal>> sessions_;
  boost::asio::steady_timer expiry_timer_;
  bool shutting_down_ = false;
};

}  // namespace rstream::server
