// The exec driver: one remote command from URL to exit code (see exec_driver.hpp).
#include "rstream/client/exec_driver.hpp"

#include <signal.h>
#include <string.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "rstream/api/error_reply.hpp"
#include "rstream/base/log_failure.hpp"
#include "rstream/client/server_url.hpp"
#include "rstream/config/contexts.hpp"
#include "rstream/e2e/key_store.hpp"
#include "rstream/client/e2e_negotiation.hpp"
#include "rstream/tunnel/connector.hpp"
#include "rstream/base/host_port.hpp"

namespace asio = boost::asio;

namespace rstream::client {
namespace {

/// "SIGTERM" for SIGTERM; empty when the number has no name.
std::string signal_name(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : std::string();
}

/// One run of a remote command: the session, signals, timeout and output capture.
class exec_run {
 public:
  /// `url` for direct connections; `engine` (with `target`) for rstrm:// through an engine.
  exec_run(const exec_config& config, exec_io& io, transport::endpoint_url url,
           std::optional<config::resolved_engine> engine, std::string target)
      : config_(config),
        io_(io),
        url_(std::move(url)),
        engine_(std::move(engine)),
        target_(std::move(target)),
        open_(make_open_request()) {}

  exec_result run() {
    const auto started_at = std::chrono::steady_clock::now();
    asio::co_spawn(context_, drive(), [this](std::exception_ptr e) {
      if (!e) return;
      ending_.outcome.what = client_outcome::kind::connection_failed;
      ending_.outcome.message = "internal error: " + base::exception_text(e);
    });
    context_.run();
    io_.restore_terminal();
    const auto duration = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started_at);
    exec_result result;
    auto verdict = judge_exec_ending(ending_, config_);
    if (config_.json_output) {
      result.report = make_exec_report(config_, ending_, verdict, std::move(out_capture_),
                                       std::move(err_capture_), duration);
    }
    result.exit_code = verdict.exit_code;
    result.message = std::move(verdict.message);
    result.ran = true;
    return result;
  }

 private:
  codec::open_request make_open_request() const {
    codec::open_request open;
    open.argv = config_.argv;
    open.login_shell = config_.argv.empty();
    open.env = config_.env;
    open.workdir = config_.workdir;
    open.interactive = config_.forward_stdin;
    open.allocate_tty = config_.allocate_tty;
    open.heartbeat_ms = static_cast<std::uint32_t>(config_.heartbeat.count());
    open.origin = config_.origin;
    open.group = config_.group;
    // WebSocket carries the token in its Authorization header; raw streams in Open.
    // Through an engine, the engine checks the token (in Route) and the server trusts it.
    open.token = url_.uses_websocket() || engine_ ? std::string() : config_.connect.token;
    if (config_.allocate_tty) {
      if (config_.window) std::tie(open.cols, open.rows) = *config_.window;
      bool has_term = false;
      for (auto& [k, v] : open.env) has_term = has_term || k == "TERM";
      if (!has_term) {
        open.env.emplace_back("TERM",
                              config_.local_term.empty() ? "xterm-256color" : config_.local_term);
      }
    }
    return open;
  }

  void deliver_output(codec::stream_id stream, std::span<const std::uint8_t> bytes) {
    if (config_.json_output) {
      (stream == codec::stream_id::err ? err_capture_ : out_capture_).append(bytes);
      return;
    }
    if (stream == codec::stream_id::err) {
      io_.write_stderr(bytes);
    } else if (!io_.write_stdout(bytes) && !ending_.stdout_broken) {
      // Our reader went away (e.g. `| head`): end the remote command like a broken pipe would.
      ending_.stdout_broken = true;
      if (session_) session_->stop(client_outcome::kind::detached, "stdout closed");
    }
  }

