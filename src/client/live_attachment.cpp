// Attaching to a live session over /ws/terminal/{id} (see live_attachment.hpp).
//
// One reader coroutine (the socket: output to live_io with blocking writes, which is the
// backpressure towards the server; control messages handled in place) and one writer coroutine
// (JSON control messages first, then input while this participant controls the session). Local
// input comes from live_io's stdin forwarding, at most a few chunks ahead of what was sent.
// Input read before the server's hello waits (those chunks) until the hello says whether we
// control. With a local terminal, "~" escapes at the start of a line are the user's commands
// (~. leave, ~r ask for control, ~g grant the latest request, ~? help).
#include "rstream/client/live_attachment.hpp"

#include <signal.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "rstream/api/error_reply.hpp"
#include "rstream/api/live_messages.hpp"
#include "rstream/base/log_failure.hpp"
#include "rstream/base/percent.hpp"
#include "rstream/common/async_event.hpp"
#include "rstream/transport/message_socket.hpp"

namespace asio = boost::asio;
using json = nlohmann::json;

namespace rstream::client {
namespace {

/// How long to wait for the server's close after the session said it terminated.
constexpr auto close_grace = std::chrono::seconds(5);

std::string string_field(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::optional<long long> number_field(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<long long>();
}

class live_attachment {
 public:
  live_attachment(const live_attach_options& options, live_io& io) : options_(options), io_(io) {
    stdin_is_tty_ = io_.input_is_terminal();
    // A viewer at a terminal (join --tty without --interactive): what is typed is not echoed
    // nor sent; Ctrl-C and ~. leave.
    watching_ = options_.spectator && options_.tty && stdin_is_tty_;
  }

  live_attach_result run(const std::string& session_id, const std::string& session_name) {
    session_id_ = session_id;
    session_name_ = session_name;
    asio::co_spawn(context_, drive(), [this](std::exception_ptr e) {
      if (e) fail(api::exit_remote_failure, "internal error: " + base::exception_text(e));
    });
    context_.run();
    stdin_.reset();
    io_.restore_terminal();
    return finish();
  }

 private:
  struct queued_input {
    codec::data_frame chunk;
    release_fn release;
  };

  // ---- the connection ----

  asio::awaitable<void> drive() {
    std::string path = options_.server.target(options_.server.socket_path(session_id_));
    std::string query;
    if (options_.spectator) query += "role=spectator";
    if (!options_.participant_name.empty()) {
      query += (query.empty() ? "" : "&") + std::string("name=") +
               base::percent_encode(options_.participant_name);
    }
    if (!query.empty()) path += "?" + query;
    const transport::endpoint_url url = options_.server.websocket_url();
    auto connected = co_await transport::connect_message_socket(url, path, options_.server.connect);
    if (!connected.socket) {
      const int status = connected.http_status;
      fail(status == 401 || status == 403 ? api::exit_denied
           : status == 404                ? api::exit_not_found
                                          : api::exit_remote_failure,
           "cannot attach to session " + session_label() + " at " + options_.server.given + ": " +
               connected.error);
      co_return;
    }
    socket_ = std::move(connected.socket);
    wait_signals();
    wait_window_changes();
    if (options_.tty && options_.raw_from_start && stdin_is_tty_ && !options_.spectator) {
      io_.enter_raw_mode(/*keep_interrupt=*/false);
    }
    if (watching_) {
      io_.enter_raw_mode(/*keep_interrupt=*/true);
      start_stdin();  // only for the escapes
    }
    if (!options_.spectator &&
        options_.input == live_attach_options::input_mode::drop_unless_controller) {
      start_stdin();
    }
    asio::co_spawn(context_, write_loop(), [](std::exception_ptr e) {
      if (e) spdlog::error("live attach: the writer failed");
    });
    co_await read_loop();

    stopping_ = true;
    writer_wake_.notify();
    if (stdin_) co_await stdin_->stop();
    stdin_.reset();
    for (auto& item : input_queue_) item.release();
    input_queue_.clear();
    socket_->close();
    while (writer_running_) co_await writer_done_.wait();
    boost::system::error_code ignored;
    signals_.cancel(ignored);
    winch_.cancel(ignored);
    end_timer_.cancel();
    io_.restore_terminal();
  }

  asio::awaitable<void> read_loop() {
    std::vector<std::uint8_t> message;
    while (true) {
      auto r = co_await socket_->read_message(message);
      if (leaving_) co_return;
      switch (r.what) {
        case transport::message_read::kind::binary:
          if (const auto ec = io_.write_output(message)) {
            if (ec == std::errc::broken_pipe) {
              stdout_broken_ = true;
            } else {
              fail(api::exit_failure, "cannot write the output: " + ec.message());
            }
            co_return;
          }
          break;
        case transport::message_read::kind::text:
          handle_control(std::string(message.begin(), message.end()));
          if (leaving_) co_return;
          break;
        case transport::message_read::kind::closed:
          co_return;
        case transport::message_read::kind::too_large:
          if (!terminated_)
            fail(api::exit_remote_failure, "the server sent a message over the limit");
          co_return;
        case transport::message_read::kind::io_error:
          if (!terminated_) {
            fail(api::exit_remote_failure,
                 "the connection to " + options_.server.given + " broke: " + r.io.message());
          }
          co_return;
      }
    }
  }

  asio::awaitable<void> write_loop() {
    writer_running_ = true;
    while (!stopping_) {
      if (!text_queue_.empty()) {
        const std::string text = std::move(text_queue_.front());
        text_queue_.pop_front();
        const std::span<const std::uint8_t> bytes(
            reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
        const auto ec = co_await socket_->write_message(bytes, true);
        if (ec) break;
        continue;
      }
      if (controller_ && !input_queue_.empty()) {
        queued_input item = std::move(input_queue_.front());
        input_queue_.pop_front();
        const std::span<const std::uint8_t> bytes = item.chunk.bytes();
        const auto ec = co_await socket_->write_message(bytes, false);
        item.release();
        if (ec) break;
        continue;
      }
      co_await writer_wake_.wait();
    }
    writer_running_ = false;
    writer_done_.notify();
  }

  void send_control(const api::live_participant_message& message) {
    text_queue_.push_back(api::to_text(message));
    writer_wake_.notify();
  }

  // ---- control messages from the server ----

  void handle_control(const std::string& text) {
    auto j = json::parse(text, nullptr, false);
    if (!j.is_object()) {
      spdlog::warn("ignoring a control message that is not a JSON object");
      return;
    }
    const std::string type = api::live_message_type(j);
    const std::string subject = string_field(j, "participant_id");
    const bool mine = !participant_id_.empty() && subject == participant_id_;
    spdlog::debug("control message: {}", text);
    if (type == "hello") {
      on_hello(j);
    } else if (type == "error") {
      const auto [code, message] = api::read_live_error(j);
      if (participant_id_.empty()) {
        // Before hello: the server could not attach us, and closes.
        const bool not_found =
            code == "session_not_found" || message.find("not found") != std::string::npos;
        fail(not_found ? api::exit_not_found : api::exit_failure,
             message.empty() ? "the server refused to attach" : message);
      } else {
        notice("rstream: " +
               (message.empty() ? std::string("the server reported an error") : message));
      }
    } else if (type == "control_requested") {
      if (mine) {
        notice("waiting for control (request " + string_field(j, "request_id") + ")...");
      } else {
        on_request_from_other(j);
      }
    } else if (type == "control_granted") {
      forget_request(j);
      if (mine) {
        gain_control(true);
      } else if (controller_ && string_field(j, "previous_controller") == participant_id_) {
        lose_control("control passed to " + subject);
      }
    } else if (type == "controller_revoked" && mine) {
      lose_control("control revoked");
    } else if (type == "control_refused") {
      forget_request(j);
      if (mine) notice("control request " + string_field(j, "request_id") + " refused");
    } else if (type == "control_expired") {
      forget_request(j);
      if (mine) {
        notice("control request " + string_field(j, "request_id") + " expired (" +
               string_field(j, "why") + ")");
      }
    } else if (type == "output_skipped" && mine) {
      notice("rstream: " + string_field(j, "bytes") +
             " bytes of output were skipped: this client fell behind and was resynced");
    } else if (type == "state_changed" && string_field(j, "state") == "terminated") {
      on_terminated(j);
    }
  }

  void on_hello(const json& j) {
    const auto hello = api::read_live_hello(j);
    participant_id_ = hello.participant_id;
    const std::string& role = hello.role;
    if (hello.session.is_object()) {
      if (session_name_.empty()) session_name_ = string_field(hello.session, "name");
      if (string_field(hello.session, "state") == "terminated") on_terminated(hello.session);
    }
    if (options_.detach_key && options_.tty && stdin_is_tty_ && !options_.spectator) {
      notice("[attached to " + session_label() + " as " + participant_id_ + " (" + role +
             "); type ~. at the start of a line to detach, ~? for help]");
    } else if (watching_) {
      notice("[watching " + session_label() + " as " + participant_id_ +
             "; Ctrl-C or ~. at the start of a line leaves]");
    } else {
      notice("joined as " + participant_id_ + " (" + role + ")");
    }
    if (role != "controller" || options_.spectator) note_smaller_window(hello.session);
    if (role == "controller" && !options_.spectator) {
      gain_control(false);
    } else if (!input_queue_.empty()) {
      // Typed (or piped) before we knew: another participant controls the session.
      drop_input("another participant controls this session: your input is ignored" +
                 std::string(escape_keys_active() ? " (~r asks for control)" : ""));
    }
    if (options_.request_control && !options_.spectator && role != "controller") {
      send_control(api::live_request_control{options_.reason});
    }
  }

  /// A viewer does not size the session: when its terminal is smaller than the session's, the
  /// screen it is sent does not fit, and it is told so (tmux draws the same way and says so).
  void note_smaller_window(const json& session) {
    if (!options_.tty || !session.is_object()) return;
    const auto cols = number_field(session, "cols");
    const auto rows = number_field(session, "rows");
    const auto mine = io_.current_window();
    if (!cols || !rows || !mine) return;
    if (mine->first >= *cols && mine->second >= *rows) return;
    notice("[the session's terminal is " + std::to_string(*cols) + "x" + std::to_string(*rows) +
           ", yours is " + std::to_string(mine->first) + "x" + std::to_string(mine->second) +
           ": what does not fit is cut or wrapped; a terminal of at least that size shows it as "
           "it is]");
  }

  void on_terminated(const json& j) {
    if (terminated_) return;
    terminated_ = true;
    auto code = number_field(j, "exit_code");
    auto sig = number_field(j, "signal");
    exit_code_ = code ? static_cast<int>(*code) : sig ? 128 + static_cast<int>(*sig) : 0;
    // The server sends a normal close next; do not wait for it forever.
    end_timer_.expires_after(close_grace);
    end_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec && socket_) socket_->close();
    });
  }

