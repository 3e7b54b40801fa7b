// managed_session (see managed_session.hpp).
#include "rstream/engine/managed_session.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "rstream/base/log_failure.hpp"
#include "rstream/engine/frame_relay.hpp"
#include "rstream/engine/token_store.hpp"

namespace asio = boost::asio;
using json = nlohmann::json;

namespace rstream::engine {
namespace {

/// What a queued frame counts against the input bound: its payload, or a small fixed cost.
std::size_t queued_bytes(const codec::frame& f) {
  if (const auto* data = std::get_if<codec::data_frame>(&f)) return data->payload.size() + 64;
  return 64;
}

live::session_options options_of(const std::string& id, const managed_session_info& info,
                                 const std::optional<codec::open_request>& open) {
  live::session_options options;
  options.id = id;
  options.name = info.server_name;
  if (open) {
    options.command = open->argv;
    options.working_dir = open->workdir;
    options.cols = open->cols;
    options.rows = open->rows;
    // A terminal session keeps a screen model: a participant that joins sees the screen as it
    // is (live_session_state), whatever the scrollback still holds.
    options.terminal = open->allocate_tty;
  }
  return options;
}

}  // namespace

constexpr const char* unrecorded_message =
    "the engine can no longer record this session, and its server's sessions are recorded: it "
    "was ended";

std::string new_session_id() { return "ses_" + random_hex(10); }

managed_session::managed_session(const asio::any_io_executor& executor, std::string id,
                                 managed_session_info info, std::optional<codec::open_request> open,
                                 managed_session_settings settings)
    : live_host(executor),
      info_(std::move(info)),
      open_(std::move(open)),
      settings_(settings),
      state_(options_of(id, info_, open_), live::clock::now()),
      to_server_(executor, settings.input_queue_bytes),
      kill_timer_(executor),
      origin_done_(executor) {}

bool managed_session::detachable() const {
  return open_ && open_->interactive && open_->allocate_tty && !info_.end_to_end;
}

asio::awaitable<void> managed_session::run(std::shared_ptr<transport::frame_channel> origin,
                                           std::shared_ptr<transport::frame_channel> server,
                                           std::optional<codec::frame> open) {
  auto self = std::static_pointer_cast<managed_session>(shared_from_this());
  if (!open_ || !open) {
    co_await relay_opaque(std::move(origin), std::move(server));
    co_return;
  }
  origin_ = std::move(origin);
  server_ = std::move(server);
  const auto joined =
      state_.attach("", info_.started_by, /*spectator_only=*/false, live::clock::now());
  if (joined) {
    origin_participant_ = joined->id;
    set_owner(origin_participant_, info_.started_by_token_id);  // its token acts as it
  }
  to_server_.push(std::move(*open), 64);
  const base::log_failure log_failure{"managed session " + id(), self};
  asio::co_spawn(executor(), write_server(), log_failure);
  asio::co_spawn(executor(), read_server(), log_failure);
  if (detachable()) asio::co_spawn(executor(), watch_detached(), log_failure);
  if (recording_) asio::co_spawn(executor(), record_events(), log_failure);
  changed();
  co_await read_origin();
  while (origin_) co_await origin_done_.wait();
}

asio::awaitable<void> managed_session::relay_opaque(
    std::shared_ptr<transport::frame_channel> origin,
    std::shared_ptr<transport::frame_channel> server) {
  // The engine cannot read an end-to-end session: relay it as it is; it is listed meanwhile.
  (void)state_.attach("", info_.started_by, /*spectator_only=*/false, live::clock::now());
  (void)state_.set_running(0, live::clock::now());
  origin_ = origin;
  server_ = server;  // kill() closes it
  changed();
  // Recorded as it passes: the sealed frames (ciphertext), the relay held while the recorder is
  // behind, and ended if the recording breaks.
  sealed_tap tap;
  if (recording_) {
    std::shared_ptr<session_recording> recording = recording_;
    tap.record = [recording](bool to_server, std::span<const std::uint8_t> sealed) {
      const std::string_view bytes(reinterpret_cast<const char*>(sealed.data()), sealed.size());
      if (to_server) {
        recording->input(bytes);
      } else {
        recording->output(api::recording_stream::standard_output, bytes);
      }
    };
    tap.wait_for_space = [recording] { return recording->wait_for_space(); };
    tap.failure_code = "recording_failed";
    tap.failure_message = unrecorded_message;
  }
  const std::string what = "managed session " + id();
  co_await relay_frames_tapped(origin, server, what, std::chrono::milliseconds(5000),
                               std::move(tap));
  origin_.reset();
  // Its exit code was sealed: the engine never saw it.
  finish(-1, 0, "its client and server are done");
}

asio::awaitable<bool> managed_session::to_server(codec::frame frame) {
  const std::size_t bytes = queued_bytes(frame);
  co_return co_await to_server_.async_push(std::move(frame), bytes);
}

asio::awaitable<void> managed_session::write_server() {
  auto self = shared_from_this();
  while (auto entry = co_await to_server_.pop()) {
    const auto ec = co_await server_->write(entry->item);
    to_server_.release(entry->bytes);
    if (ec) {
      spdlog::debug("managed session {}: writing to the server failed: {}", id(), ec.message());
      close_server();
      break;
    }
  }
}

asio::awaitable<void> managed_session::read_origin() {
  // A copy: origin_left() may drop origin_ while this read waits on the channel.
  const std::shared_ptr<transport::frame_channel> origin = origin_;
  while (origin_) {
    auto r = co_await origin->read_frame();
    if (r.what != transport::read_result::kind::frame) {
      origin_left(r.what == transport::read_result::kind::closed ? "left" : "was lost");
      co_return;
    }
    const bool controls = state_.control().is_controller(origin_participant_);
    if (std::holds_alternative<codec::heartbeat>(r.frame)) {
      if (!co_await to_server(std::move(r.frame))) co_return;
      continue;
    }
    if (auto* size = std::get_if<codec::resize>(&r.frame)) {
      if (!state_.resize(origin_participant_, size->cols, size->rows)) continue;
      changed();
    } else if (!controls) {
      continue;  // a spectator's input, signals and resizes do not reach the command
    }
    if (recording_) {
      if (const auto* data = std::get_if<codec::data_frame>(&r.frame)) {
        const auto in = data->bytes();
        if (!in.empty()) recording_->input({reinterpret_cast<const char*>(in.data()), in.size()});
      } else if (const auto* size = std::get_if<codec::resize>(&r.frame)) {
        recording_->resize(size->cols, size->rows);
      }
    }
    if (std::holds_alternative<codec::data_frame>(r.frame) ||
        std::holds_alternative<codec::resize>(r.frame) ||
        std::holds_alternative<codec::signal_frame>(r.frame)) {
      if (!co_await to_server(std::move(r.frame))) co_return;
      continue;
    }
    // Nothing else is the client's to send once the session is open.
    const std::string what = codec::type_name(codec::type_of(r.frame));
    spdlog::info("managed session {}: the client sent {} mid-session", id(), what);
    const codec::frame refusal = codec::error_frame{
        "protocol_error", "a client sends no " + what + " once a session is open"};
    co_await origin->write(refusal);
    origin_left("broke the protocol");
    co_return;
  }
}

asio::awaitable<void> managed_session::read_server() {
  auto self = shared_from_this();
  while (true) {
    auto r = co_await server_->read_frame();
    if (r.what != transport::read_result::kind::frame) {
      const bool orderly = r.what == transport::read_result::kind::closed;
      if (!terminated()) finish(255, 0, orderly ? "the server ended the stream" : r.describe());
      break;
    }
    if (auto* data = std::get_if<codec::data_frame>(&r.frame)) {
      if (!data->bytes().empty()) {
        state_.on_output(data->bytes());
        changed();
        if (recording_) {
          const auto out = data->bytes();
          recording_->output(data->stream() == codec::stream_id::err
                                 ? api::recording_stream::standard_error
                                 : api::recording_stream::standard_output,
                             {reinterpret_cast<const char*>(out.data()), out.size()});
          // Slowed, never unrecorded: wait while the recorder is behind; end when it failed.
          const bool room = co_await recording_->wait_for_space();
          if (!room) {
            const codec::frame error = codec::error_frame{"recording_failed", unrecorded_message};
            if (auto origin = origin_) (void)co_await origin->write(error);
            spdlog::error("managed session {}: {}", id(), unrecorded_message);
            finish(255, 0, "recording failed", "recording_failed");
            break;
          }
        }
      }
    } else if (auto* ack = std::get_if<codec::ack>(&r.frame)) {
      (void)state_.set_running(ack->pid, live::clock::now());
      ack->session_id = id();
      changed();
    } else if (auto* close = std::get_if<codec::close_frame>(&r.frame)) {
      // Passed on first: the origin's client ends with the exit code as soon as it has it.
      if (auto origin = origin_) (void)co_await origin->write(r.frame);
      finish(close->exit_code, close->signal, "the command ended");
      break;
    } else if (auto* error = std::get_if<codec::error_frame>(&r.frame)) {
      if (auto origin = origin_) (void)co_await origin->write(r.frame);
      finish(255, 0, "the server refused it: " + error->message);
      break;
    }
    if (auto origin = origin_) {
      if (auto ec = co_await origin->write(r.frame)) origin_left("was lost");
    }
  }
  close_server();
  if (auto origin = origin_) {
    co_await origin->shutdown();
    origin_left("was sent the end");
  }
}

asio::awaitable<void> managed_session::watch_detached() {
  auto self = shared_from_this();
  async_event wake(executor());
  live_io::observer_subscription subscription(self, wake);
  while (!terminated() && !server_closed_) {
    if (!state_.control().participants().empty()) {
      co_await wake.wait();
      continue;
    }
    const auto deadline = std::chrono::steady_clock::now() + settings_.detached_timeout;
    while (state_.control().participants().empty() && !terminated() && !server_closed_ &&
           std::chrono::steady_clock::now() < deadline) {
      co_await wake.wait_until(deadline);
    }
    if (state_.control().participants().empty() && !terminated() && !server_closed_) {
      spdlog::info(
          "managed session {}: no participant for {} s: ending it", id(),
          std::chrono::duration_cast<std::chrono::seconds>(settings_.detached_timeout).count());
      kill();
    }
  }
}

asio::awaitable<void> managed_session::send_heartbeats(std::chrono::milliseconds interval) {
  auto self = shared_from_this();
  asio::steady_timer timer(executor());
  while (!origin_ && !terminated() && !server_closed_) {
    timer.expires_after(interval);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec || origin_ || terminated() || server_closed_) break;
    if (!co_await to_server(codec::heartbeat{})) break;
  }
}

