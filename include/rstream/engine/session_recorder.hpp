// session_recorder: writes the recordings of managed sessions (api/recording_event.hpp) into the
// engine's store without ever blocking the engine's io_context thread.
//
// The engine hands each session's events to its session_recording (one per recorded session)
// on the io thread; they go into one queue, bounded in bytes across all sessions, that a writer
// thread empties into the store through a connection of its own (engine_store::open_companion:
// same file, WAL, busy timeout): it numbers and hashes each session's events (the chain), and
// writes whatever is queued as one transaction per batch (at most max_batch_bytes). A recorded
// session is slowed, never left unrecorded: every event is taken, and a producer that finds the
// queue over its bound waits (co_await wait_for_space()) before it reads more from the server.
//
// When a write fails (disk full, a damaged file), the recorder is unhealthy: on_health_change is
// called on the io thread with the store's message, every recording begun before is broken
// (its wait_for_space() answers false; the engine ends those sessions with failure()), their
// further events are dropped, and their recordings are ended with reason "recording_failed" as
// soon as the store takes writes again. A new recording is begun only once its summary and
// open event are committed, and only while the store has min_free_bytes of room, so a full disk
// or a store that cannot write refuses new recorded sessions with a message that says why; the
// first begin that commits makes the recorder healthy again.
//
// Retention: at start and every retention_interval the recorder deletes ended recordings by
// engine/recording_retention.hpp's rule. On start, recordings a previous engine left running
// are ended ("interrupted"); on destruction, queued events are written and recordings still
// running are closed ("engine_stopped").
//
// Private recordings (policy private) keep their summary and the non-data events only: output
// and input handed to them are dropped here, before anything is queued.
//
// Thread-safety: construct, call and destroy on the io_context's thread (the writer thread is
// internal). session_recording too.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>

#include "rstream/api/recording_event.hpp"
#include "rstream/engine/recording_retention.hpp"
#include "rstream/store/engine_store.hpp"

namespace rstream::engine {

struct recorder_settings {
  /// Events waiting for the writer and being written, all sessions together (each counted
  /// with its payload plus event_overhead).
  std::size_t max_queue_bytes = 8 * 1024 * 1024;
  /// Events the writer commits in one transaction (at least one).
  std::size_t max_batch_bytes = 1024 * 1024;
  /// A recording begins only while the store has this much room (engine_store::room): a
  /// nearly full disk refuses new recorded sessions before they fail halfway.
  std::uint64_t min_free_bytes = 64 * 1024 * 1024;
  retention_limits retention;
  std::chrono::milliseconds retention_interval{std::chrono::minutes(1)};

  /// What a queued event costs besides its payload.
  static constexpr std::size_t event_overhead = 256;
};

/// What the engine knows when a recorded session opens.
struct recording_start {
  std::string session_id;  ///< ses_...
  api::recording_policy policy = api::recording_policy::recorded;
  api::recording_open open;  ///< started_at and timestamp are set by begin()
};

/// Counters for tests, logs and measurements.
struct recorder_stats {
  std::uint64_t events = 0;        ///< events committed
  std::uint64_t bytes = 0;         ///< their payload bytes
  std::uint64_t transactions = 0;  ///< batches committed (begins and ends included)
  std::uint64_t failures = 0;      ///< writes that failed
  std::uint64_t deleted = 0;       ///< recordings deleted by retention
};

namespace detail {
struct recorder_core;
struct recorder_signals;
}  // namespace detail

class session_recorder;

/// One session's recording, held by the engine's managed session.
class session_recording {
 public:
  ~session_recording();  ///< close()s with reason "session_ended" when it was not closed
  session_recording(const session_recording&) = delete;
  session_recording& operator=(const session_recording&) = delete;

  const std::string& session_id() const { return session_id_; }
  api::recording_policy policy() const { return policy_; }

  /// Bytes the server sent (stream stdout or stderr; an E2E session's sealed frames: stdout).
  void output(api::recording_stream stream, std::string_view bytes);
  /// Bytes sent to the server (an E2E session's sealed frames too).
  void input(std::string_view bytes);
  void resize(std::uint16_t cols, std::uint16_t rows);
  /// Participant and control events: `fields` is a JSON object (the live session's event).
  void participant_joined(const nlohmann::json& fields);
  void participant_left(const nlohmann::json& fields);
  void control(const nlohmann::json& fields);
  /// The last event: how the session ended. Later calls do nothing.
  void close(const api::recording_close& close);
  bool closed() const { return closed_; }

  /// Suspends while the recorder's queue is over its bound. False when this recording is
  /// broken (a write failed since it began) or the recorder stopped: end the session.
  boost::asio::awaitable<bool> wait_for_space();
  /// A write failed since this recording began: its session must end.
  bool broken() const;

 private:
  friend class session_recorder;
  session_recording(std::shared_ptr<detail::recorder_core> core,
                    std::shared_ptr<detail::recorder_signals> signals, std::uint64_t number,
                    std::string session_id, api::recording_policy policy,
                    std::uint64_t failure_epoch, std::chrono::steady_clock::time_point started);
  void push(api::recording_kind kind, api::recording_stream stream, std::string payload);
  /// Microseconds since begin() was called (the events' monotonic time).
  std::int64_t since_start() const;

  std::shared_ptr<detail::recorder_core> core_;
  std::shared_ptr<detail::recorder_signals> signals_;
  std::uint64_t number_;
  std::string session_id_;
  api::recording_policy policy_;
  std::uint64_t failure_epoch_;
  std::chrono::steady_clock::time_point started_;
  bool closed_ = false;
};

class session_recorder {
 public:
  /// `connection`: the recorder's own connection to the engine's store (open_companion).
  session_recorder(boost::asio::any_io_executor io, std::unique_ptr<store::engine_store> connection,
                   recorder_settings settings);
  ~session_recorder();
  session_recorder(const session_recorder&) = delete;
  session_recorder& operator=(const session_recorder&) = delete;

  /// Ends the recordings a previous engine left running ("interrupted"; a store that cannot
  /// write is logged, and the next begin tries again) and starts the writer thread.
  void start();

  struct begun {
    std::shared_ptr<session_recording> recording;  ///< null when refused
    std::string refusal;                           ///< why, for the user (the store's words)
  };
  /// Begins a session's recording: its summary and open event are committed before this
  /// returns. Refused when they cannot be (the session must not run unrecorded).
  boost::asio::awaitable<begun> begin(recording_start start);

  /// False after a write failed, until a later begin commits.
  bool healthy() const;
  /// Why the last write failed (empty when healthy), for users.
  std::string failure() const;
  /// Called on the io thread after a write failed (false, message) and when writes work again
  /// (true, ""). One callback; a later call replaces it.
  void on_health_change(std::function<void(bool healthy, const std::string& message)> callback);

  /// Suspends while the queue is over its bound; false once the recorder failed or stopped.
  boost::asio::awaitable<bool> wait_for_space();
  /// Suspends until everything queued so far is written (or failed).
  boost::asio::awaitable<void> wait_until_written();
  /// Suspends until the writer next reports: a batch written, a begin answered, a failure, a
  /// retention pass that deleted recordings, or the stop.
  boost::asio::awaitable<void> wait_for_change();
  /// Bytes queued or being written.
  std::size_t queued_bytes() const;
  recorder_stats stats() const;

 private:
  std::shared_ptr<detail::recorder_core> core_;
  std::shared_ptr<detail::recorder_signals> signals_;
  std::thread writer_;
};

}  // namespace rstream::engine