  void gain_control(bool announce) {
    if (controller_) return;
    if (options_.spectator) {
      // Joined to watch (without --interactive): stdin is not ours to send, so holding control
      // would leave the session with a controller nobody can type into. Give it back.
      notice("control granted, but a viewer sends no input: released it (--interactive types)");
      send_control(api::live_release_control{});
      return;
    }
    controller_ = true;
    if (announce) notice("control granted");
    if (options_.tty && stdin_is_tty_ && !io_.raw_mode_active()) {
      io_.enter_raw_mode(/*keep_interrupt=*/false);
    }
    send_window_size();
    if (!stdin_started_ && !stdin_eof_) start_stdin();
    writer_wake_.notify();
  }

  void lose_control(const std::string& why) {
    if (!controller_) return;
    controller_ = false;
    notice(why + (escape_keys_active() ? " (~r asks for it back)" : ""));
    if (options_.input == live_attach_options::input_mode::drop_unless_controller) {
      for (auto& item : input_queue_) item.release();
      input_queue_.clear();
    }
  }

  /// Drops the input waiting to be sent, with `why` once.
  void drop_input(const std::string& why) {
    for (auto& item : input_queue_) item.release();
    input_queue_.clear();
    if (!drop_noticed_) {
      drop_noticed_ = true;
      notice(why);
    }
  }

