// One WebSocket participant of a live session (/ws/terminal/{id} on a server,
// /api/webtty/sessions/{id}/ws on an engine; docs/api.md): a writer sends
// the participant's output (scrollback first, then live; binary messages) and the session's
// events (text messages), a reader takes input (binary, gated on control) and JSON control
// messages. The participant's own queue in live_session_state bounds what waits for a slow
// WebSocket; the command never waits for it.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <deque>
#include <nlohmann/json.hpp>

#include "rstream/live_io/live_participant.hpp"
#include "rstream/api/json_text.hpp"
#include "rstream/api/live_messages.hpp"

namespace asio = boost::asio;
using nlohmann::json;

namespace rstream::live_io {
namespace {

/// Output bytes per binary message: with its WebSocket header (4 bytes at this size) one
/// message is one 64 KiB socket write, the most Asio's async_write hands the kernel at once,
/// so a message costs the writer one turn of the event loop, not two.
constexpr std::size_t output_message_bytes = 64 * 1024 - 16;
constexpr std::size_t max_outbox = 64;
constexpr std::chrono::seconds refusal_notice_interval{2};

std::span<const std::uint8_t> as_bytes(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

static_assert(api::live_max_dimension == live::max_dimension,
              "the wire's terminal size limit is the live layer's");

/// {"type":"error","code":CODE,"message":MESSAGE} for a refusal of the live layer.
std::string refusal_text(const live::error& error) {
  return api::to_text(api::live_error{live::to_string(error.code), error.message});
}

class live_participant : public std::enable_shared_from_this<live_participant> {
 public:
  live_participant(std::unique_ptr<transport::message_socket> socket,
                   std::shared_ptr<live_host> terminal, bool watch_only)
      : socket_(std::move(socket)),
        terminal_(std::move(terminal)),
        wake_(socket_->get_executor()),
        watch_only_(watch_only) {}
  ~live_participant() { terminal_->unsubscribe(&wake_); }  // if finish() never ran

  asio::awaitable<void> run(std::string name, bool spectator_only, std::string owner) {
    auto& state = terminal_->state();
    const auto now = live::clock::now();
    last_seq_ = state.events().last_seq();  // from our own participant_joined on
    auto joined = state.attach("", std::move(name), spectator_only, now);
    if (!joined) {
      const std::string refusal = refusal_text(joined.error());
      co_await socket_->write_text(refusal);
      co_await socket_->close_politely(1008, "refused", std::chrono::seconds(2));
      co_return;
    }
    id_ = joined->id;
    terminal_->set_owner(id_, std::move(owner));
    terminal_->subscribe(&wake_);
    terminal_->changed();
    spdlog::info("live session {}: {} joined from {} as {}", terminal_->id(), id_, socket_->peer(),
                 live::to_string(joined->role));
    post(api::to_text(
        api::live_hello{id_, live::to_string(joined->role), spectator_only, state.to_json()}));

    auto self = shared_from_this();
    asio::co_spawn(socket_->get_executor(), write_loop(), [self](std::exception_ptr e) {
      if (e) self->finish("writer failed");
    });
    co_await read_loop();
    finish("left");
  }

 private:
  void post(std::string text) {
    if (outbox_.size() < max_outbox) outbox_.push_back(std::move(text));
    wake_.notify();
  }

  void post_error(const std::string& message, const char* code = "invalid_argument") {
    post(api::to_text(api::live_error{code, message}));
  }

  /// Leaves the session (once) and stops both loops.
  void finish(const char* why) {
    if (done_) return;
    done_ = true;
    wake_.notify();
    terminal_->unsubscribe(&wake_);
    socket_->close();
    if (!id_.empty()) terminal_->forget_owner(id_);
    if (!id_.empty() && terminal_->state().detach(id_, live::clock::now())) {
      spdlog::info("live session {}: {} {}", terminal_->id(), id_, why);
    }
    terminal_->changed();
  }

  asio::awaitable<void> write_loop() {
    auto self = shared_from_this();
    auto& state = terminal_->state();
    // Live output goes out as references to the shared chunks (no copy per participant);
    // scrollback replay is copied into `scratch`.
    std::vector<live::output_piece> pieces;
    std::vector<std::span<const std::uint8_t>> spans;
    std::vector<std::uint8_t> scratch;
    while (!done_) {
      if (!outbox_.empty()) {
        const std::string text = std::move(outbox_.front());
        outbox_.pop_front();
        if (co_await socket_->write_message(as_bytes(text), true)) break;
        continue;
      }
      if (state.has_output(id_)) {
        pieces.clear();
        auto batch = state.take_output_pieces(id_, pieces, scratch, output_message_bytes,
                                              live::clock::now());
        if (!batch) break;
        if (batch->bytes == 0) continue;
        spans.clear();
        for (const auto& piece : pieces) spans.push_back(piece.bytes);
        if (co_await socket_->write_binary_pieces(spans)) break;
        continue;
      }
      auto page = state.events().since(last_seq_, 64);
      if (!page.events.empty() || page.dropped > 0) {
        if (page.dropped > 0) {
          const std::string text = api::to_text(api::live_events_dropped{page.dropped});
          if (co_await socket_->write_message(as_bytes(text), true)) break;
        }
        bool failed = false;
        for (const auto& e : page.events) {
          last_seq_ = e.seq;
          const std::string text = api::json_text(state.events().to_json(e));
          if (co_await socket_->write_message(as_bytes(text), true)) {
            failed = true;
            break;
          }
        }
        if (failed) break;
        continue;
      }
      if (terminal_->terminated() || terminal_->removed()) {
        // Everything is out: the output, then state_changed. Close politely.
        co_await socket_->close_politely(1000, "session ended", std::chrono::seconds(2));
        break;
      }
      co_await wake_.wait();
    }
    finish("left");
  }

  asio::awaitable<void> read_loop() {
    auto self = shared_from_this();
    std::vector<std::uint8_t> message;
    while (!done_) {
      auto read = co_await socket_->read_message(message);
      using kind = transport::message_read::kind;
      if (read.what == kind::binary) {
        co_await on_input(message);
      } else if (read.what == kind::text) {
        on_control(std::string(message.begin(), message.end()));
      } else {
        if (read.what == kind::too_large) {
          spdlog::info("live session {}: {} sent a message over the limit", terminal_->id(), id_);
        }
        break;
      }
    }
  }

  asio::awaitable<void> on_input(const std::vector<std::uint8_t>& bytes) {
    if (terminal_->terminated()) co_return;
    auto allowed = terminal_->state().authorize_input(id_);
    if (!allowed) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= next_refusal_notice_) {
        next_refusal_notice_ = now + refusal_notice_interval;
        post_error("input not sent: you are a spectator (request control to type)",
                   "not_controller");
      }
      co_return;
    }
    co_await terminal_->write_input(bytes);
  }

