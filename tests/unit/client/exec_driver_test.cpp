// client::exec driver: the exit-code decision and the report built from how a run ended.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/asio/post.hpp>
#include <thread>

#include "rstream/client/exec_driver.hpp"
#include "rstream/server/webtty_server.hpp"

using namespace rstream;
using client::client_outcome;
using client::exec_ending;

namespace {

exec_ending closed_with(int exit_code, int signal = 0) {
  exec_ending ending;
  ending.outcome.what = client_outcome::kind::closed;
  ending.outcome.exit_code = exit_code;
  ending.outcome.signal = signal;
  return ending;
}

exec_ending remote_error(const std::string& code, const std::string& message) {
  exec_ending ending;
  ending.outcome.what = client_outcome::kind::remote_error;
  ending.outcome.error_code = code;
  ending.outcome.message = message;
  return ending;
}

/// The client ended the session itself (a signal, broken stdout, `~.`, the timeout).
exec_ending detached(const std::string& message) {
  exec_ending ending;
  ending.outcome.what = client_outcome::kind::detached;
  ending.outcome.message = message;
  return ending;
}

client::exec_config config_for(const std::string& url,
                               std::vector<std::string> argv = {"sleep", "10"}) {
  client::exec_config config;
  config.url = url;
  config.argv = std::move(argv);
  return config;
}

/// The user's side of a run, in memory: stdin is `input`, output is recorded.
class fake_exec_io final : public client::exec_io {
 public:
  explicit fake_exec_io(std::string input) : input_(std::move(input)) {}

