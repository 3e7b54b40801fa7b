// Whole-program tests of the engine in-process: engine_app on 127.0.0.1 port 0 with a fresh
// data directory writes its admin token on first start, answers its API with that token (and
// refuses a request without one), keeps the token on a second start, routes an exec session to
// a server_app that published a tunnel to it, and stops cleanly (io_context::run returns by
// itself).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "rstream/common/async_event.hpp"
#include "rstream/engine/engine_app.hpp"
#include "rstream/client/client_session.hpp"
#include "rstream/server/server_app.hpp"
#include "rstream/tunnel/connector.hpp"
#include "rstream/transport/connect.hpp"
#include "rstream/transport/http.hpp"
#include "support/in_process.hpp"
#include "support/test_engine.hpp"

namespace asio = boost::asio;
using namespace rstream;

namespace {

struct api_answers {
  transport::http_response health;
  transport::http_response anonymous;
  transport::http_response tunnels;
};

asio::awaitable<void> ask(engine::engine_app& app, std::string token, std::function<void()> disarm,
                          api_answers& answers) {
  const auto port = app.local_endpoint().port();
  const transport::http_target target{false, "127.0.0.1", port};
  const transport::connect_options options;
  answers.health = co_await transport::http_call(target, "GET", "/api/health", token, "", options);
  answers.anonymous = co_await transport::http_call(target, "GET", "/api/health", "", "", options);
  answers.tunnels =
      co_await transport::http_call(target, "GET", "/api/tunnels", token, "", options);
  app.stop();
  disarm();
}

struct routed_run {
  bool online = false;
  transport::http_response inventory;
  std::string connect_error;
  client::client_outcome outcome;
  std::string out;
};

/// Waits for the server's tunnel, lists it, runs one command through rstrm://in-process, then
/// stops both programs.
asio::awaitable<void> route_through(engine::engine_app& engine, server::server_app& server,
                                    async_event& online, std::function<void()> disarm,
                                    routed_run& run) {
  co_await online.wait_until(std::chrono::steady_clock::now() + std::chrono::seconds(10));
  run.online = !server.rstream_url().empty();
  // Named values only in co_await expressions: GCC 12 mishandles temporaries there.
  const transport::http_target api{false, "127.0.0.1", engine.local_endpoint().port()};
  const transport::connect_options options;
  const std::string token = engine.admin_token();
  const std::string target = "in-process";
  run.inventory = co_await transport::http_call(api, "GET", "/api/tunnels", token, "", options);
  auto connected =
      co_await tunnel::connect_route(server.config().tunnel->engine, token, target, options);
  if (!connected.channel) {
    run.connect_error = connected.error;
  } else {
    codec::open_request open;
    open.argv = {"sh", "-c", "printf routed; exit 4"};
    client::client_session client(std::move(connected.channel), std::move(open),
                                  [&run](codec::stream_id, std::span<const std::uint8_t> bytes) {
                                    run.out.append(reinterpret_cast<const char*>(bytes.data()),
                                                   bytes.size());
                                  });
    client.send_stdin(codec::data_frame(codec::stream_id::in, std::vector<std::uint8_t>{}, true));
    run.outcome = co_await client.run();
  }
  server.stop();
  engine.stop();
  disarm();
}

}  // namespace

