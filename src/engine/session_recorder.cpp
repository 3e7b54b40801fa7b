// session_recorder and session_recording, the io thread's side (see session_recorder.hpp); the
// writer thread is recording_writer.cpp.
#include "rstream/engine/session_recorder.hpp"

#include <spdlog/spdlog.h>

#include "recorder_core.hpp"
#include "rstream/base/utc_time.hpp"

namespace asio = boost::asio;

namespace rstream::engine {

// ---------------------------------------------------------------------------------------------
// session_recording

session_recording::session_recording(std::shared_ptr<detail::recorder_core> core,
                                     std::shared_ptr<detail::recorder_signals> signals,
                                     std::uint64_t number, std::string session_id,
                                     api::recording_policy policy, std::uint64_t failure_epoch,
                                     std::chrono::steady_clock::time_point started)
    : core_(std::move(core)),
      signals_(std::move(signals)),
      number_(number),
      session_id_(std::move(session_id)),
      policy_(policy),
      failure_epoch_(failure_epoch),
      started_(started) {}

session_recording::~session_recording() {
  if (!closed_) close({std::nullopt, std::nullopt, "session_ended"});
}

std::int64_t session_recording::since_start() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                               started_)
      .count();
}

bool session_recording::broken() const { return core_->failure_epoch() > failure_epoch_; }

void session_recording::push(api::recording_kind kind, api::recording_stream stream,
                             std::string payload) {
  if (closed_ || broken()) return;
  if (policy_ == api::recording_policy::private_metadata && api::carries_data(kind)) return;
  detail::queued_event queued;
  queued.event.kind = kind;
  queued.event.stream = stream;
  queued.event.time_us = since_start();
  queued.event.payload = std::move(payload);
  const std::size_t cost = queued.event.payload.size() + recorder_settings::event_overhead;
  core_->push({number_, std::move(queued), cost});
}

void session_recording::output(api::recording_stream stream, std::string_view bytes) {
  push(api::recording_kind::output, stream, std::string(bytes));
}

void session_recording::input(std::string_view bytes) {
  push(api::recording_kind::input, api::recording_stream::standard_input, std::string(bytes));
}

void session_recording::resize(std::uint16_t cols, std::uint16_t rows) {
  push(api::recording_kind::resize, api::recording_stream::none, api::resize_payload(cols, rows));
}

void session_recording::participant_joined(const nlohmann::json& fields) {
  push(api::recording_kind::participant_joined, api::recording_stream::none,
       api::fields_payload(fields));
}

void session_recording::participant_left(const nlohmann::json& fields) {
  push(api::recording_kind::participant_left, api::recording_stream::none,
       api::fields_payload(fields));
}

void session_recording::control(const nlohmann::json& fields) {
  push(api::recording_kind::control, api::recording_stream::none, api::fields_payload(fields));
}

void session_recording::close(const api::recording_close& close) {
  if (closed_) return;
  closed_ = true;
  detail::queued_end end;
  end.ended_at = base::utc_iso8601(std::chrono::system_clock::now(), true);
  end.fields = close;
  end.close.kind = api::recording_kind::close;
  end.close.time_us = since_start();
  end.close.payload = api::close_payload(close);
  const std::size_t cost = end.close.payload.size() + recorder_settings::event_overhead;
  core_->push({number_, std::move(end), cost});
}

asio::awaitable<bool> session_recording::wait_for_space() {
  const auto core = core_;  // held by the frame: this recording may go while it waits
  const auto signals = signals_;
  const std::uint64_t epoch = failure_epoch_;
  auto usable = [&core, epoch] { return core->failure_epoch() <= epoch && !core->stopped(); };
  while (usable() && core->queued_bytes() >= core->settings.max_queue_bytes) {
    co_await signals->changed.wait();
  }
  co_return usable();
}

// ---------------------------------------------------------------------------------------------
// session_recorder

session_recorder::session_recorder(asio::any_io_executor io,
                                   std::unique_ptr<store::engine_store> connection,
                                   recorder_settings settings)
    : core_(std::make_shared<detail::recorder_core>(io, std::move(connection), settings)),
      signals_(std::make_shared<detail::recorder_signals>(io)) {
  core_->signals = signals_;
}

session_recorder::~session_recorder() {
  core_->stop();
  if (writer_.joinable()) writer_.join();
  core_->mark_stopped();
  signals_->on_health = nullptr;
  signals_->changed.notify();  // waiters see the stop
}

void session_recorder::start() {
  // Recordings left running by an engine that did not stop cleanly (killed, power loss).
  const store::recording_end interrupted{base::utc_iso8601(std::chrono::system_clock::now(), true),
                                         {std::nullopt, std::nullopt, "interrupted"}};
  auto ended = core_->store->end_unfinished_recordings(interrupted);
  if (!ended) {
    spdlog::warn("recordings left running by the last engine could not be ended: {}",
                 ended.error().message);
  } else if (*ended > 0) {
    spdlog::info("{} recording(s) left running by the last engine ended as interrupted", *ended);
  }
  core_->enforce_retention();
  writer_ = std::thread([core = core_] { core->run(); });
}

asio::awaitable<session_recorder::begun> session_recorder::begin(recording_start start) {
  const auto core = core_;
  const auto signals = signals_;
  const auto started = std::chrono::steady_clock::now();
  const auto now = std::chrono::system_clock::now();
  detail::queued_begin queued;
  queued.summary.session_id = start.session_id;
  queued.summary.policy = start.policy;
  queued.summary.open = std::move(start.open);
  queued.summary.open.started_at = base::utc_iso8601(now, true);
  queued.summary.open.timestamp =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  queued.summary.last_hash = base::hex_of(api::chain_seed(start.session_id));
  auto wait = std::make_shared<detail::begin_wait>();
  queued.wait = wait;
  const std::uint64_t number = core->next_number();
  const std::size_t cost = recorder_settings::event_overhead;
  begun answer;
  if (!core->push({number, std::move(queued), cost})) {
    answer.refusal = "the engine is stopping: recorded sessions cannot start";
    co_return answer;
  }
  while (!wait->done) co_await signals->changed.wait();
  if (!wait->ok) {
    answer.refusal = wait->message;
    co_return answer;
  }
  answer.recording.reset(new session_recording(core, signals, number, start.session_id,
                                               start.policy, wait->failure_epoch, started));
  co_return answer;
}

bool session_recorder::healthy() const { return core_->healthy(); }

std::string session_recorder::failure() const { return core_->failure(); }

void session_recorder::on_health_change(
    std::function<void(bool healthy, const std::string& message)> callback) {
  signals_->on_health = std::move(callback);
}

asio::awaitable<bool> session_recorder::wait_for_space() {
  const auto core = core_;
  const auto signals = signals_;
  while (core->healthy() && !core->stopped() &&
         core->queued_bytes() >= core->settings.max_queue_bytes) {
    co_await signals->changed.wait();
  }
  co_return core->healthy() && !core->stopped();
}

asio::awaitable<void> session_recorder::wait_until_written() {
  const auto core = core_;
  const auto signals = signals_;
  while (core->queued_bytes() > 0 && !core->stopped()) co_await signals->changed.wait();
}

asio::awaitable<void> session_recorder::wait_for_change() {
  const auto signals = signals_;
  co_await signals->changed.wait();
}

std::size_t session_recorder::queued_bytes() const { return core_->queued_bytes(); }

recorder_stats session_recorder::stats() const { return core_->stats(); }

}  // namespace rstream::engine
