// The server side of one WebTTY session (see server_session.hpp for the shape).
#include "server_session.hpp"

#include "rstream/base/log_failure.hpp"
#include "rstream/server/e2e_session.hpp"

#include "rstream/base/auth_throttle.hpp"
#include "rstream/base/secret.hpp"
#include "rstream/common/asio_helpers.hpp"
#include "rstream/common/pipe_buffer.hpp"
#include "rstream/pty/spawn_refusal.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <fcntl.h>
#include <sys/ioctl.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/write.hpp>

namespace asio = boost::asio;

namespace rstream::server {

// ---- registry ----

std::uint64_t session_registry::add(const std::shared_ptr<server_session>& s) {
  auto id = next_id_++;
  sessions_.emplace(id, s);
  return id;
}

void session_registry::remove(std::uint64_t id) {
  sessions_.erase(id);
  if (on_removed) on_removed();
}

void session_registry::hang_up_all() {
  // Copy first: hang_up may end a session, which removes itself.
  std::vector<std::shared_ptr<server_session>> live;
  for (auto& [id, weak] : sessions_) {
    if (auto s = weak.lock()) live.push_back(std::move(s));
  }
  for (auto& s : live) s->hang_up();
}

// ---- session ----

server_session::server_session(std::unique_ptr<transport::frame_channel> channel,
                               const session_settings& settings,
                               std::shared_ptr<session_registry> registry)
    : channel_(std::move(channel)),
      settings_(settings),
      registry_(std::move(registry)),
      peer_(channel_->peer()),
      out_(channel_->get_executor(), settings_.output_queue_bytes),
      stdin_(channel_->get_executor(), settings_.stdin_queue_bytes),
      drain_(channel_->get_executor()),
      open_timer_(channel_->get_executor()),
      heartbeat_timer_(channel_->get_executor()) {}

server_session::~server_session() {
  // A command still running is killed and reaped by child_'s own teardown, in the background.
  if (counted_running_) registry_->stopped_running();
  registry_->remove(id_);
  spdlog::debug("session {} from {} ended", id_, peer_);
}

void server_session::start() {
  id_ = registry_->add(shared_from_this());
  spawn_task("session", &server_session::run);
}

void server_session::spawn_task(const char* name, asio::awaitable<void> (server_session::*task)()) {
  auto self = shared_from_this();
  asio::co_spawn(
      channel_->get_executor(), (self.get()->*task)(), [self, name](std::exception_ptr e) {
        if (!e) return;
        base::log_exception("session " + std::to_string(self->id_) + ": " + name + " task", e);
        self->peer_gone(std::string(name) + " task failed");
      });
}

asio::awaitable<void> server_session::run() {
  spawn_task("writer", &server_session::write_loop);

  arm_open_timer();
  auto first = co_await channel_->read_frame();
  if (first.what == transport::read_result::kind::frame) {
    if (auto* hello = std::get_if<codec::e2e_message>(&first.frame);
        hello && hello->type == codec::frame_type::e2e_handshake) {
      // A client's probe: E2E when we have an identity, "no E2E here" otherwise.
      const std::vector<std::uint8_t> hello_bytes = std::move(hello->bytes);
      // The channel leaves the session during the handshake (which bounds its own waits):
      // nothing may write to it meanwhile.
      open_timer_.cancel();
      auto e2e = co_await accept_server_e2e(std::move(channel_), hello_bytes,
                                            settings_.e2e_identity.get(), settings_.e2e_authorizer);
      channel_ = std::move(e2e.channel);
      if (!e2e.ok) {
        if (!e2e.client_fingerprint.empty()) {
          spdlog::warn("session {} from {}: refused client key {}: {}", id_, peer_,
                       e2e.client_fingerprint, e2e.error);
        } else {
          spdlog::info("session {} from {}: end-to-end handshake failed: {}", id_, peer_,
                       e2e.error);
        }
        if (!e2e.error_code.empty()) {
          fail(e2e.error_code, e2e.error);
          co_await discard_until_closed();
        } else {
          peer_gone(e2e.error);
        }
        co_return;
      }
      if (settings_.e2e_identity) {
        spdlog::info("session {} from {}: end-to-end encrypted, client '{}' ({})", id_, peer_,
                     e2e.client_name, e2e.client_fingerprint);
      }
      arm_open_timer();
      first = co_await channel_->read_frame();
    } else if (settings_.e2e_identity && !std::holds_alternative<codec::error_frame>(first.frame)) {
      open_timer_.cancel();
      fail("e2e_required",
           "this server requires end-to-end encryption: use an rstream client that knows its "
           "key (rstream webtty known-server add)");
      co_await discard_until_closed();
      co_return;
    }
  }
  open_timer_.cancel();
  if (first.what != transport::read_result::kind::frame) {
    if (first.what == transport::read_result::kind::protocol_error) {
      spdlog::info("session {} from {}: {}", id_, peer_, first.describe());
      fail("protocol_error", first.describe());
    } else {
      peer_gone(first.describe());
    }
    co_return;
  }
  auto* open = std::get_if<codec::open_request>(&first.frame);
  if (!open) {
    fail("protocol_error", std::string("expected Open as the first frame, got ") +
                               codec::type_name(codec::type_of(first.frame)));
    co_await discard_until_closed();
    co_return;
  }
  if (!co_await authenticate_and_spawn(*open)) {
    co_await discard_until_closed();
    co_return;
  }
  co_await read_loop();
}

void server_session::arm_open_timer() {
  open_timer_.expires_after(settings_.open_timeout);
  open_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->child_.spawned() || self->final_enqueued_) return;
    spdlog::info("session {} from {}: no Open within the time limit", self->id_, self->peer_);
    self->fail("timeout", "no Open frame within " +
                              std::to_string(self->settings_.open_timeout.count()) + " ms");
  });
}

