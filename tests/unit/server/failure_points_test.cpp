// Every failure point of one session: a real client_session drives a real server session (a
// webtty_server serving the in-memory channel) through `cat`, and the Nth read or write of the
// connection fails, for N = 1, 2, 3, ... until a run passes without reaching N. At every N the
// client ends with a clear outcome (a complete, correct result, or connection_failed with a
// message), the server ends its session and its command, and nothing keeps the io_context
// running (ASan builds also check that nothing leaks).
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>

#include "rstream/client/client_session.hpp"
#include "rstream/server/webtty_server.hpp"
#include "support/in_process.hpp"
#include "support/memory_frame_channel.hpp"

namespace asio = boost::asio;
using namespace rstream;

namespace {

constexpr std::string_view input = "hello through every failure point\n";

struct run_report {
  client::client_outcome outcome;
  std::string out;
};

asio::awaitable<void> run_cat(std::unique_ptr<transport::frame_channel> channel,
                              run_report& report) {
  codec::open_request open;
  open.argv = {"cat"};
  open.interactive = true;
  client::client_session client(std::move(channel), std::move(open),
                                [&report](codec::stream_id, std::span<const std::uint8_t> bytes) {
                                  report.out.append(reinterpret_cast<const char*>(bytes.data()),
                                                    bytes.size());
                                });
  const std::vector<std::uint8_t> bytes(input.begin(), input.end());
  client.send_stdin(codec::data_frame(codec::stream_id::in, bytes, true));
  report.outcome = co_await client.run();
}

/// The client's session, then the server's shutdown; `disarm` once the server has drained.
asio::awaitable<void> drive(server::webtty_server& server,
                            std::unique_ptr<transport::frame_channel> channel, run_report& report,
                            std::function<void()> disarm) {
  co_await run_cat(std::move(channel), report);  // the client (and its end) is gone after this
  server.shutdown(std::move(disarm));
}

}  // namespace

TEST(FailurePoints, EveryFailingReadOrWriteEndsTheSessionCleanly) {
  // As in the binary (cli::run): a session cut short may write its command's stdin after the
  // command has gone; that is an EPIPE to handle, not a signal that ends this process.
  ::signal(SIGPIPE, SIG_IGN);
  constexpr std::size_t max_points = 200;
  bool completed_without_failure = false;
  std::size_t points = 0;
  for (std::size_t n = 1; n <= max_points && !completed_without_failure; ++n) {
    points = n;
    SCOPED_TRACE("failing operation " + std::to_string(n));
    asio::io_context io;
    server::webtty_server_config config;
    config.session.kill_grace = std::chrono::milliseconds(200);
    config.shutdown_grace = std::chrono::seconds(60);  // a stuck session trips the watchdog
    server::webtty_server server(io, config);
    auto pair = test::make_memory_channel_pair(io, n);
    auto connection = pair.connection;
    server.serve_channel(std::move(pair.second));

    run_report report;
    std::unique_ptr<transport::frame_channel> client_end = std::move(pair.first);
    const bool stopped_by_itself = test::run_in_process(
        io,
        [&server, &client_end, &report](std::function<void()> disarm) {
          return drive(server, std::move(client_end), report, std::move(disarm));
        },
        std::chrono::seconds(15));

    ASSERT_TRUE(stopped_by_itself) << "the session hung";
    EXPECT_EQ(server.active_sessions(), 0u);
    const auto& outcome = report.outcome;
    if (!connection->countdown.tripped) {
      completed_without_failure = true;
      EXPECT_GT(connection->countdown.operations, 0u);
    }
    if (outcome.what == client::client_outcome::kind::closed) {
      // The failure came too late to matter to the client: the result must be whole.
      EXPECT_EQ(outcome.exit_code, 0);
      EXPECT_EQ(report.out, input);
    } else {
      EXPECT_TRUE(connection->countdown.tripped) << outcome.message;
      EXPECT_EQ(outcome.what, client::client_outcome::kind::connection_failed);
      EXPECT_FALSE(outcome.message.empty());
    }
  }
  EXPECT_TRUE(completed_without_failure) << "more than " << max_points << " operations";
  // Open, Ack, stdin with its end, output, the ends of both streams, Close: each written and
  // read (16 operations today).
  EXPECT_GE(points, 12u);
}