asio::awaitable<void> managed_session::write_input(std::span<const std::uint8_t> bytes) {
  if (server_closed_ || terminated()) co_return;
  if (recording_) recording_->input({reinterpret_cast<const char*>(bytes.data()), bytes.size()});
  (void)co_await to_server(codec::data_frame(codec::stream_id::in, bytes));
}

void managed_session::apply_size() {
  if (server_closed_ || terminated()) return;
  if (recording_) recording_->resize(state_.cols(), state_.rows());
  to_server_.push(codec::resize{state_.cols(), state_.rows()}, 64);
}

void managed_session::send_signal(int signal) {
  if (server_closed_ || terminated()) return;
  to_server_.push(codec::signal_frame{signal}, 64);
}

void managed_session::kill() {
  if (terminated() || server_closed_) return;
  if (end_to_end()) {
    close_server();  // no signal can be sent into a sealed session: its stream is cut
    return;
  }
  to_server_.push(codec::signal_frame{SIGHUP}, 64);
  std::weak_ptr<live_host> weak = weak_from_this();
  kill_timer_.expires_after(settings_.kill_grace);
  kill_timer_.async_wait([weak](boost::system::error_code ec) {
    auto self = std::static_pointer_cast<managed_session>(weak.lock());
    if (ec || !self || self->terminated()) return;
    self->finish(128 + SIGKILL, SIGKILL, "killed: it did not end after SIGHUP");
  });
}

