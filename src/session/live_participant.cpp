// One WebSocket participant of a live session (/ws/terminal/{id}, docs/api.md): a writer sends
// the participant's output (scrollback first, then live; binary messages) and the session's
// events (text messages), a reader takes input (binary, gated on control) and JSON control
// messages. The participant's own queue in live_session_state bounds what waits for a slow
// WebSocket; the command never waits for it.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <deque>
#include <nlohmann/json.hpp>

#include "rstream/session/live_api.hpp"

namespace asio = boost::asio;
using nlohmann::json;

namespace rstream::session {
namespace {

/// Output bytes per binary message: with its WebSocket header (4 bytes at this size) one
/// message is one 64 KiB socket write, the most Asio's async_write hands the kernel at once,
/// so a message costs the writer one turn of the event loop, not two.
constexpr std::size_t output_message_bytes = 64 * 1024 - 16;
constexpr std::size_t max_outbox = 64;
constexpr std::chrono::seconds refusal_notice_interval{2};

std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::span<const std::uint8_t> as_bytes(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

/// A text message {"type": TYPE, KEY: VALUE}. (Braced JSON initialisers stay out of coroutine
/// bodies: GCC 12.)
json typed(const char* type, const char* key, json value) {
  json message = json::object();
  message["type"] = type;
  message[key] = std::move(value);
  return message;
}

/// {"type":"error","code":CODE,"message":MESSAGE} for a refusal of the live layer.
std::string refusal_text(const live::error& error) {
  json message = typed("error", "message", error.message);
  message["code"] = live::to_string(error.code);
  return dump(message);
}

class live_participant : public std::enable_shared_from_this<live_participant> {
 public:
  live_participant(std::unique_ptr<transport::message_socket> socket,
                   std::shared_ptr<live_terminal> terminal)
      : socket_(std::move(socket)),
        terminal_(std::move(terminal)),
        wake_(socket_->get_executor()) {}
  ~live_participant() { terminal_->unsubscribe(&wake_); }  // if finish() never ran

  asio::awaitable<void> run(std::string name, bool spectator_only) {
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
    terminal_->subscribe(&wake_);
    terminal_->changed();
    spdlog::info("live session {}: {} joined from {} as {}", terminal_->id(), id_, socket_->peer(),
                 live::to_string(joined->role));
    json hello = typed("hello", "participant_id", id_);
    hello["role"] = live::to_string(joined->role);
    hello["spectator_only"] = spectator_only;
    hello["session"] = state.to_json();
    post(hello);

    auto self = shared_from_this();
    asio::co_spawn(socket_->get_executor(), write_loop(), [self](std::exception_ptr e) {
      if (e) self->finish("writer failed");
    });
    co_await read_loop();
    finish("left");
  }

 private:
  void post(const json& message) {
    if (outbox_.size() < max_outbox) outbox_.push_back(dump(message));
    wake_.notify();
  }

  void post_error(const std::string& message, const char* code = "invalid_argument") {
    json error = typed("error", "message", message);
    error["code"] = code;
    post(error);
  }

  /// Leaves the session (once) and stops both loops.
  void finish(const char* why) {
    if (done_) return;
    done_ = true;
    wake_.notify();
    terminal_->unsubscribe(&wake_);
    socket_->close();
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
          const std::string text = dump(typed("events_dropped", "dropped", page.dropped));
          if (co_await socket_->write_message(as_bytes(text), true)) break;
        }
        bool failed = false;
        for (const auto& e : page.events) {
          last_seq_ = e.seq;
          const std::string text = dump(state.events().to_json(e));
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
    json message = json::parse(text, nullptr, false);
    if (message.is_discarded() || !message.is_object() || !message.contains("type") ||
        !message["type"].is_string()) {
      post_error("a text message must be a JSON object with a \"type\"");
      return;
    }
    auto& state = terminal_->state();
    const auto now = live::clock::now();
    const std::string type = message["type"];
    const auto me = live::actor::by_participant(id_);
    if (type == "resize") {
      const auto cols = message.value("cols", json());
      const auto rows = message.value("rows", json());
      if (!cols.is_number_integer() || !rows.is_number_integer() || cols.get<std::int64_t>() < 1 ||
          rows.get<std::int64_t>() < 1 || cols.get<std::int64_t>() > live::max_dimension ||
          rows.get<std::int64_t>() > live::max_dimension) {
        post_error("resize needs integer cols and rows from 1 to " +
                   std::to_string(live::max_dimension));
        return;
      }
      auto resized = state.resize(id_, static_cast<std::uint16_t>(cols.get<std::int64_t>()),
                                  static_cast<std::uint16_t>(rows.get<std::int64_t>()));
      // A spectator's window size is its own business: ignored without a word.
      if (resized) terminal_->apply_size();
      return;
    }
    if (type == "signal") {
      const auto number = message.value("signal", json());
      if (!number.is_number_integer() || number.get<std::int64_t>() < 1 ||
          number.get<std::int64_t>() > 64) {
        post_error("signal needs an integer signal number from 1 to 64");
        return;
      }
      if (auto allowed = state.authorize_signal(id_); !allowed) {
        post_error(allowed.error().message, live::to_string(allowed.error().code));
        return;
      }
      terminal_->send_signal(static_cast<int>(number.get<std::int64_t>()));
      return;
    }
    if (type == "request_control") {
      const auto reason = message.value("reason", json(""));
      if (!reason.is_string()) {
        post_error("reason must be a string");
        return;
      }
      auto made = state.request_control(id_, reason.get<std::string>(), now);
      if (!made) {
        post_error(made.error().message, live::to_string(made.error().code));
        return;
      }
      terminal_->schedule_expiry();
      terminal_->changed();
      return;
    }
    if (type == "resolve_control") {
      const auto request = message.value("request_id", json());
      const auto action = message.value("action", json());
      if (!request.is_number_unsigned() || !action.is_string()) {
        post_error("resolve_control needs request_id and action (grant, refuse or revoke)");
        return;
      }
      const auto id = request.get<std::uint64_t>();
      const std::string& what = action.get_ref<const std::string&>();
      live::result<live::control_request> done =
          live::error{live::errc::invalid_argument, "action must be grant, refuse or revoke"};
      if (what == "grant") done = state.resolve(id, live::decision::grant, me, now);
      if (what == "refuse") done = state.resolve(id, live::decision::refuse, me, now);
      if (what == "revoke") done = state.revoke_request(id, me, now);
      if (!done) {
        post_error(done.error().message, live::to_string(done.error().code));
        return;
      }
      terminal_->changed();
      return;
    }
    if (type == "release_control") {
      if (auto released = state.revoke(me, now); !released) {
        post_error(released.error().message, live::to_string(released.error().code));
        return;
      }
      terminal_->changed();
      return;
    }
    post_error("unknown message type '" + type + "'");
  }

  std::unique_ptr<transport::message_socket> socket_;
  std::shared_ptr<live_terminal> terminal_;
  async_event wake_;
  std::string id_;
  std::uint64_t last_seq_ = 0;
  std::deque<std::string> outbox_;
  bool done_ = false;
  std::chrono::steady_clock::time_point next_refusal_notice_{};
};

}  // namespace

asio::awaitable<void> serve_live_participant(std::unique_ptr<transport::message_socket> socket,
                                             std::shared_ptr<live_terminal> terminal,
                                             std::string name, bool spectator_only) {
  auto participant = std::make_shared<live_participant>(std::move(socket), std::move(terminal));
  co_await participant->run(std::move(name), spectator_only);
}

}  // namespace rstream::session
