// The recorder's writer thread (recorder_core.hpp): takes what the io thread queued, seals each
// recording's events into its chain, commits them in batches, ends recordings, enforces the
// retention, and posts what happened back to the io thread.
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "recorder_core.hpp"
#include "rstream/base/quantity_text.hpp"
#include "rstream/base/utc_time.hpp"

namespace rstream::engine::detail {

recorder_core::recorder_core(boost::asio::any_io_executor io_executor,
                             std::unique_ptr<store::engine_store> connection,
                             recorder_settings recorder)
    : io(std::move(io_executor)), settings(recorder), store(std::move(connection)) {}

bool recorder_core::push(queued_item item) {
  bool was_empty = false;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return false;
    was_empty = queue_.empty();
    bytes_ += item.cost;
    queue_.push_back(std::move(item));
  }
  // The writer sleeps only on an empty queue: one wake-up per batch, not one per event.
  if (was_empty) wake_.notify_one();
  return true;
}

std::size_t recorder_core::queued_bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

bool recorder_core::healthy() const {
  std::lock_guard lock(mutex_);
  return healthy_;
}

std::string recorder_core::failure() const {
  std::lock_guard lock(mutex_);
  return failure_;
}

std::uint64_t recorder_core::failure_epoch() const {
  std::lock_guard lock(mutex_);
  return failure_epoch_;
}

recorder_stats recorder_core::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

bool recorder_core::stopped() const {
  std::lock_guard lock(mutex_);
  return stopped_;
}

void recorder_core::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
}

void recorder_core::mark_stopped() {
  std::lock_guard lock(mutex_);
  stopped_ = true;
}

void recorder_core::post_to_io(std::function<void(recorder_signals&)> work) const {
  boost::asio::post(io, [weak = signals, work = std::move(work)] {
    if (auto live = weak.lock()) work(*live);
  });
}

void recorder_core::release(std::size_t cost) {
  {
    std::lock_guard lock(mutex_);
    bytes_ -= cost;
  }
  post_to_io([](recorder_signals& s) { s.changed.notify(); });
}

void recorder_core::fail(const std::string& message) {
  {
    std::lock_guard lock(mutex_);
    healthy_ = false;
    failure_ = "recordings cannot be written to " + store->location() + ": " + message;
    ++failure_epoch_;
    ++stats_.failures;
  }
  for (auto& [number, session] : sessions_) session.broken = true;
  spdlog::error("{}; recorded sessions end and new ones are refused until a write succeeds",
                failure());
  post_to_io([text = failure()](recorder_signals& s) {
    if (s.on_health) s.on_health(false, text);
    s.changed.notify();
  });
}

void recorder_core::succeeded() {
  bool recovered = false;
  {
    std::lock_guard lock(mutex_);
    recovered = !healthy_;
    healthy_ = true;
    failure_.clear();
  }
  if (!recovered) return;
  spdlog::info("recordings are written again to {}", store->location());
  post_to_io([](recorder_signals& s) {
    if (s.on_health) s.on_health(true, "");
  });
}

bool recorder_core::flush(std::vector<store::recording_append>& appends) {
  if (appends.empty()) return true;
  auto written = store->append_recording_events(appends);
  if (!written) {
    appends.clear();
    fail(written.error().message);
    return false;
  }
  std::uint64_t events = 0, bytes = 0;
  for (const auto& append : appends) {
    events += append.events.size();
    for (const auto& e : append.events) bytes += e.payload.size();
  }
  appends.clear();
  {
    std::lock_guard lock(mutex_);
    stats_.events += events;
    stats_.bytes += bytes;
    ++stats_.transactions;
  }
  succeeded();
  return true;
}

void recorder_core::write_begin(std::uint64_t number, queued_begin& begin) {
  const std::string& id = begin.summary.session_id;
  writer_session session{id, api::recording_chain(id)};
  api::recording_event open;
  open.kind = api::recording_kind::open;
  open.payload = api::open_payload(begin.summary.open);
  session.chain.seal(open);
  std::vector<store::recording_append> appends{{id, {std::move(open)}}};
  std::string refusal;
  const auto room = store->room();
  if (room && *room < settings.min_free_bytes) {
    refusal = "recordings cannot be written: the disk holding " + store->location() + " has " +
              base::format_size(static_cast<double>(*room)) + " free, recorded sessions need " +
              base::format_size(static_cast<double>(settings.min_free_bytes)) +
              " (free some space, or lower --recording-retention / --recording-max-bytes)";
    post_answer(begin, refusal);
    return;
  }
  auto begun = store->begin_recording(begin.summary);
  if (!begun && begun.code() == store::error::errc::name_taken) {
    refusal = begun.error().message;  // a session id used twice: the engine's mistake
  } else if (!begun) {
    fail(begun.error().message);
    refusal = failure();
  } else if (!flush(appends)) {
    refusal = failure();
    pending_ends_.push_back({id,
                             {base::utc_iso8601(std::chrono::system_clock::now(), true),
                              {std::nullopt, std::nullopt, "recording_failed"}}});
  } else {
    sessions_.emplace(number, std::move(session));
  }
  if (refusal.empty()) retry_pending_ends();
  post_answer(begin, refusal);
}

