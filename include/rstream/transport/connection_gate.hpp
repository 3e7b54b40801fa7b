// connection_gate: admission control for the connections a listener accepts (webtty server and
// engine). It counts every accepted connection that is still open (at most max_connections,
// which the listener derives from RLIMIT_NOFILE so that the process never runs out of
// descriptors), and among them the ones that have not authenticated yet ("pending": handshaking,
// waiting for their first frame, Open or request head), at most max_pending in total and
// max_pending_per_source from one IP address. Over a limit a new connection is refused at once
// (the listener closes it), never queued: a flood of idle or slow connections cannot lock out a
// client that authenticates, nor stall the accept loop.
//
// A connection_slot is the RAII ticket of one connection: it travels with the socket (into the
// frame channel, the WebSocket, the relay) and gives its counts back when destroyed. Pending
// slots can carry a deadline that shuts the connection down if it has not authenticated in time.
//
// Thread-safety: one single-threaded io_context; the gate and its slots on its thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <unordered_map>

#include <boost/asio/any_io_executor.hpp>

#include "rstream/transport/deadline.hpp"

namespace rstream::transport {

struct connection_limits {
  std::size_t max_connections = 1024;       ///< accepted connections open at once
  std::size_t max_pending = 256;            ///< not yet authenticated, in total
  std::size_t max_pending_per_source = 64;  ///< not yet authenticated, from one IP address
  /// A connection must authenticate within this after it is accepted (0: no overall limit).
  std::chrono::milliseconds pending_timeout{0};
};

/// Defaults for a process whose descriptor limit is `nofile` (RLIMIT_NOFILE's soft limit):
/// a reserve of max(32, nofile / 4) descriptors stays free for PTYs, pipes, pidfds and files;
/// connections get the rest (at least 16); pending ones at most half of that (and 256), from
/// one source address at most half of those (and 64).
connection_limits limits_for_descriptors(std::size_t nofile);
/// The soft RLIMIT_NOFILE of this process (1024 when unknown, capped at 1 << 20).
std::size_t descriptor_limit();

class connection_gate;

class connection_slot {
 public:
  connection_slot() = default;
  ~connection_slot();
  connection_slot(connection_slot&& other) noexcept;
  connection_slot& operator=(connection_slot&& other) noexcept;
  connection_slot(const connection_slot&) = delete;
  connection_slot& operator=(const connection_slot&) = delete;

  /// True when this slot counts a connection (false for a default-constructed or moved-from one).
  bool counted() const { return gate_ != nullptr; }
  /// Not yet authenticated.
  bool pending() const { return pending_; }
  /// The connection authenticated (or is being closed after a refusal): it leaves the pending
  /// counts (and its deadline); it still counts as open.
  void leave_pending();
  /// The connection waits for another unauthenticated exchange (an HTTP keep-alive request,
  /// a WebSocket that must still send its Open): back into the pending counts. False when the
  /// pending limits are reached (the caller then closes the connection). A slot that counts
  /// nothing (connections that arrived another way) always succeeds.
  bool reenter_pending();
  /// While pending, shuts `fd` down after `limit` (disarmed by leave_pending() or the slot's
  /// end). `fd` must stay the connection's for the slot's lifetime: keep the slot with it.
  void arm_deadline(const boost::asio::any_io_executor& executor, std::chrono::milliseconds limit,
                    int fd);

 private:
  friend class connection_gate;
  void release();

  std::shared_ptr<connection_gate> gate_;
  std::string source_;
  bool pending_ = false;
  std::unique_ptr<deadline_guard> deadline_;
};

class connection_gate : public std::enable_shared_from_this<connection_gate> {
 public:
  enum class refusal { none, connections, pending_total, pending_source };

  explicit connection_gate(connection_limits limits) : limits_(limits) {}

  /// A pending slot for a new connection from `source` (an IP address as text), or an empty
  /// slot with `why` set when a limit is reached.
  connection_slot admit(const std::string& source, refusal& why);

  const connection_limits& limits() const { return limits_; }
  std::size_t connections() const { return connections_; }
  std::size_t pending() const { return pending_; }
  std::size_t pending_from(const std::string& source) const;

  /// For logs: "too many connections (--max-connections 192)" and the like.
  static const char* describe(refusal why);

 private:
  friend class connection_slot;
  bool take_pending(const std::string& source, refusal& why);
  void give_back_pending(const std::string& source);

  connection_limits limits_;
  std::size_t connections_ = 0;
  std::size_t pending_ = 0;
  std::unordered_map<std::string, std::size_t> pending_by_source_;
};

}  // namespace rstream::transport