asio::awaitable<void> server_session::discard_until_closed() {
  // The writer waits for the client's close after our last frame (see write_loop); reading
  // what the client still sends lets that close arrive, and keeps our close a clean one.
  while (!peer_gone_) {
    auto r = co_await channel_->read_frame();
    if (r.what != transport::read_result::kind::frame) {
      peer_gone(r.describe());
      break;
    }
  }
}

asio::awaitable<bool> server_session::authenticate_and_spawn(const codec::open_request& open) {
  if (!settings_.token.empty()) {
    const std::string& presented =
        !channel_->bearer_token().empty() ? channel_->bearer_token() : open.token;
    const auto verdict =
        base::throttled_check(settings_.auth_throttle.get(), base::source_address(peer_),
                              [&] { return base::secret_equal(settings_.token, presented); });
    if (verdict == base::auth_verdict::throttled) {
      spdlog::warn("session {} from {}: refused, too many failed authentications", id_, peer_);
      fail("too_many_failures", base::too_many_failures_message);
      co_return false;
    }
    if (verdict == base::auth_verdict::refused) {
      spdlog::warn("session {} from {}: refused, {}", id_, peer_,
                   presented.empty() ? "no token" : "wrong token");
      fail("unauthorized",
           presented.empty() ? "this server requires a token (--token)" : "invalid token");
      co_return false;
    }
  }
  if (final_enqueued_) co_return false;  // timed out meanwhile
  // Authenticated: no longer one of the listener's unauthenticated connections, and now one
  // of the --max-sessions sessions (only authenticated sessions count there).
  channel_->leave_pending();
  if (!registry_->try_start_running()) {
    spdlog::warn("session {} from {}: refused, {} sessions running (--max-sessions)", id_, peer_,
                 registry_->running());
    fail("too_many_sessions", "the server already runs its maximum of " +
                                  std::to_string(registry_->max_running()) + " sessions");
    co_return false;
  }
  counted_running_ = true;

  pty::spawn_options options;
  if (open.login_shell) {
    pty::use_login_shell(options);
  } else {
    options.argv = open.argv;
  }
  options.env = open.env;
  // No directory named: the home directory of the server's user, like ssh.
  options.workdir = open.workdir.empty() ? pty::default_workdir() : open.workdir;
  options.use_tty = open.allocate_tty;
  options.cols = open.cols;
  options.rows = open.rows;

  pty::child_stdio stdio;
  pty::spawn_error error;
  if (!child_.spawn(channel_->get_executor(), options, stdio, error)) {
    spdlog::info("session {} from {}: {}", id_, peer_, error.message);
    fail(pty::refusal_for(error).code, error.message);
    co_return false;
  }
  tty_ = open.allocate_tty;
  heartbeat_ = std::chrono::milliseconds(open.heartbeat_ms);
  last_heard_ = std::chrono::steady_clock::now();
  auto ex = channel_->get_executor();
  stdin_desc_.emplace(ex, stdio.stdin_fd.release());
  stdout_desc_.emplace(ex, stdio.stdout_fd.release());
  if (!tty_) stderr_desc_.emplace(ex, stdio.stderr_fd.release());
  spdlog::info("session {} from {} ({}): started pid {}{}: {}", id_, peer_, channel_->scheme(),
               child_.pid(), tty_ ? " in a PTY" : "",
               open.login_shell ? options.argv[0] + " (login shell)" : options.argv[0]);

  enqueue(codec::ack{child_.pid()});
  spawn_task("stdout", &server_session::pump_stdout);
  if (!tty_)
    spawn_task("stderr", &server_session::pump_stderr);
  else
    stderr_done_ = true;
  spawn_task("stdin", &server_session::write_stdin_loop);
  spawn_task("child", &server_session::watch_child);
  if (heartbeat_.count() > 0) spawn_task("heartbeat", &server_session::heartbeat_loop);
  if (hung_up_) end_process_group();
  co_return true;
}

