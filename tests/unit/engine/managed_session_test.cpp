// engine::managed_session between an in-memory origin client and an in-memory server: the Open
// reaches the server; the Ack comes back with the session id; output reaches the origin and the
// session's scrollback; only the controller's input reaches the server; an interactive session
// outlives its origin and a command does not; the exit code ends it. Also the directory's
// filters.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "../../support/memory_frame_channel.hpp"
#include "rstream/engine/managed_session.hpp"
#include "rstream/engine/session_directory.hpp"

namespace {

namespace asio = boost::asio;
using namespace rstream;
using engine::managed_session;

std::vector<std::uint8_t> bytes_of(std::string_view text) { return {text.begin(), text.end()}; }

codec::open_request shell_open(bool interactive_tty) {
  codec::open_request open;
  open.argv = {"sh"};
  open.interactive = interactive_tty;
  open.allocate_tty = interactive_tty;
  return open;
}

struct harness {
  asio::io_context io;
  test::memory_channel_pair client = test::make_memory_channel_pair(io);  // first: origin side
  test::memory_channel_pair server = test::make_memory_channel_pair(io);  // first: engine side
  std::shared_ptr<managed_session> session;
  std::shared_ptr<transport::frame_channel> origin_end{std::move(client.first)};
  std::shared_ptr<transport::frame_channel> server_end{std::move(server.first)};

  explicit harness(bool interactive_tty) {
    engine::managed_session_info info;
    info.server_name = "build-01";
    info.started_by = "alice";
    info.origin = "human";
    info.started_at = "2026-12-07T10:00:00.000Z";
    session = std::make_shared<managed_session>(io.get_executor(), "ses_test", info,
                                                shell_open(interactive_tty),
                                                engine::managed_session_settings{});
    codec::frame open = shell_open(interactive_tty);
    asio::co_spawn(io, session->run(origin_end, server_end, open), asio::detached);
  }

  /// Runs the loop until `done` holds (at most 2 s of wall time).
  template <typename Done>
  void run_until(Done done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (!done() && std::chrono::steady_clock::now() < deadline)
      io.run_for(std::chrono::milliseconds(5));
  }

  /// The next frame one end reads (run on the loop).
  codec::frame next(transport::frame_channel& from) {
    std::optional<transport::read_result> got;
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { got = co_await from.read_frame(); }, asio::detached);
    run_until([&] { return got.has_value(); });
    EXPECT_TRUE(got && got->what == transport::read_result::kind::frame);
    return got ? got->frame : codec::frame{codec::heartbeat{}};
  }

  void send(transport::frame_channel& to, codec::frame f) {
    bool sent = false;
    asio::co_spawn(
        io,
        [&, f]() -> asio::awaitable<void> {
          co_await to.write(f);
          sent = true;
        },
        asio::detached);
    run_until([&] { return sent; });
  }
};

TEST(ManagedSession, RelaysTheOpenAndStampsTheAckWithTheSessionId) {
  harness h(true);
  auto open = h.next(*h.server.second);
  ASSERT_TRUE(std::holds_alternative<codec::open_request>(open));
  EXPECT_EQ(std::get<codec::open_request>(open).argv, std::vector<std::string>{"sh"});
  h.send(*h.server.second, codec::ack{4242, ""});
  auto ack = h.next(*h.client.second);
  ASSERT_TRUE(std::holds_alternative<codec::ack>(ack));
  EXPECT_EQ(std::get<codec::ack>(ack).pid, 4242);
  EXPECT_EQ(std::get<codec::ack>(ack).session_id, "ses_test");
  EXPECT_EQ(h.session->state().pid(), 4242);
}

TEST(ManagedSession, OutputReachesTheOriginAndTheScrollback) {
  harness h(true);
  h.next(*h.server.second);
  h.send(*h.server.second, codec::data_frame(codec::stream_id::out, bytes_of("hello")));
  auto data = h.next(*h.client.second);
  ASSERT_TRUE(std::holds_alternative<codec::data_frame>(data));
  const auto out = std::get<codec::data_frame>(data).bytes();
  EXPECT_EQ(std::string(out.begin(), out.end()), "hello");
  EXPECT_EQ(h.session->state().scrollback().total_written(), 5u);
}

