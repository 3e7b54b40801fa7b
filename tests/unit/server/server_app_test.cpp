// Whole-program test of the WebTTY server in-process: server_app on 127.0.0.1 port 0 with a
// token, one exec session and one HTTP request against it, then a clean stop (io_context::run
// returns by itself). Also the config checks that guard every way of starting it.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "rstream/client/client_session.hpp"
#include "rstream/server/server_app.hpp"
#include "rstream/transport/connect.hpp"
#include "rstream/transport/http.hpp"
#include "support/in_process.hpp"
#include "support/loopback_server.hpp"

namespace asio = boost::asio;
using namespace rstream;

namespace {

constexpr const char* token = "server-app-test-token-0123456789abcdef";

server::server_config loopback_config() { return test::loopback_server_config(token); }

struct observed {
  client::client_outcome outcome;
  std::string out, err;
  std::string connect_error;
  transport::http_response sessions;
  bool drained = false;
};

/// One exec session over raw TCP, then GET /api/terminal/sessions (live sessions), then stop.
asio::awaitable<void> exercise(server::server_app& app, std::function<void()> disarm,
                               observed& seen) {
  transport::endpoint_url url;
  url.scheme = "tcp";
  url.host = "127.0.0.1";
  url.port = app.local_endpoint().port();
  transport::connect_options options;
  auto connected = co_await transport::connect(url, options);
  if (!connected.channel) {
    seen.connect_error = connected.error;
  } else {
    codec::open_request open;
    open.argv = {"sh", "-c", "read line; printf \"out:$line\"; printf err >&2; exit 3"};
    open.token = token;
    client::client_session client(std::move(connected.channel), std::move(open),
                                  [&seen](codec::stream_id s, std::span<const std::uint8_t> bytes) {
                                    (s == codec::stream_id::err ? seen.err : seen.out)
                                        .append(reinterpret_cast<const char*>(bytes.data()),
                                                bytes.size());
                                  });
    const std::string input = "hello\n";
    client.send_stdin(codec::data_frame(
        codec::stream_id::in, std::vector<std::uint8_t>(input.begin(), input.end()), true));
    seen.outcome = co_await client.run();
  }
  const transport::http_target target{false, "127.0.0.1", app.local_endpoint().port()};
  seen.sessions =
      co_await transport::http_call(target, "GET", "/api/terminal/sessions", token, "", options);
  app.stop([&seen, disarm] {
    seen.drained = true;
    disarm();
  });
}

}  // namespace

TEST(server_app, ServesAnExecSessionAndHttpThenStopsCleanly) {
  asio::io_context io;
  std::string announced;
  server::server_app::events events;
  server::server_app* started = nullptr;
  events.listening = [&] { announced = started->address(); };
  server::server_app app(io, loopback_config(), std::move(events));
  started = &app;
  std::string error;
  ASSERT_TRUE(app.start(error)) << error;
  ASSERT_TRUE(app.listening());
  EXPECT_NE(app.local_endpoint().port(), 0);
  const std::string where = "127.0.0.1:" + std::to_string(app.local_endpoint().port());
  EXPECT_EQ(app.address(), where);
  EXPECT_EQ(announced, where);
  EXPECT_EQ(app.client_urls(),
            (std::vector<std::string>{"tcp://" + where, "ws://" + where + "/webtty"}));
  EXPECT_EQ(app.files_url(), "");

  observed seen;
  const bool stopped = test::run_in_process(
      io, [&](std::function<void()> disarm) { return exercise(app, std::move(disarm), seen); });
  EXPECT_TRUE(stopped) << "the server did not stop by itself";
  EXPECT_TRUE(seen.drained);
  ASSERT_EQ(seen.connect_error, "");
  EXPECT_EQ(seen.outcome.what, client::client_outcome::kind::closed) << seen.outcome.message;
  EXPECT_EQ(seen.outcome.exit_code, 3);
  EXPECT_EQ(seen.out, "out:hello");
  EXPECT_EQ(seen.err, "err");
  EXPECT_EQ(seen.sessions.status, 200) << seen.sessions.error << seen.sessions.body;
  const auto sessions = nlohmann::json::parse(seen.sessions.body, nullptr, false);
  EXPECT_EQ(sessions, nlohmann::json::parse(R"({"sessions": []})")) << seen.sessions.body;
}

TEST(server_app, ConfigWithoutAPlaceToServeIsRefused) {
  server::server_config config;
  auto why = server::server_config_problem(config);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("say where to serve"), std::string::npos) << *why;
  EXPECT_FALSE(server::server_config_problem(loopback_config()));
}

TEST(server_app, NonLoopbackAddressNeedsATokenOrTheInsecureFlag) {
  auto config = loopback_config();
  config.listen->host = "0.0.0.0";
  config.listen->port = 7681;
  config.token.clear();
  auto why = server::server_config_problem(config);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("refusing to listen on 0.0.0.0:7681 without a token"), std::string::npos)
      << *why;
  config.listen->host = "::";
  why = server::server_config_problem(config);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("refusing to listen on [::]:7681"), std::string::npos) << *why;
  config.insecure_no_auth = true;
  EXPECT_FALSE(server::server_config_problem(config));
}

TEST(server_app, FilesBesideAnE2eIdentityAreRefused) {
  auto config = loopback_config();
  config.fs_root = "/tmp";
  config.identity = "server";
  auto why = server::server_config_problem(config);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("--fs-root cannot be combined with --identity"), std::string::npos) << *why;
}

TEST(server_app, TunnelLabelsSayWhatTheServerIsAndCarryTheUsersOwn) {
  auto config = loopback_config();
  config.fs_root = "/tmp";
  config.fs_read_only = true;
  config.tunnel.emplace();
  config.tunnel->name = "box";
  config.tunnel->labels = {{"role", "codex"}};
  EXPECT_FALSE(server::server_config_problem(config));
  const auto labels = server::server_tunnel_labels(config);
  EXPECT_EQ(labels.at("application-protocol"), "rstream.webtty");
  EXPECT_EQ(labels.at("rstream.webtty.capabilities"), "exec,fs");
  EXPECT_EQ(labels.at("rstream.webtty.fs.mode"), "ro");
  EXPECT_EQ(labels.at("rstream.webtty.e2e"), "disabled");
  EXPECT_EQ(labels.at("rstream.webtty.label.role"), "codex");
  EXPECT_TRUE(labels.contains("rstream.webtty.hostname"));

  config.tunnel->labels = {{"bad key", "x"}};
  auto why = server::server_config_problem(config);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("--label key 'bad key' may only contain"), std::string::npos) << *why;
}
