// tunnel_link (see tunnel_link.hpp).
#include "tunnel_link.hpp"
#include "rstream/base/log_failure.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>

namespace asio = boost::asio;

namespace rstream::engine {
namespace {}  // namespace

tunnel_link::tunnel_link(std::shared_ptr<transport::frame_channel> channel, std::string id,
                         std::chrono::milliseconds heartbeat, std::chrono::milliseconds dead_after,
                         gone_handler on_gone)
    : channel_(std::move(channel)),
      id_(std::move(id)),
      heartbeat_(heartbeat),
      dead_after_(dead_after),
      on_gone_(std::move(on_gone)),
      queue_ready_(channel_->get_executor()),
      timer_(channel_->get_executor()),
      last_heard_(std::chrono::steady_clock::now()) {}

void tunnel_link::start(const tunnel::tunnel_welcome& welcome) {
  enqueue(tunnel::to_message(welcome));
  auto ex = channel_->get_executor();
  auto self = shared_from_this();
  asio::co_spawn(ex, self->read_loop(), base::log_failure{"tunnel link reader"});
  asio::co_spawn(ex, self->write_loop(), base::log_failure{"tunnel link writer"});
  asio::co_spawn(ex, self->watchdog(), base::log_failure{"tunnel link watchdog"});
}

bool tunnel_link::dial(const std::string& stream, tunnel::stream_kind kind) {
  if (closed_ || queue_.size() >= max_queued_frames) return false;
  enqueue(tunnel::to_message(tunnel::tunnel_dial{stream, kind}));
  return true;
}

void tunnel_link::enqueue(codec::frame f) {
  queue_.push_back(std::move(f));
  queue_ready_.notify();
}

void tunnel_link::close(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  channel_->close();
  timer_.cancel();
  queue_ready_.notify();
  auto handler = std::move(on_gone_);
  if (handler) handler(id_, reason);
}

asio::awaitable<void> tunnel_link::read_loop() {
  auto self = shared_from_this();  // alive while a loop runs
  while (!closed_) {
    auto r = co_await channel_->read_frame();
    if (closed_) break;
    if (r.what != transport::read_result::kind::frame) {
      if (r.what == transport::read_result::kind::protocol_error) {
        const codec::frame error = codec::error_frame{r.protocol.code, r.protocol.message};
        co_await channel_->write(error);
      }
      close(r.what == transport::read_result::kind::closed ? "the server closed its tunnel"
                                                           : r.describe());
      break;
    }
    last_heard_ = std::chrono::steady_clock::now();
    if (std::holds_alternative<codec::heartbeat>(r.frame)) continue;
    if (auto* err = std::get_if<codec::error_frame>(&r.frame)) {
      close("the server reported " + err->code + ": " + err->message);
      break;
    }
    const codec::frame error = codec::error_frame{
        "unexpected_frame", std::string("unexpected ") + codec::type_name(codec::type_of(r.frame)) +
                                " frame on a tunnel control connection"};
    co_await channel_->write(error);
    close("protocol error: unexpected frame from the server");
    break;
  }
}

asio::awaitable<void> tunnel_link::write_loop() {
  auto self = shared_from_this();
  while (!closed_) {
    while (queue_.empty() && !closed_) co_await queue_ready_.wait();
    if (closed_) break;
    const codec::frame next = std::move(queue_.front());
    queue_.pop_front();
    auto ec = co_await channel_->write(next);
    if (ec) {
      close("writing to the server failed: " + ec.message());
      break;
    }
  }
}

asio::awaitable<void> tunnel_link::watchdog() {
  auto self = shared_from_this();
  while (!closed_) {
    timer_.expires_after(heartbeat_);
    co_await timer_.async_wait(use_nothrow);
    if (closed_) break;
    if (std::chrono::steady_clock::now() - last_heard_ > dead_after_) {
      close("no heartbeat from the server for " + std::to_string(dead_after_.count()) + " ms");
      break;
    }
    enqueue(codec::heartbeat{});
  }
}

}  // namespace rstream::engine