  // ---- control requests of the others, and the ~ commands ----

  /// The ~ commands work where "~." does: keyboard input in raw mode.
  bool escape_keys_active() const {
    return options_.detach_key && options_.tty && stdin_is_tty_ && !options_.spectator;
  }

  /// A request id from a control message (non-negative), if there is one.
  static std::optional<std::uint64_t> request_id_of(const json& j) {
    auto id = number_field(j, "request_id");
    if (!id || *id < 0) return std::nullopt;
    return static_cast<std::uint64_t>(*id);
  }

  void on_request_from_other(const json& j) {
    auto id = request_id_of(j);
    if (!id) return;
    const std::string who = printable(string_field(j, "participant_id"));
    if (pending_requests_.size() >= max_pending_requests) pending_requests_.pop_front();
    pending_requests_.push_back({*id, who});
    if (!controller_) return;
    std::string line = "[" + who + " asks for control (request " + std::to_string(*id) + ")";
    if (const std::string reason = string_field(j, "reason"); !reason.empty()) {
      line += ": " + printable(reason);
    }
    line += escape_keys_active() ? "; ~g grants it]" : "]";
    notice(line);
  }

  void forget_request(const json& j) {
    auto id = request_id_of(j);
    if (!id) return;
    std::erase_if(pending_requests_, [&](const pending_request& r) { return r.id == *id; });
  }