void managed_session::origin_left(const char* why) {
  if (!origin_) return;
  spdlog::info("managed session {}: its client {}", id(), why);
  origin_->close();
  origin_.reset();
  if (!origin_participant_.empty()) (void)state_.detach(origin_participant_, live::clock::now());
  origin_done_.notify();
  changed();
  if (terminated()) return;
  if (!detachable()) {
    // As without an engine: the command ends when its client goes.
    close_server();
    finish(128 + SIGHUP, SIGHUP, "its client went away");
    return;
  }
  if (open_->heartbeat_ms > 0) {
    asio::co_spawn(
        executor(), send_heartbeats(std::chrono::milliseconds(open_->heartbeat_ms)),
        base::log_failure{"managed session " + id() + ": heartbeats", shared_from_this()});
  }
}

void managed_session::finish(int exit_code, int signal, const std::string& why,
                             const char* recording_end) {
  if (terminated()) return;
  (void)state_.terminate(exit_code, live::clock::now(), signal);
  spdlog::info("managed session {} on '{}' ended: {} (exit code {})", id(), info_.server_name, why,
               exit_code);
  kill_timer_.cancel();
  stop_expiry();
  close_server();
  changed();
  if (recording_) {
    api::recording_close end;
    if (!info_.end_to_end) {
      end.exit_code = exit_code;
      if (signal != 0) end.signal = signal;
    }
    end.reason = recording_end;
    recording_->close(end);
  }
  if (auto callback = std::move(on_terminated_)) callback();
}

