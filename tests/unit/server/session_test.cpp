// In-process tests of the session layer: a webtty_server and client_sessions on one
// io_context, over raw TCP and WebSocket, running real commands.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "rstream/client/client_session.hpp"
#include "rstream/server/webtty_server.hpp"
#include "rstream/transport/connect.hpp"
#include <spdlog/spdlog.h>

namespace asio = boost::asio;
using namespace rstream;

namespace {

struct session_result {
  client::client_outcome outcome;
  std::string out, err;
  std::string connect_error;
};

/// Runs one command through a fresh in-process server; bounded by a 20 s deadline.
class session_fixture : public ::testing::TestWithParam<std::string> {
 protected:
  session_result run(codec::open_request open, const std::string& stdin_bytes = {},
                     const std::string& server_token = {}, const std::string& client_token = {}) {
    asio::io_context io;
    server::webtty_server_config config;
    config.session.token = server_token;
    server::webtty_server server(io, config);
    std::string error;
    EXPECT_TRUE(server.listen(error)) << error;
    server.start();

    session_result result;
    transport::endpoint_url url;
    url.scheme = GetParam();
    url.host = "127.0.0.1";
    url.port = server.local_endpoint().port();
    url.path = url.uses_websocket() ? "/webtty" : "";
    open.token = url.uses_websocket() ? "" : client_token;
    transport::connect_options options;
    options.token = client_token;

    asio::co_spawn(io, drive(io, server, url, options, std::move(open), stdin_bytes, result),
                   [&](std::exception_ptr e) {
                     if (e) std::rethrow_exception(e);
                   });
    asio::steady_timer deadline(io, std::chrono::seconds(20));
    deadline.async_wait([&](boost::system::error_code ec) {
      if (!ec) io.stop();
    });
    io.run();
    return result;
  }

  static asio::awaitable<void> drive(asio::io_context& io, server::webtty_server& server,
                                     transport::endpoint_url url,
                                     transport::connect_options options, codec::open_request open,
                                     std::string stdin_bytes, session_result& result) {
    auto connected = co_await transport::connect(url, options);
    if (!connected.channel) {
      result.connect_error = connected.error;
    } else {
      client::client_session client(
          std::move(connected.channel), std::move(open),
          [&result](codec::stream_id s, std::span<const std::uint8_t> bytes) {
            (s == codec::stream_id::err ? result.err : result.out)
                .append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
          });
      std::vector<std::uint8_t> input(stdin_bytes.begin(), stdin_bytes.end());
      client.send_stdin(codec::data_frame(codec::stream_id::in, input, true));
      result.outcome = co_await client.run();
    }
    server.shutdown([&io] { io.stop(); });
  }
};

codec::open_request command(std::vector<std::string> argv) {
  codec::open_request open;
  open.argv = std::move(argv);
  open.interactive = true;
  return open;
}

}  // namespace

TEST_P(session_fixture, SeparatesStreamsAndPropagatesExitCode) {
  auto r = run(command({"sh", "-c", "printf out; printf err >&2; exit 5"}));
  ASSERT_EQ(r.connect_error, "");
  EXPECT_EQ(r.outcome.what, client::client_outcome::kind::closed) << r.outcome.message;
  EXPECT_EQ(r.outcome.exit_code, 5);
  EXPECT_EQ(r.out, "out");
  EXPECT_EQ(r.err, "err");
  EXPECT_GT(r.outcome.pid, 0);
}

TEST_P(session_fixture, StdinRoundTripKeepsEveryByteInOrder) {
  std::string input;
  for (int i = 0; i < 200000; ++i) input += static_cast<char>((i * 7919) % 251);
  auto r = run(command({"cat"}), input);
  EXPECT_EQ(r.outcome.exit_code, 0) << r.outcome.message;
  EXPECT_EQ(r.out.size(), input.size());
  EXPECT_TRUE(r.out == input);
}

TEST_P(session_fixture, KilledBySignalReportsSignal) {
  auto r = run(command({"sh", "-c", "kill -9 $$"}));
  EXPECT_EQ(r.outcome.exit_code, 137);
  EXPECT_EQ(r.outcome.signal, 9);
  EXPECT_EQ(client::local_exit_code(r.outcome), 137);
}

TEST_P(session_fixture, CommandNotFoundIs127) {
  auto r = run(command({"rstream-no-such-command"}));
  EXPECT_EQ(r.outcome.what, client::client_outcome::kind::remote_error);
  EXPECT_EQ(r.outcome.error_code, "command_not_found");
  EXPECT_NE(r.outcome.message.find("rstream-no-such-command"), std::string::npos);
  EXPECT_EQ(client::local_exit_code(r.outcome), 127);
}

TEST_P(session_fixture, TokenIsRequiredAndChecked) {
  auto missing = run(command({"true"}), "", "s3cret", "");
  EXPECT_EQ(missing.outcome.error_code, "unauthorized");
  auto wrong = run(command({"true"}), "", "s3cret", "s3cre7");
  EXPECT_EQ(wrong.outcome.error_code, "unauthorized");
  auto right = run(command({"true"}), "", "s3cret", "s3cret");
  EXPECT_EQ(right.outcome.what, client::client_outcome::kind::closed) << right.outcome.message;
  EXPECT_EQ(right.outcome.exit_code, 0);
}

TEST_P(session_fixture, PtyMergesOutputIntoStdout) {
  auto open = command({"sh", "-c", "test -t 1 && echo tty; echo err >&2"});
  open.allocate_tty = true;
  open.interactive = false;
  auto r = run(open);
  EXPECT_EQ(r.outcome.exit_code, 0) << r.outcome.message;
  EXPECT_EQ(r.out, "tty\r\nerr\r\n");
  EXPECT_EQ(r.err, "");
}

INSTANTIATE_TEST_SUITE_P(Transports, session_fixture, ::testing::Values("tcp", "ws"),
                         [](const auto& info) { return info.param; });

namespace {
/// Keeps the servers' session logs out of the test output.
const auto quiet_logs = [] {
  spdlog::set_level(spdlog::level::warn);
  return 0;
}();
}  // namespace