asio::awaitable<void> server_session::read_loop() {
  while (!peer_gone_) {
    auto r = co_await channel_->read_frame();
    if (r.what != transport::read_result::kind::frame) {
      if (r.what == transport::read_result::kind::protocol_error && !final_enqueued_) {
        spdlog::info("session {} from {}: {}", id_, peer_, r.describe());
        fail("protocol_error", r.describe());
        end_process_group();
      } else {
        peer_gone(r.describe());
      }
      co_return;
    }
    last_heard_ = std::chrono::steady_clock::now();
    if (!handle_frame(r.frame)) {
      if (final_enqueued_) co_await discard_until_closed();
      co_return;
    }
    // Backpressure towards the client: stop reading while the command's stdin is full.
    if (!stdin_end_received_) co_await stdin_.wait_for_space();
  }
}

bool server_session::handle_frame(codec::frame& f) {
  auto protocol_error = [this](const std::string& message) {
    spdlog::info("session {} from {}: protocol error: {}", id_, peer_, message);
    fail("protocol_error", message);
    end_process_group();
    return false;
  };
  if (auto* data = std::get_if<codec::data_frame>(&f)) {
    if (data->stream() != codec::stream_id::in) {
      return protocol_error("clients may only send stdin data");
    }
    if (stdin_end_received_) return protocol_error("stdin data after end-of-stream");
    stdin_end_received_ = data->end_of_stream();
    const std::size_t cost = data->bytes().size() + queue_entry_overhead;
    stdin_.push(std::move(*data), cost);  // dropped once the command has finished
    return true;
  }
  if (auto* size = std::get_if<codec::resize>(&f)) {
    if (tty_ && stdout_desc_ && stdout_desc_->is_open()) {
      pty::set_window_size(stdout_desc_->native_handle(), size->cols, size->rows);
    }
    return true;
  }
  if (auto* sig = std::get_if<codec::signal_frame>(&f)) {
    if (!child_exited_ || !stdout_done_ || !stderr_done_)
      pty::signal_group(child_.pid(), sig->signal);
    return true;
  }
  if (std::holds_alternative<codec::heartbeat>(f)) return true;
  if (auto* err = std::get_if<codec::error_frame>(&f)) {
    peer_gone("client reported " + err->code + ": " + err->message);
    return false;
  }
  return protocol_error(std::string("unexpected ") + codec::type_name(codec::type_of(f)) +
                        " frame from a client");
}

asio::awaitable<void> server_session::write_loop() {
  while (auto entry = co_await out_.pop()) {
    bool is_last = final_enqueued_ && out_.empty();
    auto ec = co_await channel_->write_frame(entry->item.header, entry->item.payload);
    out_.release(entry->bytes);
    if (ec) {
      peer_gone("write failed: " + ec.message());
      break;
    }
    if (is_last) {
      // Lingering close: after our end, wait for the client to close (it does once it has
      // the Close frame). Closing while its last frames (stdin's end, a heartbeat) are unread
      // would make the kernel send a reset, and a reset destroys what is still in flight to
      // the client, our final output and Close included. Bounded: a silent peer is cut off.
      asio::steady_timer limit(channel_->get_executor(), std::chrono::seconds(2));
      limit.async_wait([weak = weak_from_this()](boost::system::error_code e) {
        if (auto self = weak.lock(); self && !e) self->peer_gone("no close after the last frame");
      });
      co_await channel_->shutdown();
      // Nothing is queued after the last frame: pop() returns when peer_gone() closes out_.
      while (!peer_gone_) co_await out_.pop();
      limit.cancel();
      channel_->close();
      break;
    }
  }
  out_.close();
  out_.clear();
}

void server_session::enqueue(codec::frame_type type, std::vector<std::uint8_t> payload,
                             bool final) {
  if (final_enqueued_ || out_.closed()) return;
  final_enqueued_ = final;
  const std::size_t cost = payload.size() + queue_entry_overhead;
  out_.push({codec::encode_header(type, payload.size()), std::move(payload)}, cost);
}