asio::awaitable<void> managed_session::record_events() {
  auto self = shared_from_this();
  async_event wake(executor());
  live_io::observer_subscription subscription(self, wake);
  std::uint64_t last = 0;
  while (recording_ && !recording_->closed()) {
    const auto& log = state_.events();
    const auto page = log.since(last, 256);
    for (const auto& e : page.events) {
      last = e.seq;
      const json fields = log.to_json(e);
      switch (e.type) {
        case live::event_type::participant_joined:
          recording_->participant_joined(fields);
          break;
        case live::event_type::participant_left:
          recording_->participant_left(fields);
          break;
        case live::event_type::state_changed:
        case live::event_type::output_skipped:
          break;  // the open and close events say it; a participant's lag is not the session's
        default:
          recording_->control(fields);
      }
    }
    if (terminated()) break;
    if (page.events.empty()) co_await wake.wait();
  }
}

void managed_session::close_server() {
  if (server_closed_) return;
  server_closed_ = true;
  to_server_.close();
  if (server_) server_->close();
}

json managed_session::to_json() const {
  json out = state_.to_json();
  out["server_id"] = info_.server_id;
  out["server"] = info_.server_name;
  out["started_by"] = info_.started_by;
  out["origin"] = info_.origin;
  out["group"] = info_.group.empty() ? json(nullptr) : json(info_.group);
  out["end_to_end"] = info_.end_to_end;
  out["started_at"] = info_.started_at;
  out["mode"] = detachable() ? "interactive" : "command";
  out["status"] = terminated() ? "terminated" : "active";
  out["client_attached"] = origin_ != nullptr;
  // The recording policy it is recorded under (recorded | private), or null: none.
  out["recording"] = recording_ ? json(api::name_of(recording_->policy())) : json(nullptr);
  if (info_.end_to_end && terminated()) out["exit_code"] = nullptr;  // sealed: never seen
  return out;
}

}  // namespace rstream::engine