  exec_io::stdin_sink make_stdin_sink() {
    exec_io::stdin_sink sink;
    sink.send = [this](codec::data_frame chunk, exec_io::release_fn release) {
      if (!session_) {
        if (release) release();
        return;
      }
      session_->send_stdin(std::move(chunk), std::move(release));
    };
    sink.leave = [this] {
      if (!session_) return;
      ending_.user_left = true;
      session_->stop(client_outcome::kind::detached, "left with ~.");
    };
    return sink;
  }

  void wait_signal() {
    signals_.async_wait([this](boost::system::error_code ec, int sig) {
      if (ec || !session_) return;
      // exec forwards SIGINT and SIGTERM to the remote process group. The client gives up
      // (128 + signal) on SIGHUP, before the command started, in a raw terminal (where
      // Ctrl-C is just a byte), on a third SIGINT, on a second SIGTERM, or when the command
      // is still running a grace period after a forwarded SIGTERM.
      int& count = sig == SIGTERM ? forwarded_terms_ : forwarded_ints_;
      bool give_up = config_.raw_terminal || sig == SIGHUP || !session_->started() ||
                     ++count > (sig == SIGTERM ? 1 : 2);
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
    ending_.interrupted_by = sig;
    const std::string name = signal_name(sig);
    session_->stop(client_outcome::kind::detached,
                   "interrupted by " + (name.empty() ? std::string("SIG?") : name) +
                       (session_->started() ? "; the remote command was ended" : ""));
  }

  void wait_window_change() {
    winch_.async_wait([this](boost::system::error_code ec, int) {
      if (ec || !session_) return;
      if (auto size = io_.current_window()) session_->send_resize(size->first, size->second);
      wait_window_change();
    });
  }

  /// What this client knows about the server's endpoint identity (known-server entries are
  /// named by tunnel name, or HOST:PORT for direct URLs) and which identity would prove ours.
  /// Without a pin no key file is read: a server that requires E2E is refused as not pinned
  /// before it could ask for our proof, and one without E2E needs none.
  client_e2e_settings e2e_settings_for_server() const {
    client_e2e_settings settings;
    settings.server_name = engine_ ? target_ : base::host_port(url_.host, url_.port);
    e2e::key_store store;
    std::optional<e2e::known_server> entry;
    if (auto found = store.find_known_server(settings.server_name); found && *found) {
      entry = **found;
      settings.pinned = entry->key;
    }
    if (!settings.pinned) return settings;
    auto chosen = store.choose_client_identity(entry, config_.client_identity);
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

  /// Connects (directly or through the engine) and negotiates E2E; nullptr with
  /// ending_.outcome.message set on failure.
  asio::awaitable<std::unique_ptr<transport::frame_channel>> connect() {
    transport::connect_result connected;
    if (engine_) {
      connected =
          co_await tunnel::connect_route(engine_->engine, engine_->token, target_, config_.connect);
    } else {
      connected = co_await transport::connect(url_, config_.connect);
    }
    if (!connected.channel) {
      ending_.outcome.message = connected.error;
      co_return nullptr;
    }
    // Ask the server whether it requires end-to-end encryption before anything of the
    // session leaves this process.
    client_e2e_settings_source settings_source = [this] { return e2e_settings_for_server(); };
    auto e2e = co_await negotiate_client_e2e(std::move(connected.channel), settings_source);
    if (!e2e.channel) ending_.outcome.message = e2e.error;
    co_return std::move(e2e.channel);
  }

  void start_timeout() {
    deadline_.expires_after(*config_.timeout);
    deadline_.async_wait([this](boost::system::error_code ec) {
      if (ec || !session_) return;
      ending_.timed_out = true;
      session_->send_signal(SIGTERM);
      session_->stop(client_outcome::kind::detached, "timed out");
    });
  }

  asio::awaitable<void> drive() {
    auto channel = co_await connect();
    if (!channel) co_return;
    client_session session(
        std::move(channel), open_,
        [this](codec::stream_id s, std::span<const std::uint8_t> b) { deliver_output(s, b); });
    session_ = &session;
    wait_signal();
    if (config_.raw_terminal) wait_window_change();
    if (config_.timeout) start_timeout();
    std::unique_ptr<exec_io::stdin_forwarding> stdin_forwarding;
    if (config_.forward_stdin) {
      stdin_forwarding = io_.start_stdin(context_, make_stdin_sink());
    } else {
      session.send_stdin(codec::data_frame(codec::stream_id::in, {}, true));
    }
    if (config_.raw_terminal) io_.enter_raw_mode();

    ending_.outcome = co_await session.run();
    session_ = nullptr;
    if (stdin_forwarding) {
      co_await stdin_forwarding->stop();
      stdin_forwarding.reset();
    }
    deadline_.cancel();
    term_grace_.cancel();
    boost::system::error_code ignored;
    signals_.cancel(ignored);
    winch_.cancel(ignored);
    io_.restore_terminal();
  }

  const exec_config& config_;
  exec_io& io_;
  transport::endpoint_url url_;
  std::optional<config::resolved_engine> engine_;
  std::string target_;
  codec::open_request open_;

  asio::io_context context_{1};
  asio::signal_set signals_{context_, SIGINT, SIGTERM, SIGHUP};
  asio::signal_set winch_{context_, SIGWINCH};
  asio::steady_timer deadline_{context_};
  asio::steady_timer term_grace_{context_};
  client_session* session_ = nullptr;

  api::exec_captured_stream out_capture_, err_capture_;
  exec_ending ending_;
  int forwarded_ints_ = 0;
  int forwarded_terms_ = 0;
};

}  // namespace

exec_verdict judge_exec_ending(const exec_ending& ending, const exec_config& config) {
  const client_outcome& outcome = ending.outcome;
  exec_verdict verdict{local_exit_code(outcome), {}};
  if (ending.timed_out) {
    verdict.exit_code = api::exit_timeout;
    verdict.message = "command timed out after " +
                      std::to_string(config.timeout ? config.timeout->count() : 0) + " ms";
  } else if (ending.stdout_broken) {
    verdict.exit_code = api::exit_broken_pipe;
  } else if (ending.user_left) {
    verdict.message = "connection to " + config.url + " closed (~.)";
  } else if (ending.interrupted_by) {
    verdict.exit_code = 128 + ending.interrupted_by;
    verdict.message = outcome.message;
  } else if (outcome.what == client_outcome::kind::remote_error) {
    verdict.message = api::describe_refusal(outcome.error_code, outcome.message);
  } else if (outcome.what != client_outcome::kind::closed) {
    verdict.message = outcome.message;
  }
  return verdict;
}

api::exec_report make_exec_report(const exec_config& config, const exec_ending& ending,
                                  const exec_verdict& verdict, api::exec_captured_stream out,
                                  api::exec_captured_stream err,
                                  std::chrono::milliseconds duration) {
  api::exec_report report;
  report.url = config.url;
  report.command = config.argv;
  report.exit_code = verdict.exit_code;
  report.out = std::move(out);
  report.err = std::move(err);
  report.duration_ms = duration.count();
  report.signal = ending.outcome.signal;
  if (report.signal) report.signal_name = signal_name(report.signal);
  report.pid = ending.outcome.pid;
  report.session_id = ending.outcome.session_id;
  report.timed_out = ending.timed_out;
  report.error = verdict.message;
  report.error_code = ending.outcome.error_code;
  return report;
}

exec_result run_exec(const exec_config& config, exec_io& io) {
  if (is_tunnel_url(config.url)) {
    exec_result refused;
    auto tunnel =
        resolve_tunnel_url(config.url, config.context, refused.exit_code, refused.message);
    if (!tunnel) return refused;
    return exec_run(config, io, {}, std::move(tunnel->engine), std::move(tunnel->name)).run();
  }
  std::string url_error;
  auto url = transport::parse_endpoint_url(config.url, url_error);
  if (!url) return {api::exit_usage, url_error};
  return exec_run(config, io, std::move(*url), std::nullopt, {}).run();
}

}  // namespace rstream::client