TEST(engine_app, AnswersItsApiWithTheAdminTokenThenStopsCleanly) {
  test::test_engine setup;
  asio::io_context io;
  auto started = setup.start(io);
  ASSERT_TRUE(started) << setup.error;
  engine::engine_app& app = *started;
  const auto port = app.local_endpoint().port();
  ASSERT_NE(port, 0);
  EXPECT_EQ(app.address(), "127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(app.base_url(), "http://127.0.0.1:" + std::to_string(port));
  const std::string token = app.admin_token();
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(std::filesystem::status(app.admin_token_file()).permissions(),
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  api_answers answers;
  const bool stopped = test::run_in_process(io, [&](std::function<void()> disarm) {
    return ask(app, token, std::move(disarm), answers);
  });
  EXPECT_TRUE(stopped) << "the engine did not stop by itself";
  ASSERT_EQ(answers.health.status, 200) << answers.health.error << answers.health.body;
  const auto health = nlohmann::json::parse(answers.health.body);
  EXPECT_EQ(health["status"], "ok");
  EXPECT_EQ(health["tunnels"], 0);
  EXPECT_EQ(answers.anonymous.status, 401) << answers.anonymous.body;
  EXPECT_EQ(answers.tunnels.status, 200) << answers.tunnels.body;
  EXPECT_EQ(nlohmann::json::parse(answers.tunnels.body), nlohmann::json::array());

  // While it holds the data directory, a second engine there is refused; once it is gone, a
  // second start keeps the tokens: no new admin token.
  asio::io_context meanwhile;
  EXPECT_FALSE(setup.start(meanwhile));
  EXPECT_NE(setup.error.find("another rstream engine is using"), std::string::npos) << setup.error;
  started.reset();
  setup.error.clear();
  asio::io_context again;
  auto restarted = setup.start(again);
  ASSERT_TRUE(restarted) << setup.error;
  EXPECT_EQ(restarted->admin_token(), token);
  restarted->stop();
  again.run();
}

TEST(engine_app, CertificateAndKeyGoTogether) {
  engine::engine_config config;
  config.tls.cert_file = "cert.pem";
  auto why = engine::engine_config_problem(config);
  ASSERT_TRUE(why);
  EXPECT_EQ(*why, "--tls-cert and --tls-key go together");
  config.tls.cert_file.clear();
  config.tls.allow_plaintext = true;
  why = engine::engine_config_problem(config);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("--allow-plaintext applies to a TLS port"), std::string::npos);
  config.tls.allow_plaintext = false;
  EXPECT_FALSE(engine::engine_config_problem(config));
}

TEST(engine_app, RoutesAnExecSessionToAServerAppThroughItsTunnel) {
  test::test_engine setup;
  asio::io_context io;
  auto started = setup.start(io);
  ASSERT_TRUE(started) << setup.error;
  engine::engine_app& engine = *started;

  server::server_config server_config;
  auto& tunnel = server_config.tunnel.emplace();
  tunnel.engine = {false, "127.0.0.1", engine.local_endpoint().port()};
  tunnel.engine_token = engine.admin_token();
  tunnel.name = "in-process";
  tunnel.labels = {{"role", "test"}};
  ASSERT_FALSE(server::server_config_problem(server_config));
  async_event online(io.get_executor());
  server::server_app::events events;
  events.online = [&online](const tunnel::tunnel_welcome&) { online.notify(); };
  server::server_app server(io, server_config, std::move(events));
  std::string error;
  ASSERT_TRUE(server.start(error)) << error;

  routed_run run;
  const bool stopped = test::run_in_process(io, [&](std::function<void()> disarm) {
    return route_through(engine, server, online, std::move(disarm), run);
  });
  EXPECT_TRUE(stopped) << "the engine or the server did not stop by itself";
  EXPECT_TRUE(run.online);
  EXPECT_EQ(server.rstream_url(), "rstrm://in-process");
  ASSERT_EQ(run.inventory.status, 200) << run.inventory.error << run.inventory.body;
  const auto entries = nlohmann::json::parse(run.inventory.body);
  ASSERT_EQ(entries.size(), 1u) << run.inventory.body;
  EXPECT_EQ(entries[0]["name"], "in-process");
  EXPECT_EQ(entries[0]["labels"]["rstream.webtty.label.role"], "test");
  EXPECT_EQ(entries[0]["labels"]["rstream.webtty.capabilities"], "exec");
  ASSERT_EQ(run.connect_error, "");
  EXPECT_EQ(run.outcome.what, client::client_outcome::kind::closed) << run.outcome.message;
  EXPECT_EQ(run.outcome.exit_code, 4);
  EXPECT_EQ(run.out, "routed");
}