  void on_control(const std::string& text) {
    auto parsed = api::parse_participant_message(text);
    if (!parsed.ok) {
      post_error(parsed.error);
      return;
    }
    if (watch_only_ && !std::holds_alternative<api::live_resize>(parsed.message)) {
      post_error(
          "this participant joined with a read-only token: it watches; requesting or "
          "resolving control needs a read-write token",
          "forbidden");
      return;
    }
    std::visit([this](const auto& message) { on_message(message); }, parsed.message);
  }

  /// Posts the live layer's refusal, if any; true when the step went through.
  template <typename T>
  bool accepted(const live::result<T>& done) {
    if (done) return true;
    post_error(done.error().message, live::to_string(done.error().code));
    return false;
  }

  void on_message(const api::live_resize& resize) {
    // A spectator's window size is its own business: ignored without a word.
    if (terminal_->state().resize(id_, resize.cols, resize.rows)) terminal_->apply_size();
  }

  void on_message(const api::live_signal& signal) {
    if (accepted(terminal_->state().authorize_signal(id_))) terminal_->send_signal(signal.number);
  }

  void on_message(const api::live_request_control& request) {
    if (!accepted(terminal_->state().request_control(id_, request.reason, live::clock::now()))) {
      return;
    }
    terminal_->schedule_expiry();
    terminal_->changed();
  }

  void on_message(const api::live_resolve_control& resolve) {
    auto& state = terminal_->state();
    const auto me = live::actor::by_participant(id_);
    const auto now = live::clock::now();
    const auto done = resolve.action == api::live_control_action::revoke
                          ? state.revoke_request(resolve.request_id, me, now)
                          : state.resolve(resolve.request_id,
                                          resolve.action == api::live_control_action::grant
                                              ? live::decision::grant
                                              : live::decision::refuse,
                                          me, now);
    if (accepted(done)) terminal_->changed();
  }

  void on_message(const api::live_release_control&) {
    if (accepted(terminal_->state().revoke(live::actor::by_participant(id_), live::clock::now()))) {
      terminal_->changed();
    }
  }

  std::unique_ptr<transport::message_socket> socket_;
  std::shared_ptr<live_host> terminal_;
  async_event wake_;
  std::string id_;
  std::uint64_t last_seq_ = 0;
  std::deque<std::string> outbox_;
  bool done_ = false;
  bool watch_only_ = false;
  std::chrono::steady_clock::time_point next_refusal_notice_{};
};

}  // namespace

asio::awaitable<void> serve_live_participant(std::unique_ptr<transport::message_socket> socket,
                                             std::shared_ptr<live_host> terminal, std::string name,
                                             bool spectator_only, std::string owner,
                                             bool watch_only) {
  auto participant =
      std::make_shared<live_participant>(std::move(socket), std::move(terminal), watch_only);
  co_await participant->run(std::move(name), spectator_only, std::move(owner));
}

}  // namespace rstream::live_io