void recorder_core::post_answer(queued_begin& begin, const std::string& refusal) {
  const std::uint64_t epoch = failure_epoch();
  post_to_io([wait = std::move(begin.wait), refusal, epoch](recorder_signals& s) {
    wait->done = true;
    wait->ok = refusal.empty();
    wait->message = refusal;
    wait->failure_epoch = epoch;
    s.changed.notify();
  });
}

void recorder_core::end_or_keep(const std::string& session_id, const store::recording_end& end) {
  auto ended = store->end_recording(session_id, end);
  if (ended) {
    std::lock_guard lock(mutex_);
    ++stats_.transactions;
  } else if (ended.code() != store::error::errc::not_found) {
    pending_ends_.push_back({session_id, end});
    fail(ended.error().message);
  }
}

void recorder_core::write(std::vector<queued_item>& batch) {
  std::vector<store::recording_append> appends;
  std::map<std::uint64_t, std::size_t> slot;  ///< recording → its place in appends
  auto add = [&](std::uint64_t number, writer_session& session, api::recording_event event) {
    session.chain.seal(event);
    auto [at, fresh] = slot.try_emplace(number, appends.size());
    if (fresh) appends.push_back({session.session_id, {}});
    appends[at->second].events.push_back(std::move(event));
  };
  for (auto& item : batch) {
    if (auto* begin = std::get_if<queued_begin>(&item.what)) {
      flush(appends);
      slot.clear();
      write_begin(item.number, *begin);
      continue;
    }
    auto found = sessions_.find(item.number);
    if (found == sessions_.end()) continue;  // its begin was refused
    writer_session& session = found->second;
    if (auto* event = std::get_if<queued_event>(&item.what)) {
      if (!session.broken) add(item.number, session, std::move(event->event));
      continue;
    }
    auto& end = std::get<queued_end>(item.what);
    store::recording_end ending{end.ended_at, end.fields};
    if (!session.broken) add(item.number, session, std::move(end.close));
    flush(appends);
    slot.clear();
    if (session.broken) ending.close.reason = "recording_failed";
    end_or_keep(session.session_id, ending);
    sessions_.erase(found);
  }
  flush(appends);
}

void recorder_core::retry_pending_ends() {
  auto pending = std::move(pending_ends_);
  pending_ends_.clear();
  for (const auto& [session_id, end] : pending) {
    auto ended = store->end_recording(session_id, end);
    if (!ended && ended.code() != store::error::errc::not_found) {
      pending_ends_.push_back({session_id, end});
    }
  }
}

void recorder_core::enforce_retention() {
  if (settings.retention.max_age.count() == 0 && settings.retention.max_bytes == 0) return;
  auto recordings = store->list_recordings();
  if (!recordings) {
    spdlog::warn("retention: cannot list the recordings: {}", recordings.error().message);
    return;
  }
  const auto victims =
      retention_victims(*recordings, settings.retention, std::chrono::system_clock::now());
  for (const auto& id : victims) {
    auto deleted = store->delete_recording(id);
    if (!deleted) {
      spdlog::warn("retention: cannot delete the recording of {}: {}", id, deleted.error().message);
      break;
    }
    spdlog::info("retention: deleted the recording of {}", id);
    std::lock_guard lock(mutex_);
    ++stats_.deleted;
  }
  if (!victims.empty()) post_to_io([](recorder_signals& s) { s.changed.notify(); });
}

void recorder_core::close_running(const char* reason) {
  const std::string now = base::utc_iso8601(std::chrono::system_clock::now(), true);
  for (auto& [number, session] : sessions_) {
    api::recording_close close{std::nullopt, std::nullopt, reason};
    if (!session.broken) {
      api::recording_event event;
      event.kind = api::recording_kind::close;
      event.payload = api::close_payload(close);
      session.chain.seal(event);
      std::vector<store::recording_append> appends{{session.session_id, {std::move(event)}}};
      flush(appends);
    } else {
      close.reason = "recording_failed";
    }
    end_or_keep(session.session_id, {now, close});
  }
  sessions_.clear();
  retry_pending_ends();
}

void recorder_core::run() {
  using clock = std::chrono::steady_clock;
  auto next_retention = clock::now() + settings.retention_interval;
  for (;;) {
    std::vector<queued_item> batch;
    std::size_t cost = 0;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_until(lock, next_retention, [this] { return stopping_ || !queue_.empty(); });
      while (!queue_.empty() &&
             (batch.empty() || cost + queue_.front().cost <= settings.max_batch_bytes)) {
        cost += queue_.front().cost;
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      if (batch.empty() && stopping_) break;
    }
    if (!batch.empty()) {
      write(batch);
      batch.clear();
      release(cost);
    }
    if (clock::now() >= next_retention) {
      retry_pending_ends();
      enforce_retention();
      next_retention = clock::now() + settings.retention_interval;
    }
  }
  close_running("engine_stopped");
}

}  // namespace rstream::engine::detail