void server_session::enqueue(const codec::frame& f, bool final) {
  if (auto* data = std::get_if<codec::data_frame>(&f)) {
    enqueue(codec::frame_type::data, data->payload, final);
  } else {
    enqueue(codec::type_of(f), codec::encode_payload(f), final);
  }
}

void server_session::fail(const std::string& code, const std::string& message) {
  // Refused: the connection only lingers until the client has the Error (at most 2 s). It no
  // longer waits to authenticate, so it leaves the unauthenticated counts at once (a client
  // that sends garbage in a loop must not fill them with connections we are closing).
  channel_->leave_pending();
  enqueue(codec::error_frame{code, message}, true);
}

asio::awaitable<void> server_session::pump_stdout() {
  co_await pump_output(*stdout_desc_, codec::stream_id::out);
}
asio::awaitable<void> server_session::pump_stderr() {
  co_await pump_output(*stderr_desc_, codec::stream_id::err);
}

asio::awaitable<void> server_session::pump_output(asio::posix::stream_descriptor& source,
                                                  codec::stream_id stream) {
  const int fd = source.native_handle();
  bool open = true;
  bool grown = tty_;
  bool draining = false;  // the PTY drain period is over: read what is left, then stop
  while (open) {
    // Backpressure: while the client is behind, leave the bytes in the pipe; the command
    // blocks on its write and nothing grows here.
    co_await out_.wait_for_space();
    // Read first and wait only when there is nothing: in bulk transfers the pipe is rarely
    // empty, so most chunks cost one read and no reactor round trip. FIONREAD sizes the
    // buffer, so an idle session holds none.
    int available = 0;
    if (::ioctl(fd, FIONREAD, &available) != 0 || available <= 0) available = 4096;
    std::size_t chunk = std::min<std::size_t>(available, settings_.read_chunk_bytes);
    std::vector<std::uint8_t> buffer(codec::data_frame::prefix_size + chunk);
    ssize_t n = ::read(fd, buffer.data() + codec::data_frame::prefix_size, chunk);
    if (n > 0) {
      grow_pipe_for_bulk(fd, static_cast<std::size_t>(n), grown);
      buffer.resize(codec::data_frame::prefix_size + static_cast<std::size_t>(n));
      enqueue(codec::frame_type::data, codec::data_frame::wrap(std::move(buffer), stream).payload);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (draining || drain_.expired()) break;
      auto [ec] =
          co_await source.async_wait(asio::posix::stream_descriptor::wait_read, use_nothrow);
      draining = static_cast<bool>(ec);  // cancelled by the drain timer
    } else {
      open = false;  // EOF, or EIO on a PTY whose last slave closed
    }
  }
  // A PTY master stays open until the command is reaped (maybe_finish): closing it now would
  // hang up a command that merely closed its terminal, and it would die of SIGHUP.
  boost::system::error_code ignored;
  if (!tty_) source.close(ignored);
  enqueue(codec::frame_type::data,
          codec::data_frame(stream, std::span<const std::uint8_t>(), true).payload);
  (stream == codec::stream_id::err ? stderr_done_ : stdout_done_) = true;
  maybe_finish();
}

asio::awaitable<void> server_session::write_stdin_loop() {
  bool broken = false;  // the command closed its stdin: further input is discarded
  bool grown = tty_;
  while (auto entry = co_await stdin_.pop()) {
    const auto& chunk = entry->item;
    auto bytes = chunk.bytes();
    if (!broken && !bytes.empty() && stdin_desc_->is_open()) {
      grow_pipe_for_bulk(stdin_desc_->native_handle(), bytes.size(), grown);
      auto [ec, n] =
          co_await asio::async_write(*stdin_desc_, asio::buffer(bytes.data(), bytes.size()),
                                     transfer_all_in_large_steps{}, use_nothrow);
      if (ec) broken = true;
    }
    stdin_.release(entry->bytes);
    if (chunk.end_of_stream()) {
      if (tty_) {
        if (!broken) co_await deliver_terminal_eof();
      } else {
        boost::system::error_code ignored;
        stdin_desc_->close(ignored);
      }
      break;
    }
  }
  stdin_.close();
  stdin_.clear();
}

