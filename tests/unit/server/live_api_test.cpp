// The server's live-sessions API in-process (server_app on 127.0.0.1 port 0): DELETE ends a
// session (SIGHUP, then SIGKILL after the grace) and leaves it listed as terminated, with its
// exit code and signal, until POST /api/terminal/cleanup removes it.
// Thread-safety: each test runs the server and its client on one io_context thread.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <nlohmann/json.hpp>

#include "rstream/server/server_app.hpp"
#include "rstream/transport/http.hpp"
#include "support/in_process.hpp"
#include "support/loopback_server.hpp"

namespace asio = boost::asio;
using nlohmann::json;
using namespace rstream;

namespace {

constexpr const char* token = "live-api-test-token-0123456789abcdef";

server::server_config live_config() {
  server::server_config config = test::loopback_server_config(token);
  config.kill_grace = std::chrono::milliseconds(300);
  return config;
}

struct answer {
  int status = 0;
  json body;
};

/// Talks to one in-process server's API.
class api_caller {
 public:
  explicit api_caller(const server::server_app& app)
      : target_{false, "127.0.0.1", app.local_endpoint().port()} {}

  asio::awaitable<answer> call(std::string method, std::string path, std::string body = "") {
    const transport::connect_options options;
    auto response = co_await transport::http_call(target_, std::move(method), std::move(path),
                                                  token, std::move(body), options);
    answer got;
    got.status = response.status;
    got.body = json::parse(response.body, nullptr, false);
    co_return got;
  }

  /// Creates a session running `command` (by /bin/sh -c); its id, or "" when refused.
  asio::awaitable<std::string> create(std::string command) {
    json request = json::object();
    request["command"] = std::move(command);
    const std::string body = request.dump();
    auto made = co_await call("POST", "/api/terminal/sessions", body);
    EXPECT_EQ(made.status, 201) << made.body;
    co_return made.status == 201 ? made.body.value("id", std::string()) : std::string();
  }

  /// Waits (at most 10 s) until the session has written some output.
  asio::awaitable<bool> wait_for_output(const std::string& id) {
    asio::steady_timer pause(co_await asio::this_coro::executor);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      auto shown = co_await call("GET", "/api/terminal/sessions/" + id);
      if (shown.status == 200 && shown.body.value("output_bytes", 0) > 0) co_return true;
      pause.expires_after(std::chrono::milliseconds(20));
      co_await pause.async_wait(asio::use_awaitable);
    }
    co_return false;
  }

  /// The ids `GET /api/terminal/sessions?status=...` lists.
  asio::awaitable<std::vector<std::string>> listed(std::string status) {
    auto list = co_await call("GET", "/api/terminal/sessions?status=" + status);
    std::vector<std::string> ids;
    if (list.status != 200 || !list.body.contains("sessions")) co_return ids;
    for (const auto& s : list.body["sessions"]) ids.push_back(s.value("id", std::string()));
    co_return ids;
  }

 private:
  transport::http_target target_;
};

struct kill_observed {
  answer killed, shown, killed_again, stubborn_killed, cleaned, gone, gone_stubborn;
  std::vector<std::string> terminated, active;
  bool stubborn_ready = false;
};

asio::awaitable<void> kill_then_cleanup(server::server_app& app, std::function<void()> disarm,
                                        kill_observed& seen) {
  api_caller api(app);
  const std::string id = co_await api.create("sleep 600");
  const std::string stubborn = co_await api.create("trap '' HUP; echo ready; sleep 600");
  if (!id.empty() && !stubborn.empty()) {
    seen.killed = co_await api.call("DELETE", "/api/terminal/sessions/" + id);
    seen.shown = co_await api.call("GET", "/api/terminal/sessions/" + id);
    seen.killed_again = co_await api.call("DELETE", "/api/terminal/sessions/" + id);
    // The trap is in place once it has printed: SIGHUP is ignored, SIGKILL ends it.
    seen.stubborn_ready = co_await api.wait_for_output(stubborn);
    seen.stubborn_killed = co_await api.call("DELETE", "/api/terminal/sessions/" + stubborn);
    seen.terminated = co_await api.listed("terminated");
    seen.active = co_await api.listed("active");
    seen.cleaned = co_await api.call("POST", "/api/terminal/cleanup");
    seen.gone = co_await api.call("GET", "/api/terminal/sessions/" + id);
    seen.gone_stubborn = co_await api.call("DELETE", "/api/terminal/sessions/" + stubborn);
  }
  app.stop(disarm);
}

}  // namespace

TEST(live_api, DeleteEndsTheSessionAndKeepsItListedAsTerminatedUntilCleanup) {
  asio::io_context io;
  server::server_app app(io, live_config(), {});
  std::string error;
  ASSERT_TRUE(app.start(error)) << error;
  kill_observed seen;
  const bool stopped = test::run_in_process(io, [&](std::function<void()> disarm) {
    return kill_then_cleanup(app, std::move(disarm), seen);
  });
  EXPECT_TRUE(stopped) << "the server did not stop by itself";

  // The answer is the session's last state: ended by SIGHUP.
  ASSERT_EQ(seen.killed.status, 200) << seen.killed.body;
  const std::string id = seen.killed.body.value("id", std::string());
  EXPECT_EQ(seen.killed.body["state"], "terminated");
  EXPECT_EQ(seen.killed.body["exit_code"], 128 + SIGHUP);
  EXPECT_EQ(seen.killed.body["signal"], SIGHUP);
  EXPECT_TRUE(seen.killed.body["terminated_at"].is_string()) << seen.killed.body;
  // Still there, unchanged, and a second DELETE answers the same state.
  EXPECT_EQ(seen.shown.status, 200);
  EXPECT_EQ(seen.shown.body, seen.killed.body);
  EXPECT_EQ(seen.killed_again.status, 200);
  EXPECT_EQ(seen.killed_again.body, seen.killed.body);

  // A command that ignores SIGHUP ends by the SIGKILL after the grace.
  EXPECT_TRUE(seen.stubborn_ready);
  ASSERT_EQ(seen.stubborn_killed.status, 200) << seen.stubborn_killed.body;
  const std::string stubborn = seen.stubborn_killed.body.value("id", std::string());
  EXPECT_EQ(seen.stubborn_killed.body["state"], "terminated");
  EXPECT_EQ(seen.stubborn_killed.body["exit_code"], 128 + SIGKILL);
  EXPECT_EQ(seen.stubborn_killed.body["signal"], SIGKILL);

  EXPECT_EQ(seen.terminated, (std::vector<std::string>{id, stubborn}));
  EXPECT_TRUE(seen.active.empty());
  // Cleanup removes both; then they are unknown.
  ASSERT_EQ(seen.cleaned.status, 200);
  EXPECT_EQ(seen.cleaned.body["removed"], json({id, stubborn}));
  EXPECT_EQ(seen.gone.status, 404);
  EXPECT_EQ(seen.gone.body["error"]["code"], "session_not_found");
  EXPECT_EQ(seen.gone_stubborn.status, 404);
}
