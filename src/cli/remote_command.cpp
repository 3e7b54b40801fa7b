// Runs one remote command for `exec` and `client` (see remote_command.hpp).
#include "rstream/cli/remote_command.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "rstream/base/base64.hpp"
#include "rstream/base/log_failure.hpp"
#include "rstream/base/utf8.hpp"
#include "rstream/cli/common.hpp"
#include "rstream/cli/local_terminal.hpp"
#include "rstream/common/pipe_buffer.hpp"
#include "rstream/config/contexts.hpp"
#include "rstream/e2e/key_store.hpp"
#include "rstream/session/client_session.hpp"
#include "rstream/session/e2e_session.hpp"
#include "rstream/tunnel/connector.hpp"

namespace asio = boost::asio;

namespace rstream::cli {
namespace {

/// Output captured for --output json, bounded per stream.
struct captured_output {
  static constexpr std::size_t limit = 64 * 1024 * 1024;
  std::string bytes;
  bool truncated = false;
  void append(std::span<const std::uint8_t> data) {
    std::size_t room = limit - std::min(limit, bytes.size());
    if (data.size() > room) truncated = true;
    bytes.append(reinterpret_cast<const char*>(data.data()), std::min(room, data.size()));
  }
};

/// The text with every invalid UTF-8 byte replaced by U+FFFD; `valid` says whether any was.
std::string sanitize_utf8(const std::string& s, bool& valid) {
  valid = true;
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    if (auto len = base::utf8_sequence_length(s, i)) {
      out.append(s, i, len);
      i += len;
    } else {
      valid = false;
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

/// Adds "<name>" (UTF-8 text, invalid bytes replaced) and, when the bytes are not valid
/// UTF-8, "<name>_base64" with the exact bytes.
void add_stream(nlohmann::json& report, const char* name, const captured_output& out) {
  bool valid = true;
  report[name] = sanitize_utf8(out.bytes, valid);
  if (!valid) report[std::string(name) + "_base64"] = base::base64(out.bytes);
  if (out.truncated) report[std::string(name) + "_truncated"] = true;
}

/// One run of a remote command: the local side's state and the coroutine that drives it.
class remote_command_run {
 public:
  /// `url` for direct connections; `engine` (with `target`) for rstrm:// through an engine.
  remote_command_run(const remote_command_options& options, transport::endpoint_url url,
                     std::optional<config::resolved_engine> engine, std::string target)
      : options_(options),
        url_(std::move(url)),
        engine_(std::move(engine)),
        target_(std::move(target)) {
    const bool stdin_is_tty = ::isatty(STDIN_FILENO) == 1;
    forward_stdin_ = !stdin_is_tty || options.force_stdin || options.interactive_client;
    raw_mode_ = options.allocate_tty && stdin_is_tty && forward_stdin_;
    open_ = make_open_request();
  }

  int run() {
    started_at_ = std::chrono::steady_clock::now();
    asio::co_spawn(io_, drive(), [this](std::exception_ptr e) {
      if (!e) return;
      outcome_.what = session::client_outcome::kind::connection_failed;
      outcome_.message = "internal error: " + base::exception_text(e);
    });
    io_.run();
    restore_terminal();
    return report();
  }

 private:
  codec::open_request make_open_request() const {
    codec::open_request open;
    open.argv = options_.argv;
    open.login_shell = options_.argv.empty();
    open.env = options_.env;
    open.workdir = options_.workdir;
    open.interactive = forward_stdin_;
    open.allocate_tty = options_.allocate_tty;
    open.heartbeat_ms = static_cast<std::uint32_t>(options_.heartbeat.count());
    // WebSocket carries the token in its Authorization header; raw streams in Open.
    // Through an engine, the engine checks the token (in Route) and the server trusts it.
    open.token = url_.uses_websocket() || engine_ ? std::string() : options_.connect.token;
    if (options_.allocate_tty) {
      auto size = terminal_size(STDIN_FILENO);
      if (!size) size = terminal_size(STDOUT_FILENO);
      if (size) std::tie(open.cols, open.rows) = *size;
      bool has_term = false;
      for (auto& [k, v] : open.env) has_term = has_term || k == "TERM";
      const char* term = std::getenv("TERM");
      if (!has_term) open.env.emplace_back("TERM", term && *term ? term : "xterm-256color");
    }
    return open;
  }

  void deliver_output(codec::stream_id stream, std::span<const std::uint8_t> bytes) {
    if (options_.json_output) {
      (stream == codec::stream_id::err ? err_capture_ : out_capture_).append(bytes);
      return;
    }
    int fd = stream == codec::stream_id::err ? STDERR_FILENO : STDOUT_FILENO;
    if (raw_mode_ && fd == STDOUT_FILENO) modes_.scan(bytes);
    if (!write_all(fd, bytes) && errno == EPIPE && fd == STDOUT_FILENO && !stdout_broken_) {
      // Our reader went away (e.g. `| head`): end the remote command like a broken pipe would.
      stdout_broken_ = true;
      if (session_) session_->stop(session::client_outcome::kind::detached, "stdout closed");
    }
  }

  void deliver_stdin(codec::data_frame chunk, stdin_reader::release_fn release) {
    if (!session_) return release();
    if (raw_mode_ && options_.interactive_client && !chunk.end_of_stream()) {
      bool leave = false;
      auto typed = escapes_.filter(chunk.bytes(), leave);
      if (leave) {
        user_left_ = true;
        release();
        session_->stop(session::client_outcome::kind::detached, "left with ~.");
        return;
      }
      chunk = codec::data_frame(codec::stream_id::in, typed);
      if (chunk.bytes().empty()) return release();  // all held back by the escape filter
    }
    session_->send_stdin(std::move(chunk), std::move(release));
  }

  /// Pipes and sockets are read on the I/O thread itself (non-blocking, restored at the end):
  /// no hand-off between threads per chunk. Terminals and regular files use stdin_reader.
  static bool stdin_is_pollable() {
    struct stat st {};
    return ::fstat(STDIN_FILENO, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
  }

  /// /dev/null (what benchmarks, cron and `</dev/null` give us) has nothing to read: its end
  /// is sent at once, without starting a reader thread.
  static bool stdin_is_null_device() {
    struct stat st {};
    struct stat null_device {};
    return ::fstat(STDIN_FILENO, &st) == 0 && S_ISCHR(st.st_mode) &&
           ::stat("/dev/null", &null_device) == 0 && st.st_rdev == null_device.st_rdev;
  }

  asio::awaitable<void> pump_stdin_on_io_thread() {
    constexpr std::size_t prefix = codec::data_frame::prefix_size;
    constexpr std::size_t chunk_bytes = 256 * 1024;
    constexpr int max_in_flight = 4;
    const int fd = STDIN_FILENO;
    const int saved_flags = ::fcntl(fd, F_GETFL);
    ::fcntl(fd, F_SETFL, saved_flags | O_NONBLOCK);
    stdin_pump_running_ = true;
    bool grown = false;
    while (session_) {
      while (stdin_in_flight_ >= max_in_flight && session_) co_await stdin_event_.wait();
      if (!session_) break;
      std::vector<std::uint8_t> buffer(prefix + chunk_bytes);
      ssize_t n = ::read(fd, buffer.data() + prefix, chunk_bytes);
      if (n > 0) {
        // Bulk input: a larger pipe lets the writer run ahead, so we read fewer, larger chunks.
        grow_pipe_for_bulk(fd, static_cast<std::size_t>(n), grown);
        buffer.resize(prefix + static_cast<std::size_t>(n));
        ++stdin_in_flight_;
        session_->send_stdin(codec::data_frame::wrap(std::move(buffer), codec::stream_id::in),
                             [this] {
                               --stdin_in_flight_;
                               stdin_event_.notify();
                             });
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        stdin_waiter_.emplace(io_, ::dup(fd));
        co_await stdin_waiter_->async_wait(asio::posix::stream_descriptor::wait_read, use_nothrow);
        stdin_waiter_.reset();
      } else {
        session_->send_stdin(codec::data_frame(codec::stream_id::in, {}, true));
        break;
      }
    }
    ::fcntl(fd, F_SETFL, saved_flags);
    stdin_pump_running_ = false;
    stdin_event_.notify();
  }

  void start_stdin_pump() {
    asio::co_spawn(io_, pump_stdin_on_io_thread(), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
  }

  void wait_signal() {
    signals_.async_wait([this](boost::system::error_code ec, int sig) {
      if (ec || !session_) return;
      // exec forwards SIGINT and SIGTERM to the remote process group. The client gives up
      // (128 + signal) on SIGHUP, before the command started, in a raw terminal (where
      // Ctrl-C is just a byte), on a third SIGINT, on a second SIGTERM, or when the command
      // is still running a grace period after a forwarded SIGTERM.
      int& count = sig == SIGTERM ? forwarded_terms_ : forwarded_ints_;
      bool give_up =
          raw_mode_ || sig == SIGHUP || !session_->started() || ++count > (sig == SIGTERM ? 1 : 2);
      if (give_up) {
        leave(sig);
        return;
      }
      session_->send_signal(sig);
      if (sig == SIGTERM) {
        term_grace_.expires_after(std::chrono::seconds(5));
        term_grace_.async_wait([this](boost::system::error_code e) {
          if (!e && session_) leave(SIGTERM);
        });
      }
      wait_signal();
    });
  }

  void leave(int sig) {
    interrupted_by_ = sig;
    const char* name = ::sigabbrev_np(sig);
    session_->stop(session::client_outcome::kind::detached,
                   std::string("interrupted by SIG") + (name ? name : "?") +
                       (session_->started() ? "; the remote command was ended" : ""));
  }

  void wait_window_change() {
    winch_.async_wait([this](boost::system::error_code ec, int) {
      if (ec || !session_) return;
      if (auto size = terminal_size(STDIN_FILENO)) session_->send_resize(size->first, size->second);
      wait_window_change();
    });
  }

  using client_e2e_settings = session::client_e2e_settings;

  /// What this client knows about the server's endpoint identity (known-server entries are
  /// named by tunnel name, or HOST:PORT for direct URLs) and which identity would prove ours.
  /// Without a pin no key file is read: a server that requires E2E is refused as not pinned
  /// before it could ask for our proof, and one without E2E needs none.
  client_e2e_settings e2e_settings_for_server() const {
    client_e2e_settings settings;
    settings.server_name =
        engine_ ? target_
                : (url_.host.find(':') != std::string::npos ? "[" + url_.host + "]" : url_.host) +
                      ":" + std::to_string(url_.port);
    e2e::key_store store;
    std::optional<e2e::known_server> entry;
    if (auto found = store.find_known_server(settings.server_name); found && *found) {
      entry = **found;
      settings.pinned = entry->key;
    }
    if (!settings.pinned) return settings;
    auto chosen = store.choose_client_identity(entry, options_.client_identity);
    if (!chosen) {
      settings.identity_problem = chosen.error().message;
      return settings;
    }
    auto loaded = store.load_identity(*chosen);
    if (!loaded) {
      settings.identity_problem = loaded.error().message;
      return settings;
    }
    settings.client_identity = std::make_shared<const e2e::identity>(std::move(*loaded));
    return settings;
  }

  asio::awaitable<void> drive() {
    transport::connect_result connected;
    if (engine_) {
      connected = co_await tunnel::connect_route(engine_->engine, engine_->token, target_,
                                                 options_.connect);
    } else {
      connected = co_await transport::connect(url_, options_.connect);
    }
    if (!connected.channel) {
      outcome_.message = connected.error;
      co_return;
    }
    // Ask the server whether it requires end-to-end encryption before anything of the
    // session leaves this process.
    session::client_e2e_settings_source settings_source = [this] {
      return e2e_settings_for_server();
    };
    auto e2e =
        co_await session::negotiate_client_e2e(std::move(connected.channel), settings_source);
    if (!e2e.channel) {
      outcome_.message = e2e.error;
      co_return;
    }
    connected.channel = std::move(e2e.channel);
    session::client_session session(
        std::move(connected.channel), open_,
        [this](codec::stream_id s, std::span<const std::uint8_t> b) { deliver_output(s, b); });
    session_ = &session;
    wait_signal();
    if (raw_mode_) wait_window_change();
    if (options_.timeout) {
      deadline_.expires_after(*options_.timeout);
      deadline_.async_wait([this](boost::system::error_code ec) {
        if (ec || !session_) return;
        timed_out_ = true;
        session_->send_signal(SIGTERM);
        session_->stop(session::client_outcome::kind::detached, "timed out");
      });
    }
    std::optional<stdin_reader> reader;
    if (forward_stdin_ && !raw_mode_ && stdin_is_pollable()) {
      start_stdin_pump();
    } else if (forward_stdin_ && !stdin_is_null_device()) {
      reader.emplace(
          STDIN_FILENO, [this](std::function<void()> fn) { asio::post(io_, std::move(fn)); },
          [this](codec::data_frame chunk, stdin_reader::release_fn release) {
            deliver_stdin(std::move(chunk), std::move(release));
          });
    } else {
      session.send_stdin(codec::data_frame(codec::stream_id::in, {}, true));
    }
    if (raw_mode_) terminal_.enable(STDIN_FILENO);

    outcome_ = co_await session.run();
    session_ = nullptr;
    reader.reset();
    stdin_event_.notify();
    if (stdin_waiter_) {
      boost::system::error_code ignored;
      stdin_waiter_->cancel(ignored);
    }
    while (stdin_pump_running_) co_await stdin_event_.wait();
    deadline_.cancel();
    term_grace_.cancel();
    boost::system::error_code ignored;
    signals_.cancel(ignored);
    winch_.cancel(ignored);
    restore_terminal();
  }

  /// Undoes the modes the command switched on and left on (it was cut off, e.g. by ~.: the
  /// alternate screen, a hidden cursor, mouse reporting...), then the line discipline.
  void restore_terminal() {
    const std::string reset = modes_.reset_sequence();
    if (!reset.empty() && !stdout_broken_ && ::isatty(STDOUT_FILENO) == 1) {
      (void)write_all(STDOUT_FILENO,
                      std::span(reinterpret_cast<const std::uint8_t*>(reset.data()), reset.size()));
    }
    modes_ = {};
    terminal_.restore();
  }

  /// Prints the JSON report and/or the error line; returns the exit code.
  int report() {
    const auto duration = std::chrono::steady_clock::now() - started_at_;
    int code = session::local_exit_code(outcome_);
    std::string message;
    if (timed_out_) {
      code = exit_timeout;
      message = "command timed out after " + std::to_string(options_.timeout->count()) + " ms";
    } else if (stdout_broken_) {
      code = 128 + SIGPIPE;
    } else if (user_left_) {
      message = "connection to " + options_.url + " closed (~.)";
    } else if (interrupted_by_) {
      code = 128 + interrupted_by_;
      message = outcome_.message;
    } else if (outcome_.what == session::client_outcome::kind::remote_error) {
      bool spawn_error =
          outcome_.error_code == "command_not_found" || outcome_.error_code == "not_executable";
      message = spawn_error
                    ? outcome_.message
                    : "server refused: " + outcome_.message + " (" + outcome_.error_code + ")";
    } else if (outcome_.what != session::client_outcome::kind::closed) {
      message = outcome_.message;
    }

    if (options_.json_output) {
      nlohmann::json report;
      report["url"] = options_.url;
      report["command"] = options_.argv;
      report["exit_code"] = code;
      add_stream(report, "stdout", out_capture_);
      add_stream(report, "stderr", err_capture_);
      report["duration_ms"] =
          std::chrono::duration_cast<std::chrono::milliseconds>(duration).count();
      if (outcome_.signal) {
        report["signal"] = outcome_.signal;
        if (const char* abbrev = ::sigabbrev_np(outcome_.signal)) {
          report["signal_name"] = std::string("SIG") + abbrev;
        }
      }
      if (outcome_.pid) report["pid"] = outcome_.pid;
      if (timed_out_) report["timed_out"] = true;
      if (!message.empty()) report["error"] = message;
      if (!outcome_.error_code.empty()) report["error_code"] = outcome_.error_code;
      auto text = report.dump() + "\n";
      write_all(STDOUT_FILENO,
                std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
    }
    if (!message.empty()) {
      // After a full-screen program the cursor may be anywhere: start a line of our own.
      if (raw_mode_)
        write_all(STDERR_FILENO, std::span(reinterpret_cast<const std::uint8_t*>("\r\n"), 2));
      print_error(message);
    }
    return code;
  }

  const remote_command_options& options_;
  transport::endpoint_url url_;
  std::optional<config::resolved_engine> engine_;
  std::string target_;
  bool forward_stdin_ = false;
  bool raw_mode_ = false;
  codec::open_request open_;

  asio::io_context io_{1};
  asio::signal_set signals_{io_, SIGINT, SIGTERM, SIGHUP};
  asio::signal_set winch_{io_, SIGWINCH};
  asio::steady_timer deadline_{io_};
  asio::steady_timer term_grace_{io_};
  async_event stdin_event_{io_.get_executor()};
  std::optional<asio::posix::stream_descriptor> stdin_waiter_;  ///< a dup of fd 0, for waiting
  int stdin_in_flight_ = 0;
  bool stdin_pump_running_ = false;
  raw_terminal terminal_;
  escape_filter escapes_;
  terminal_mode_tracker modes_;
  session::client_session* session_ = nullptr;

  captured_output out_capture_, err_capture_;
  session::client_outcome outcome_;
  std::chrono::steady_clock::time_point started_at_;
  int forwarded_ints_ = 0;
  int forwarded_terms_ = 0;
  int interrupted_by_ = 0;
  bool timed_out_ = false;
  bool stdout_broken_ = false;
  bool user_left_ = false;
};

}  // namespace

int run_remote_command(const remote_command_options& options) {
  constexpr std::string_view tunnel_scheme = "rstrm://";
  if (options.url.rfind(tunnel_scheme, 0) == 0) {
    std::string target = options.url.substr(tunnel_scheme.size());
    while (!target.empty() && target.back() == '/') target.pop_back();
    if (target.empty() || target.find('/') != std::string::npos) {
      print_error("invalid tunnel URL '" + options.url + "': expected rstrm://NAME");
      return exit_usage;
    }
    std::string error;
    auto engine = config::resolve_engine(options.context, error);
    if (!engine) {
      print_error(error);
      return exit_remote_failure;
    }
    remote_command_run run(options, {}, std::move(engine), std::move(target));
    return run.run();
  }
  std::string url_error;
  auto url = transport::parse_endpoint_url(options.url, url_error);
  if (!url) {
    print_error(url_error);
    return exit_usage;
  }
  remote_command_run run(options, std::move(*url), std::nullopt, {});
  return run.run();
}

}  // namespace rstream::cli