asio::awaitable<void> server_session::deliver_terminal_eof() {
  // A PTY has no half-close: end-of-input is the terminal's EOF character (^D). But a pipe's
  // EOF is sticky (every later read sees it again) while a ^D is read once, and it is lost
  // when the command switches the line discipline between canonical and character mode
  // before reading it (a shell does, around every command it runs). So: send ^D whenever the
  // command has read everything and its terminal mode has been stable for a moment (line
  // mode: 60 ms; character mode, e.g. a line editor at its prompt: 200 ms), again each time
  // it is consumed and the command is still there, at most max_eofs times.
  constexpr auto fast_probe = std::chrono::milliseconds(20);
  constexpr auto slow_probe = std::chrono::milliseconds(250);
  constexpr int fast_probes = 100;  // the first 2 s
  constexpr int stable_line_mode_probes = 3;
  constexpr int stable_character_mode_probes = 10;
  constexpr int max_eofs = 50;
  static const std::uint8_t eof_char = 0x04;
  asio::steady_timer pause(channel_->get_executor());
  int sent = 0;
  int stable = 0;
  bool last_canonical = true;
  for (int probe = 0; sent < max_eofs; ++probe) {
    if (child_exited_ || peer_gone_ || !stdin_desc_->is_open()) co_return;
    pty::terminal_input_state state;
    if (!pty::probe_terminal_input(stdin_desc_->native_handle(), state)) co_return;
    stable = (state.input_pending || state.canonical != last_canonical) ? 0 : stable + 1;
    last_canonical = state.canonical;
    int needed = state.canonical ? stable_line_mode_probes : stable_character_mode_probes;
    if (!state.input_pending && stable >= needed) {
      auto [ec, n] =
          co_await asio::async_write(*stdin_desc_, asio::buffer(&eof_char, 1), use_nothrow);
      if (ec) co_return;
      ++sent;
      stable = 0;
    }
    pause.expires_after(probe < fast_probes ? fast_probe : slow_probe);
    co_await pause.async_wait(use_nothrow);
  }
}

asio::awaitable<void> server_session::watch_child() {
  exit_ = co_await child_.wait_exit();
  child_exited_ = true;
  spdlog::info("session {}: pid {} {} {}", id_, child_.pid(),
               exit_.signal ? "killed by signal" : "exited with",
               exit_.signal ? exit_.signal : exit_.exit_code);
  // Output the shell wrote just before exiting is still in the PTY: read it for a moment,
  // then stop even if a background job keeps the terminal open.
  if (tty_ && !stdout_done_) drain_.start(settings_.tty_drain, *stdout_desc_);
  maybe_finish();
}

asio::awaitable<void> server_session::heartbeat_loop() {
  while (!peer_gone_ && !final_enqueued_) {
    heartbeat_timer_.expires_after(heartbeat_);
    co_await heartbeat_timer_.async_wait(use_nothrow);
    if (peer_gone_ || final_enqueued_) break;
    if (std::chrono::steady_clock::now() - last_heard_ > 3 * heartbeat_) {
      spdlog::info("session {} from {}: no frame for {} ms, peer considered dead", id_, peer_,
                   3 * heartbeat_.count());
      channel_->close();
      peer_gone("heartbeat timeout");
      break;
    }
    // Only into an idle queue: frames already waiting say we are alive, and a client that
    // stops reading must not grow the queue one heartbeat at a time.
    if (out_.empty()) enqueue(codec::heartbeat{});
  }
}

void server_session::maybe_finish() {
  if (!child_exited_ || !stdout_done_ || !stderr_done_) return;
  child_.stop_hang_up();
  if (tty_) {
    boost::system::error_code ignored;
    if (stdin_desc_) stdin_desc_->close(ignored);
    if (stdout_desc_) stdout_desc_->close(ignored);
  }
  enqueue(codec::close_frame{exit_.exit_code, exit_.signal}, true);
  // The command is gone: its stdin writer and the heartbeat have nothing left to do.
  stdin_.close();
  heartbeat_timer_.cancel();
}

void server_session::peer_gone(const std::string& why) {
  if (peer_gone_) return;
  peer_gone_ = true;
  bool finished = child_exited_ && stdout_done_ && stderr_done_;
  if (!finished) spdlog::info("session {} from {}: client gone ({})", id_, peer_, why);
  out_.close();
  stdin_.close();
  heartbeat_timer_.cancel();
  channel_->close();
  end_process_group();
}

void server_session::hang_up() {
  hung_up_ = true;
  open_timer_.cancel();
  if (!child_.spawned()) {
    fail("shutdown", "the server is shutting down");
    return;
  }
  end_process_group();
}

void server_session::end_process_group() {
  if (!child_.spawned() || (child_exited_ && stdout_done_ && stderr_done_)) return;
  child_.hang_up(settings_.kill_grace);  // maybe_finish stops it once everything ended
}

}  // namespace rstream::server