  bool write_stdout(std::span<const std::uint8_t> bytes) override {
    out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return true;
  }
  void write_stderr(std::span<const std::uint8_t> bytes) override {
    err.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  std::unique_ptr<stdin_forwarding> start_stdin(boost::asio::io_context&,
                                                stdin_sink sink) override {
    std::vector<std::uint8_t> bytes(input_.begin(), input_.end());
    sink.send(codec::data_frame(codec::stream_id::in, bytes, true), [this] { ++released; });
    return nullptr;
  }
  std::optional<client::window_size> current_window() override { return std::nullopt; }
  void enter_raw_mode() override { ++raw_mode_entered; }
  void restore_terminal() override { ++terminal_restored; }

  std::string out, err;
  int released = 0;
  int raw_mode_entered = 0;
  int terminal_restored = 0;

 private:
  std::string input_;
};

/// A WebTTY server on 127.0.0.1 with its own I/O thread, for the length of a test.
class threaded_server {
 public:
  threaded_server() : server_(io_, server::webtty_server_config{}) {
    std::string error;
    EXPECT_TRUE(server_.listen(error)) << error;
    server_.start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~threaded_server() {
    boost::asio::post(io_, [this] { server_.shutdown(); });
    thread_.join();
  }
  std::string url() const {
    return "tcp://127.0.0.1:" + std::to_string(server_.local_endpoint().port());
  }

 private:
  boost::asio::io_context io_;
  server::webtty_server server_;
  std::thread thread_;
};

}  // namespace

TEST(ClientExecDriver, RunsACommandWithStdinAndOutputThroughExecIo) {
  threaded_server server;
  auto config = config_for(server.url(), {"sh", "-c", "cat; echo oops >&2; exit 3"});
  config.forward_stdin = true;
  fake_exec_io io("hello\n");
  auto result = client::run_exec(config, io);
  EXPECT_EQ(result.exit_code, 3) << result.message;
  EXPECT_EQ(result.message, "");
  EXPECT_TRUE(result.ran);
  EXPECT_FALSE(result.report);
  EXPECT_EQ(io.out, "hello\n");
  EXPECT_EQ(io.err, "oops\n");
  EXPECT_EQ(io.released, 1);
  EXPECT_EQ(io.raw_mode_entered, 0);
  EXPECT_GE(io.terminal_restored, 1);
}

TEST(ClientExecDriver, JsonOutputIsCapturedIntoTheReportNotWritten) {
  threaded_server server;
  auto config =
      config_for(server.url(), {"sh", "-c", "printf 'a\\377'; printf e >&2; kill -TERM $$"});
  config.json_output = true;
  fake_exec_io io("");
  auto result = client::run_exec(config, io);
  ASSERT_TRUE(result.report);
  EXPECT_EQ(io.out, "");
  EXPECT_EQ(io.err, "");
  EXPECT_EQ(result.exit_code, 128 + SIGTERM);
  EXPECT_EQ(result.report->exit_code, 128 + SIGTERM);
  EXPECT_EQ(result.report->out.bytes, "a\xff");
  EXPECT_EQ(result.report->err.bytes, "e");
  EXPECT_EQ(result.report->signal, SIGTERM);
  EXPECT_EQ(result.report->signal_name, "SIGTERM");
  EXPECT_GT(result.report->pid, 0);
  EXPECT_EQ(result.report->url, server.url());
}

TEST(ClientExecDriver, AnUnreachableServerGives255AndAReportWithTheError) {
  auto config = config_for("tcp://127.0.0.1:1");
  config.json_output = true;
  fake_exec_io io("");
  auto result = client::run_exec(config, io);
  EXPECT_EQ(result.exit_code, 255);
  EXPECT_FALSE(result.message.empty());
  ASSERT_TRUE(result.report);
  EXPECT_EQ(result.report->error, result.message);
}

TEST(ClientExecDriver, TheRemoteExitCodeIsOurs) {
  auto verdict = client::judge_exec_ending(closed_with(7), config_for("tcp://h:1"));
  EXPECT_EQ(verdict.exit_code, 7);
  EXPECT_EQ(verdict.message, "");
  // Killed by a signal: the server's Close carries 128+N already.
  EXPECT_EQ(client::judge_exec_ending(closed_with(137, SIGKILL), {}).exit_code, 137);
}

TEST(ClientExecDriver, TimeoutGives124WithItsDuration) {
  auto config = config_for("tcp://h:1");
  config.timeout = std::chrono::milliseconds(1500);
  auto ending = detached("timed out");
  ending.timed_out = true;
  auto verdict = client::judge_exec_ending(ending, config);
  EXPECT_EQ(verdict.exit_code, 124);
  EXPECT_EQ(verdict.message, "command timed out after 1500 ms");
}

TEST(ClientExecDriver, ConnectionFailureGives255WithItsMessage) {
  exec_ending ending;
  ending.outcome.message = "connection refused";
  auto verdict = client::judge_exec_ending(ending, {});
  EXPECT_EQ(verdict.exit_code, 255);
  EXPECT_EQ(verdict.message, "connection refused");
}

TEST(ClientExecDriver, ServerRefusalGives255AndNamesTheCode) {
  auto verdict = client::judge_exec_ending(remote_error("unauthorized", "bad token"), {});
  EXPECT_EQ(verdict.exit_code, 255);
  EXPECT_EQ(verdict.message, "server refused: bad token (unauthorized)");
}

TEST(ClientExecDriver, SpawnErrorsGive127And126WithTheServersWords) {
  auto not_found =
      client::judge_exec_ending(remote_error("command_not_found", "nope: not found"), {});
  EXPECT_EQ(not_found.exit_code, 127);
  EXPECT_EQ(not_found.message, "nope: not found");
  auto not_exec = client::judge_exec_ending(remote_error("not_executable", "x: denied"), {});
  EXPECT_EQ(not_exec.exit_code, 126);
  EXPECT_EQ(not_exec.message, "x: denied");
}

TEST(ClientExecDriver, ALocalSignalGives128PlusItsNumber) {
  auto ending = detached("interrupted by SIGINT; the remote command was ended");
  ending.interrupted_by = SIGINT;
  auto verdict = client::judge_exec_ending(ending, {});
  EXPECT_EQ(verdict.exit_code, 128 + SIGINT);
  EXPECT_EQ(verdict.message, "interrupted by SIGINT; the remote command was ended");
}

TEST(ClientExecDriver, BrokenStdoutGives141Silently) {
  auto ending = detached("stdout closed");
  ending.stdout_broken = true;
  auto verdict = client::judge_exec_ending(ending, {});
  EXPECT_EQ(verdict.exit_code, 141);
  EXPECT_EQ(verdict.message, "");
}

TEST(ClientExecDriver, LeavingWithTildeDotSaysSoAndGives255) {
  auto ending = detached("left with ~.");
  ending.user_left = true;
  auto verdict = client::judge_exec_ending(ending, config_for("rstrm://box"));
  EXPECT_EQ(verdict.exit_code, 255);
  EXPECT_EQ(verdict.message, "connection to rstrm://box closed (~.)");
}

TEST(ClientExecDriver, TimeoutWinsOverEveryOtherEnding) {
  auto config = config_for("tcp://h:1");
  config.timeout = std::chrono::milliseconds(10);
  exec_ending ending;
  ending.timed_out = true;
  ending.stdout_broken = true;
  ending.interrupted_by = SIGTERM;
  EXPECT_EQ(client::judge_exec_ending(ending, config).exit_code, 124);
}

TEST(ClientExecDriver, ReportCarriesTheRunAndTheVerdict) {
  auto config = config_for("tcp://h:1");
  auto ending = closed_with(143, SIGTERM);
  ending.outcome.pid = 99;
  const client::exec_verdict verdict{143, ""};
  api::exec_captured_stream out;
  out.bytes = "partial";
  auto report =
      client::make_exec_report(config, ending, verdict, out, {}, std::chrono::milliseconds(12));
  EXPECT_EQ(report.url, "tcp://h:1");
  EXPECT_EQ(report.command, config.argv);
  EXPECT_EQ(report.exit_code, 143);
  EXPECT_EQ(report.out.bytes, "partial");
  EXPECT_EQ(report.duration_ms, 12);
  EXPECT_EQ(report.signal, SIGTERM);
  EXPECT_EQ(report.signal_name, "SIGTERM");
  EXPECT_EQ(report.pid, 99);
  EXPECT_FALSE(report.timed_out);
  EXPECT_EQ(report.error, "");
}

TEST(ClientExecDriver, ReportOfARefusalHasTheErrorAndItsCode) {
  auto ending = remote_error("unauthorized", "bad token");
  auto verdict = client::judge_exec_ending(ending, {});
  auto report = client::make_exec_report({}, ending, verdict, {}, {}, {});
  EXPECT_EQ(report.exit_code, 255);
  EXPECT_EQ(report.error, "server refused: bad token (unauthorized)");
  EXPECT_EQ(report.error_code, "unauthorized");
  EXPECT_EQ(report.signal_name, "");
}

TEST(ClientExecDriver, BadUrlsAreRefusedBeforeAnyRun) {
  struct no_io final : client::exec_io {
    bool write_stdout(std::span<const std::uint8_t>) override { return true; }
    void write_stderr(std::span<const std::uint8_t>) override {}
    std::unique_ptr<stdin_forwarding> start_stdin(boost::asio::io_context&, stdin_sink) override {
      return nullptr;
    }
    std::optional<client::window_size> current_window() override { return std::nullopt; }
    void enter_raw_mode() override {}
    void restore_terminal() override {}
  } io;
  auto result = client::run_exec(config_for("rstrm://a/b"), io);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.message, "invalid tunnel URL 'rstrm://a/b': expected rstrm://NAME");
  EXPECT_FALSE(result.ran);
  EXPECT_FALSE(result.report);
  result = client::run_exec(config_for("gopher://x"), io);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_FALSE(result.ran);
}