  void run_escape_command(char key) {
    switch (key) {
      case 'g': {
        if (!controller_) {
          notice("[only the controller can grant control]");
        } else if (pending_requests_.empty()) {
          notice("[nobody is asking for control]");
        } else {
          const pending_request latest = pending_requests_.back();
          notice("[granting control to " + latest.participant + " (request " +
                 std::to_string(latest.id) + ")]");
          send_control(api::live_resolve_control{latest.id, api::live_control_action::grant});
        }
        break;
      }
      case 'r':
        if (controller_) {
          notice("[you control this session]");
        } else {
          send_control(api::live_request_control{"asked from the terminal (~r)"});
        }
        break;
      case '?':
        notice(
            "Supported escape sequences (at the start of a line):\r\n"
            " ~.  detach (the session keeps running)\r\n"
            " ~r  ask for control\r\n"
            " ~g  grant control to the latest participant asking for it\r\n"
            " ~?  this help\r\n"
            " ~~  send a ~");
        break;
      default:
        break;
    }
  }

  /// Peer text on our terminal: control characters become '?'.
  static std::string printable(std::string text) {
    for (char& c : text) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    }
    return text;
  }

  // ---- local input ----

  void start_stdin() {
    if (stdin_started_ || (options_.spectator && !watching_)) return;
    stdin_started_ = true;
    stdin_sink sink;
    sink.send = [this](codec::data_frame chunk, release_fn release) {
      deliver_stdin(
          std::move(chunk), release ? std::move(release) : [] {});
    };
    sink.leave = [this] {
      if (stopping_ || leaving_) return;
      detached_ = true;
      leave();
    };
    sink.command = [this](char key) {
      if (stopping_ || leaving_) return;
      if (!watching_) return run_escape_command(key);
      if (key == '?') notice("Supported escape sequences: ~. leave (so does Ctrl-C), ~? this help");
    };
    stdin_ = io_.start_stdin(context_, std::move(sink), options_.detach_key || watching_);
  }

  void deliver_stdin(codec::data_frame chunk, release_fn release) {
    if (stopping_ || leaving_) return release();
    if (chunk.end_of_stream()) {
      // The end of our input does not end the session: we stay attached (and keep showing
      // its output) until it ends or we are interrupted.
      stdin_eof_ = true;
      release();
      return;
    }
    if (watching_) return release();  // a viewer sends nothing
    if (chunk.bytes().empty()) return release();
    if (participant_id_.empty()) {
      // Before the hello we do not know yet whether we control the session: keep it (the
      // reader stops after a few chunks) until we do.
      input_queue_.push_back({std::move(chunk), std::move(release)});
      return;
    }
    if (!controller_ && options_.input == live_attach_options::input_mode::drop_unless_controller) {
      if (!drop_noticed_) {
        drop_noticed_ = true;
        notice("another participant controls this session: your input is ignored");
      }
      return release();
    }
    input_queue_.push_back({std::move(chunk), std::move(release)});
    writer_wake_.notify();
  }

  void send_window_size() {
    if (!options_.tty || !controller_) return;
    const auto size = io_.current_window();
    if (!size) return;
    send_control(api::live_resize{size->first, size->second});
  }

  void wait_window_changes() {
    winch_.async_wait([this](boost::system::error_code ec, int) {
      if (ec || stopping_) return;
      send_window_size();
      wait_window_changes();
    });
  }

  void wait_signals() {
    signals_.async_wait([this](boost::system::error_code ec, int sig) {
      if (ec || stopping_) return;
      interrupted_by_ = sig;
      leave();
    });
  }

  /// Leaves now (interrupt, detach key): the session keeps running.
  void leave() {
    if (leaving_) return;
    leaving_ = true;
    if (socket_) socket_->close();
  }

  // ---- reporting ----

  std::string session_label() const {
    if (!session_name_.empty() && session_name_ != session_id_) {
      return session_name_ + " (" + session_id_ + ")";
    }
    return session_id_;
  }

  void notice(const std::string& line) {
    if (options_.quiet && line.rfind("rstream: ", 0) != 0) return;
    io_.notice(line);
  }

  void fail(int code, std::string message) {
    if (failure_code_) return;
    failure_code_ = code;
    failure_message_ = std::move(message);
  }