TEST(ManagedSession, OnlyTheControllersInputReachesTheServer) {
  harness h(true);
  h.next(*h.server.second);
  h.send(*h.client.second, codec::data_frame(codec::stream_id::in, bytes_of("a")));
  auto first = h.next(*h.server.second);
  ASSERT_TRUE(std::holds_alternative<codec::data_frame>(first));
  // A second participant takes control; the origin's input is dropped from then on.
  auto& state = h.session->state();
  auto bob = state.attach("", "bob", false, live::clock::now());
  ASSERT_TRUE(bob);
  auto request = state.request_control(bob->id, "mine", live::clock::now());
  ASSERT_TRUE(request);
  ASSERT_TRUE(
      state.resolve(request->id, live::decision::grant, live::actor::admin(), live::clock::now()));
  h.send(*h.client.second, codec::data_frame(codec::stream_id::in, bytes_of("dropped")));
  h.send(*h.client.second, codec::signal_frame{2});
  bool written = false;
  asio::co_spawn(
      h.io,
      [&]() -> asio::awaitable<void> {
        co_await h.session->write_input(bytes_of("b"));
        written = true;
      },
      asio::detached);
  h.run_until([&] { return written; });
  auto second = h.next(*h.server.second);
  ASSERT_TRUE(std::holds_alternative<codec::data_frame>(second));
  const auto in = std::get<codec::data_frame>(second).bytes();
  EXPECT_EQ(std::string(in.begin(), in.end()), "b");
}

TEST(ManagedSession, AnInteractiveSessionOutlivesItsOriginAndEndsWithItsExitCode) {
  harness h(true);
  h.next(*h.server.second);
  h.origin_end.reset();
  h.client.second->close();
  h.run_until([&] { return !h.session->origin_attached(); });
  EXPECT_FALSE(h.session->origin_attached());
  EXPECT_FALSE(h.session->terminated());
  h.send(*h.server.second, codec::close_frame{7, 0});
  h.run_until([&] { return h.session->terminated(); });
  EXPECT_EQ(h.session->state().exit_code(), 7);
  EXPECT_EQ(h.session->to_json()["status"], "terminated");
}

TEST(ManagedSession, ACommandEndsWhenItsOriginGoes) {
  harness h(false);
  h.next(*h.server.second);
  h.client.second->close();
  h.run_until([&] { return h.session->terminated(); });
  EXPECT_TRUE(h.session->terminated());
  EXPECT_EQ(h.session->to_json()["mode"], "command");
  EXPECT_TRUE(h.session->to_json()["recording"].is_null());  // no recorder, no recording
}

TEST(SessionDirectory, FiltersAreCheckedAndNamed) {
  std::string error;
  EXPECT_FALSE(engine::parse_session_filter("gone", "", "", "", "", "", error));
  EXPECT_NE(error.find("active or terminated"), std::string::npos);
  EXPECT_FALSE(engine::parse_session_filter("", "", "robot", "", "", "", error));
  EXPECT_NE(error.find("scheduled-job"), std::string::npos);
  EXPECT_FALSE(engine::parse_session_filter("", "", "", "", "yesterday", "", error));
  EXPECT_TRUE(engine::parse_session_filter("active", "build-01", "ci", "g", "2026-12-07T00:00:00Z",
                                           "2026-12-08T00:00:00Z", error));
}

TEST(SessionDirectory, ListsByFilterAndGroups) {
  harness h(false);
  engine::session_directory directory;
  directory.add(h.session);
  std::string error;
  auto all = engine::parse_session_filter("", "", "", "", "", "", error);
  EXPECT_EQ(directory.list(*all).size(), 1u);
  EXPECT_EQ(
      directory.list(*engine::parse_session_filter("terminated", "", "", "", "", "", error)).size(),
      0u);
  EXPECT_EQ(
      directory.list(*engine::parse_session_filter("", "build-01", "human", "", "", "", error))
          .size(),
      1u);
  EXPECT_EQ(
      directory
          .list(*engine::parse_session_filter("", "", "", "", "2026-12-08T00:00:00Z", "", error))
          .size(),
      0u);
  EXPECT_TRUE(directory.groups().empty());  // no group given
  EXPECT_EQ(directory.find("ses_test"), h.session);
  EXPECT_EQ(directory.find("ses_none"), nullptr);
}

}  // namespace
