// The client side of one WebTTY session (see client_session.hpp).
#include "rstream/client/client_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

namespace asio = boost::asio;

namespace rstream::client {

int local_exit_code(const client_outcome& outcome) {
  switch (outcome.what) {
    case client_outcome::kind::closed:
      return outcome.exit_code;
    case client_outcome::kind::remote_error:
      if (outcome.error_code == "command_not_found") return 127;
      if (outcome.error_code == "not_executable") return 126;
      return 255;
    case client_outcome::kind::connection_failed:
    case client_outcome::kind::detached:
      return 255;
  }
  return 255;
}

client_session::client_session(std::unique_ptr<transport::frame_channel> channel,
                               codec::open_request open, output_sink sink)
    : channel_(std::move(channel)),
      open_(std::move(open)),
      sink_(std::move(sink)),
      queue_ready_(channel_->get_executor()),
      finished_event_(channel_->get_executor()),
      heartbeat_timer_(channel_->get_executor()),
      send_failure_timer_(channel_->get_executor()) {}

void client_session::enqueue(codec::frame_type type, std::vector<std::uint8_t> payload,
                             std::function<void()> done) {
  if (finished_ || send_failed_) {
    if (done) done();
    return;
  }
  queue_.push_back(
      {codec::encode_header(type, payload.size()), std::move(payload), std::move(done)});
  queue_ready_.notify();
}

void client_session::send_stdin(codec::data_frame frame, std::function<void()> done) {
  enqueue(codec::frame_type::data, std::move(frame.payload), std::move(done));
}

void client_session::send_resize(std::uint16_t cols, std::uint16_t rows) {
  enqueue(codec::frame_type::resize, codec::encode_payload(codec::resize{cols, rows}));
}

void client_session::send_signal(int signal) {
  enqueue(codec::frame_type::signal, codec::encode_payload(codec::signal_frame{signal}));
}

void client_session::stop(client_outcome::kind why, const std::string& message) {
  client_outcome outcome;
  outcome.what = why;
  outcome.message = message;
  finish(std::move(outcome));
}

void client_session::finish(client_outcome outcome) {
  if (finished_) return;
  finished_ = true;
  outcome.pid = outcome_.pid;
  outcome.session_id = outcome_.session_id;
  outcome_ = std::move(outcome);
  channel_->close();
  heartbeat_timer_.cancel();
  send_failure_timer_.cancel();
  queue_ready_.notify();
  finished_event_.notify();
}

asio::awaitable<void> client_session::write_loop() {
  writer_running_ = true;
  while (!finished_) {
    while (queue_.empty() && !finished_) co_await queue_ready_.wait();
    if (finished_) break;
    auto item = std::move(queue_.front());
    queue_.pop_front();
    auto ec = co_await channel_->write_frame(item.header, item.payload);
    if (item.done) item.done();
    if (ec && !finished_) {
      send_failed_ = true;
      send_failure_ = "connection lost while sending: " + ec.message();
      break;
    }
  }
  for (auto& item : queue_) {
    if (item.done) item.done();
  }
  queue_.clear();
  if (send_failed_ && !finished_) {
    // The server may have refused us with an Error frame and closed: let the reader deliver
    // it, which says far more than "broken pipe". Bounded, in case nothing else arrives.
    send_failure_timer_.expires_after(std::chrono::seconds(2));
    co_await send_failure_timer_.async_wait(use_nothrow);
    if (!finished_) {
      client_outcome failed;
      failed.message = send_failure_;
      finish(std::move(failed));
    }
  }
  writer_running_ = false;
  finished_event_.notify();
}

asio::awaitable<void> client_session::heartbeat_loop() {
  const auto interval = std::chrono::milliseconds(open_.heartbeat_ms);
  while (!finished_) {
    heartbeat_timer_.expires_after(interval);
    co_await heartbeat_timer_.async_wait(use_nothrow);
    if (finished_) break;
    if (std::chrono::steady_clock::now() - last_heard_ > 3 * interval) {
      client_outcome dead;
      dead.message = "no response from the server for " + std::to_string(3 * interval.count()) +
                     " ms: connection considered dead";
      finish(std::move(dead));
      break;
    }
    enqueue(codec::frame_type::heartbeat, {});
  }
  heartbeat_running_ = false;
  finished_event_.notify();
}

asio::awaitable<client_outcome> client_session::run() {
  auto ex = channel_->get_executor();
  // Open goes first, before anything queued by send_*.
  queue_.push_front({codec::encode_header(codec::frame_type::open, 0), {}, {}});
  queue_.front().payload = codec::encode_payload(open_);
  queue_.front().header =
      codec::encode_header(codec::frame_type::open, queue_.front().payload.size());
  asio::co_spawn(ex, write_loop(), asio::detached);
  last_heard_ = std::chrono::steady_clock::now();
  if (open_.heartbeat_ms > 0) {
    heartbeat_running_ = true;
    asio::co_spawn(ex, heartbeat_loop(), asio::detached);
  }

  bool out_ended = false, err_ended = !open_.allocate_tty ? false : true;
  while (!finished_) {
    auto r = co_await channel_->read_frame();
    if (finished_) break;
    if (r.what != transport::read_result::kind::frame) {
      client_outcome failed;
      failed.message = r.what == transport::read_result::kind::closed
                           ? "connection closed by the server before the command ended"
                           : r.describe();
      finish(std::move(failed));
      break;
    }
    last_heard_ = std::chrono::steady_clock::now();
    auto& f = r.frame;
    if (auto* data = std::get_if<codec::data_frame>(&f)) {
      auto stream = data->stream();
      bool bad = !started_ || stream == codec::stream_id::in ||
                 (stream == codec::stream_id::out ? out_ended : err_ended);
      if (bad) {
        stop(client_outcome::kind::connection_failed,
             "protocol error: unexpected Data frame from the server");
        break;
      }
      if (!data->bytes().empty()) sink_(stream, data->bytes());
      if (data->end_of_stream()) (stream == codec::stream_id::out ? out_ended : err_ended) = true;
    } else if (auto* ack = std::get_if<codec::ack>(&f)) {
      started_ = true;
      outcome_.pid = ack->pid;
      outcome_.session_id = ack->session_id;
    } else if (auto* close = std::get_if<codec::close_frame>(&f)) {
      finish({.what = client_outcome::kind::closed,
              .exit_code = close->exit_code,
              .signal = close->signal});
    } else if (auto* err = std::get_if<codec::error_frame>(&f)) {
      finish({.what = client_outcome::kind::remote_error,
              .error_code = err->code,
              .message = err->message});
    } else if (!std::holds_alternative<codec::heartbeat>(f)) {  // a heartbeat is liveness only
      stop(client_outcome::kind::connection_failed, std::string("protocol error: unexpected ") +
                                                        codec::type_name(codec::type_of(f)) +
                                                        " frame from the server");
    }
  }
  while (writer_running_ || heartbeat_running_) co_await finished_event_.wait();
  co_return outcome_;
}

}  // namespace rstream::client
