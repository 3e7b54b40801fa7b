// The inside of session_recorder (session_recorder.hpp): the queue the io thread fills and the
// writer thread empties, the writer's own state (each recording's chain), and the signals the
// writer posts back to the io thread.
//
// Thread-safety: recorder_core's queue, counters and health are guarded by its mutex; `store`,
// `sessions` and `pending_ends` belong to the writer thread (and to the io thread before the
// writer starts); recorder_signals and begin_wait's fields are touched on the io thread only
// (the writer posts there).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include "rstream/common/async_event.hpp"
#include "rstream/engine/session_recorder.hpp"

namespace rstream::engine::detail {

/// The io side: waiters for space, for begins, and the health callback.
struct recorder_signals {
  explicit recorder_signals(const boost::asio::any_io_executor& io) : changed(io) {}
  /// Notified after every batch, every begin's answer, every failure and at the stop.
  async_event changed;
  std::function<void(bool healthy, const std::string& message)> on_health;
};

/// The answer to one begin, filled on the io thread by the writer's post.
struct begin_wait {
  bool done = false;
  bool ok = false;
  std::string message;
  std::uint64_t failure_epoch = 0;  ///< the recorder's failure count when it committed
};

struct queued_begin {
  api::recording_summary summary;
  std::shared_ptr<begin_wait> wait;  ///< handed back to the io thread by the answer's post
};
struct queued_event {
  api::recording_event event;  ///< seq and hash set by the writer
};
struct queued_end {
  std::string ended_at;
  api::recording_event close;  ///< the close event (payload: recording_close)
  api::recording_close fields;
};

struct queued_item {
  std::uint64_t number = 0;  ///< the recording (session_recording::number_)
  std::variant<queued_begin, queued_event, queued_end> what;
  std::size_t cost = 0;
};

/// What the writer knows of a recording it is writing.
struct writer_session {
  std::string session_id;
  api::recording_chain chain;
  bool broken = false;  ///< a write failed since it began: its events are dropped
};

struct recorder_core {
  recorder_core(boost::asio::any_io_executor io, std::unique_ptr<store::engine_store> connection,
                recorder_settings settings);

  // ---- any thread ----
  /// Queues an item; false (dropped) once the writer stopped.
  bool push(queued_item item);
  std::size_t queued_bytes() const;
  bool healthy() const;
  std::string failure() const;
  std::uint64_t failure_epoch() const;
  recorder_stats stats() const;
  bool stopped() const;

  // ---- io thread ----
  std::uint64_t next_number() { return ++numbers_; }
  /// Asks the writer to write what is queued, close running recordings and return.
  void stop();
  /// After the writer returned: nothing more is queued.
  void mark_stopped();

  // ---- writer thread (recording_writer.cpp) ----
  void run();
  /// Deletes what the retention rule chooses (also called by start(), before the writer runs).
  void enforce_retention();

  const boost::asio::any_io_executor io;
  const recorder_settings settings;
  std::weak_ptr<recorder_signals> signals;
  std::unique_ptr<store::engine_store> store;

 private:
  /// Writes a batch in order: events gathered into one transaction, begins and ends between.
  void write(std::vector<queued_item>& batch);
  void write_begin(std::uint64_t number, queued_begin& begin);
  /// Hands a begin's answer (refused when `refusal` is not empty) back to the io thread.
  void post_answer(queued_begin& begin, const std::string& refusal);
  /// Adds the close event to `appends` when the recording is whole; the caller then ends it.
  void write_end(std::uint64_t number, queued_end& end);
  bool flush(std::vector<store::recording_append>& appends);
  void end_or_keep(const std::string& session_id, const store::recording_end& end);
  void retry_pending_ends();
  void close_running(const char* reason);
  /// A write failed: every recording so far is broken; the io thread hears it.
  void fail(const std::string& message);
  void succeeded();
  void release(std::size_t cost);
  void post_to_io(std::function<void(recorder_signals&)> work) const;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<queued_item> queue_;
  std::size_t bytes_ = 0;
  bool stopping_ = false;
  bool stopped_ = false;
  bool healthy_ = true;
  std::string failure_;
  std::uint64_t failure_epoch_ = 0;
  recorder_stats stats_;
  std::uint64_t numbers_ = 0;  ///< io thread

  // writer thread
  std::map<std::uint64_t, writer_session> sessions_;
  std::vector<std::pair<std::string, store::recording_end>> pending_ends_;
};

}  // namespace rstream::engine::detail