  live_attach_result finish() {
    if (stdout_broken_) return {api::exit_broken_pipe, {}, {}};
    if (terminated_) {
      std::string farewell;
      if (options_.announce_end) {
        farewell = "[session ended, exit code " + std::to_string(exit_code_) + "]";
      }
      return {exit_code_, farewell, {}};
    }
    if (detached_) {
      std::string line = "[detached from " + session_label() + "; it keeps running";
      if (!options_.reattach_hint.empty()) line += ". Attach again: " + options_.reattach_hint;
      return {api::exit_ok, line + "]", {}};
    }
    if (interrupted_by_) return {128 + interrupted_by_, {}, {}};
    if (failure_code_) return {failure_code_, {}, failure_message_};
    return {api::exit_remote_failure,
            {},
            "the server at " + options_.server.given + " closed the connection to session " +
                session_label() + " before it ended"};
  }

  struct pending_request {
    std::uint64_t id = 0;
    std::string participant;
  };
  static constexpr std::size_t max_pending_requests = 64;

  const live_attach_options& options_;
  live_io& io_;
  bool stdin_is_tty_ = false;
  bool watching_ = false;
  std::string session_id_, session_name_;

  asio::io_context context_{1};
  asio::signal_set signals_{context_, SIGINT, SIGTERM, SIGHUP};
  asio::signal_set winch_{context_, SIGWINCH};
  asio::steady_timer end_timer_{context_};
  async_event writer_wake_{context_.get_executor()};
  async_event writer_done_{context_.get_executor()};
  std::unique_ptr<transport::message_socket> socket_;
  std::deque<std::string> text_queue_;
  std::deque<queued_input> input_queue_;
  std::unique_ptr<stdin_forwarding> stdin_;
  std::deque<pending_request> pending_requests_;

  std::string participant_id_;
  bool controller_ = false;
  bool writer_running_ = false;
  bool stopping_ = false;
  bool leaving_ = false;
  bool detached_ = false;
  bool stdin_started_ = false;
  bool stdin_eof_ = false;
  bool drop_noticed_ = false;
  bool stdout_broken_ = false;
  bool terminated_ = false;
  int exit_code_ = 0;
  int interrupted_by_ = 0;
  int failure_code_ = 0;
  std::string failure_message_;
};

}  // namespace

live_attach_result run_live_attach(const live_attach_options& options, live_io& io) {
  // Ask over HTTP first: an unknown session or a refused token gets its exact exit code, and a
  // name becomes the session's id.
  auto found = live_sessions_client(options.server).show(options.session);
  if (!found) {
    const live_failure& failure = found.error();
    if (failure.exit_code == api::exit_not_found) {
      return {failure.exit_code,
              {},
              "no live session '" + options.session + "' on the server at " + options.server.given};
    }
    return {failure.exit_code, {}, failure.message};
  }
  const std::string id = string_field(*found, "id");
  live_attachment attachment(options, io);
  return attachment.run(id.empty() ? options.session : id, string_field(*found, "name"));
}

live_attach_result run_live_client(const live_client_request& request, live_io& io) {
  if (!request.attach_id.empty() &&
      (!request.argv.empty() || !request.env.empty() || !request.workdir.empty())) {
    return {api::exit_usage,
            {},
            "a command, --env and --workdir only apply when --session creates the session"};
  }
  const live_sessions_client sessions(request.server);
  std::string id = request.attach_id;
  if (id.empty()) {
    // Attach to the running session of that name, or start one the size of this terminal.
    auto found = sessions.show(request.session_name);
    if (found && string_field(*found, "state") != "terminated") {
      id = string_field(*found, "id");
    } else if (found || found.error().exit_code == api::exit_not_found) {
      api::live_session_request create;
      create.name = request.session_name;
      if (const auto size = io.current_window()) {
        create.cols = size->first;
        create.rows = size->second;
      }
      create.command = request.argv;
      create.working_dir = request.workdir;
      create.env = request.env;
      auto created = sessions.create(create);
      if (created) {
        id = string_field(*created, "id");
      } else if (created.error().code == "name_taken") {
        // Someone started it between our two requests: attach to theirs.
        id = request.session_name;
      } else {
        return {created.error().exit_code,
                {},
                "cannot start session '" + request.session_name + "': " + created.error().message};
      }
    } else {
      return {found.error().exit_code, {}, found.error().message};
    }
  }
  live_attach_options options;
  options.server = request.server;
  options.session = id;
  options.input = live_attach_options::input_mode::drop_unless_controller;
  options.tty = io.input_is_terminal();
  options.raw_from_start = true;
  options.detach_key = true;
  options.announce_end = true;
  options.reattach_hint = request.reattach_hint;
  return run_live_attach(options, io);
}

}  // namespace rstream::client
