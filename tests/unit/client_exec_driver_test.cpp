// client::exec driver: the exit-code decision and the report built from how a run ended.
#include <gtest/gtest.h>
#include <signal.h>

#include "rstream/client/exec_driver.hpp"

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

client::exec_config config_for(const std::string& url) {
  client::exec_config config;
  config.url = url;
  config.argv = {"sleep", "10"};
  return config;
}

}  // namespace

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
  auto ending = closed_with(0);
  ending.outcome.what = client_outcome::kind::detached;
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
  exec_ending ending;
  ending.outcome.what = client_outcome::kind::detached;
  ending.outcome.message = "interrupted by SIGINT; the remote command was ended";
  ending.interrupted_by = SIGINT;
  auto verdict = client::judge_exec_ending(ending, {});
  EXPECT_EQ(verdict.exit_code, 128 + SIGINT);
  EXPECT_EQ(verdict.message, "interrupted by SIGINT; the remote command was ended");
}

TEST(ClientExecDriver, BrokenStdoutGives141Silently) {
  exec_ending ending;
  ending.outcome.what = client_outcome::kind::detached;
  ending.outcome.message = "stdout closed";
  ending.stdout_broken = true;
  auto verdict = client::judge_exec_ending(ending, {});
  EXPECT_EQ(verdict.exit_code, 141);
  EXPECT_EQ(verdict.message, "");
}

TEST(ClientExecDriver, LeavingWithTildeDotSaysSoAndGives255) {
  exec_ending ending;
  ending.outcome.what = client_outcome::kind::detached;
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
