// client::run_live_attach, client::run_live_client and client::live_sessions_client against a
// whole server_app (live sessions on) on its own I/O thread, with the user's side faked in
// memory (fake_live_io): what the session prints, the exit code, the control flow of input,
// detaching, and the REST calls with their failures.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "rstream/api/error_reply.hpp"
#include "rstream/client/live_attachment.hpp"
#include "rstream/client/live_sessions_client.hpp"
#include "rstream/server/server_app.hpp"

using namespace rstream;
using json = nlohmann::json;

namespace {

/// A server_app on 127.0.0.1 (port 0) with live sessions, served by its own thread.
class threaded_server_app {
 public:
  threaded_server_app() {
    server::server_config config;
    config.listen.emplace();
    config.listen->scheme = "tcp";
    config.listen->host = "127.0.0.1";
    config.listen->port = 0;
    app_ = std::make_unique<server::server_app>(io_, std::move(config));
    std::string error;
    EXPECT_TRUE(app_->start(error)) << error;
    thread_ = std::thread([this] { io_.run(); });
  }
  ~threaded_server_app() {
    boost::asio::post(io_, [this] { app_->stop(); });
    thread_.join();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(app_->local_endpoint().port());
  }
  client::live_server server() const {
    auto resolved = client::resolve_live_server(url(), {});
    EXPECT_TRUE(resolved) << resolved.error().message;
    return *resolved;
  }

 private:
  boost::asio::io_context io_;
  std::unique_ptr<server::server_app> app_;
  std::thread thread_;
};

/// The user's side in memory: stdin is `input` (sent as one chunk, without its end unless
/// `end_input`), or a detach (`~.`) once the session printed `detach_after`.
class fake_live_io final : public client::live_io {
 public:
  bool input_is_terminal() override { return false; }
  std::error_code write_output(std::span<const std::uint8_t> bytes) override {
    out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (!detach_after.empty() && out.find(detach_after) != std::string::npos && sink_.leave) {
      auto leave = std::exchange(sink_.leave, {});
      leave();
    }
    return {};
  }
  void notice(const std::string& line) override { notices += line + "\n"; }
  std::unique_ptr<client::stdin_forwarding> start_stdin(boost::asio::io_context&,
                                                        client::stdin_sink sink,
                                                        bool escapes) override {
    ++stdin_started;
    escapes_asked = escapes;
    sink_ = sink;
    if (!input.empty() || end_input) {
      sink.send(codec::data_frame(codec::stream_id::in,
                                  std::vector<std::uint8_t>(input.begin(), input.end()), end_input),
                [this] { ++released; });
    }
    return nullptr;
  }
  std::optional<client::window_size> current_window() override {
    return client::window_size{100, 30};
  }
  void enter_raw_mode(bool) override { raw_ = true; }
  bool raw_mode_active() override { return raw_; }
  void restore_terminal() override {
    raw_ = false;
    ++restored;
  }

  std::string input;
  bool end_input = false;
  std::string detach_after;
  std::string out, notices;
  int stdin_started = 0, released = 0, restored = 0;
  bool escapes_asked = false;

 private:
  client::stdin_sink sink_;
  bool raw_ = false;
};

/// A server with live sessions, its API client and the user's side, for each test.
class LiveSessionTest : public ::testing::Test {
 protected:
  /// Starts a session running `argv`; its id.
  std::string start(const std::string& name, std::vector<std::string> argv) {
    auto created = sessions.create({name, 0, 0, "", std::move(argv), {}});
    EXPECT_TRUE(created) << created.error().message;
    return created ? created->value("id", "") : "";
  }
  client::live_attach_options join(const std::string& session) const {
    client::live_attach_options options;
    options.server = app.server();
    options.session = session;
    return options;
  }

  threaded_server_app app;
  client::live_sessions_client sessions{app.server()};
  fake_live_io io;
};

using ClientLiveAttachment = LiveSessionTest;
using ClientLiveClient = LiveSessionTest;
using ClientLiveSessions = LiveSessionTest;

}  // namespace

TEST_F(ClientLiveAttachment, ControllerInputReachesTheSessionAndItsExitCodeIsOurs) {
  const std::string id =
      start("reader", {"sh", "-c", "read line; printf 'got:%s' \"$line\"; exit 7"});
  io.input = "hello\n";
  auto result = client::run_live_attach(join(id), io);
  EXPECT_EQ(result.exit_code, 7) << result.message;
  EXPECT_EQ(result.message, "");
  EXPECT_EQ(result.farewell, "");  // announce_end is off
  EXPECT_NE(io.out.find("got:hello"), std::string::npos) << io.out;
  EXPECT_NE(io.notices.find("(controller)"), std::string::npos) << io.notices;
  EXPECT_EQ(io.stdin_started, 1);
  EXPECT_EQ(io.released, 1);
  EXPECT_FALSE(io.escapes_asked);
  EXPECT_GE(io.restored, 1);
}

TEST_F(ClientLiveAttachment, ASpectatorNeverReadsStdinAndSeesTheOutput) {
  io.input = "ignored\n";
  auto options = join(start("", {"sh", "-c", "printf spectated; sleep 0.3; exit 4"}));
  options.spectator = true;
  options.quiet = true;
  auto result = client::run_live_attach(options, io);
  EXPECT_EQ(result.exit_code, 4) << result.message;
  EXPECT_NE(io.out.find("spectated"), std::string::npos) << io.out;
  EXPECT_EQ(io.stdin_started, 0);
  EXPECT_EQ(io.notices, "");  // quiet
}

TEST_F(ClientLiveAttachment, AnUnknownSessionIsNotFound) {
  auto result = client::run_live_attach(join("nope"), io);
  EXPECT_EQ(result.exit_code, api::exit_not_found);
  EXPECT_EQ(result.message, "no live session 'nope' on the server at " + app.url());
  EXPECT_EQ(io.stdin_started, 0);
}

TEST_F(ClientLiveAttachment, DetachingLeavesTheSessionRunning) {
  const std::string id = start("stays", {"sh", "-c", "echo ready; sleep 30"});
  io.detach_after = "ready";
  auto options = join(id);
  options.input = client::live_attach_options::input_mode::drop_unless_controller;
  options.detach_key = true;
  options.reattach_hint = "again";
  auto result = client::run_live_attach(options, io);
  EXPECT_EQ(result.exit_code, api::exit_ok) << result.message;
  EXPECT_EQ(result.farewell,
            "[detached from stays (" + id + "); it keeps running. Attach again: again]");
  EXPECT_TRUE(io.escapes_asked);
  auto shown = sessions.show(id);
  ASSERT_TRUE(shown) << shown.error().message;
  EXPECT_EQ(shown->value("state", ""), "running");
}

TEST_F(ClientLiveClient, StartsTheNamedSessionTheSizeOfTheTerminalAndAnnouncesItsEnd) {
  client::live_client_request request;
  request.server = app.server();
  request.session_name = "sized";
  request.argv = {"sh", "-c", "stty size; exit 5"};
  auto result = client::run_live_client(request, io);
  EXPECT_EQ(result.exit_code, 5) << result.message;
  EXPECT_EQ(result.farewell, "[session ended, exit code 5]");
  EXPECT_NE(io.out.find("30 100"), std::string::npos) << io.out;
}

TEST_F(ClientLiveClient, AttachNamesNoSessionOrTakesNoCommand) {
  client::live_client_request request;
  request.server = app.server();
  request.attach_id = "missing";
  EXPECT_EQ(client::run_live_client(request, io).exit_code, api::exit_not_found);
  request.argv = {"true"};
  auto refused = client::run_live_client(request, io);
  EXPECT_EQ(refused.exit_code, api::exit_usage);
  EXPECT_NE(refused.message.find("only apply when --session"), std::string::npos);
}

TEST_F(ClientLiveSessions, CallsReturnTheAnswerOrAFailureWithItsExitCode) {
  const std::string id = start("api", {"sleep", "30"});
  auto listed = sessions.list("active");
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ((*listed)["sessions"].size(), 1u);
  EXPECT_EQ((*listed)["sessions"][0].value("name", ""), "api");

  auto taken = sessions.create({"api", 0, 0, "", {"sleep", "30"}, {}});
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, "name_taken");
  EXPECT_EQ(taken.error().exit_code, api::exit_failure);

  auto asked = sessions.request_control(id, {"p9", "why"});
  ASSERT_FALSE(asked);
  EXPECT_EQ(asked.error().exit_code, api::exit_not_found) << asked.error().message;

  auto requests = sessions.control_requests(id);
  ASSERT_TRUE(requests) << requests.error().message;
  EXPECT_TRUE((*requests)["requests"].empty());

  auto events = sessions.events(id, -1);
  ASSERT_TRUE(events) << events.error().message;
  EXPECT_TRUE((*events)["events"].is_array());

  int seen = 0;
  auto followed = sessions.follow_events(id, -1, [&seen](const json& event) {
    EXPECT_TRUE(event.contains("type")) << event;
    EXPECT_TRUE(event.contains("seq")) << event;
    ++seen;
    return false;  // as if stdout went away
  });
  EXPECT_EQ(followed.exit_code, api::exit_broken_pipe) << followed.message;
  EXPECT_EQ(seen, 1);

  auto killed = sessions.kill(id);
  ASSERT_TRUE(killed) << killed.error().message;
  EXPECT_EQ((*killed)["state"], "terminated");
  auto ended = sessions.show(id);  // listed, as terminated, until cleanup
  ASSERT_TRUE(ended) << ended.error().message;
  EXPECT_EQ((*ended)["state"], "terminated");
  auto cleaned = sessions.cleanup();
  ASSERT_TRUE(cleaned) << cleaned.error().message;
  EXPECT_EQ((*cleaned)["removed"], json::array({id}));
  auto gone = sessions.show(id);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().exit_code, api::exit_not_found);
}

TEST(ClientLiveServer, TunnelUrlsNameTheEnginesManagedSessionsAndUnreachableOnesAreRefused) {
  // No --url, or rstrm://NAME: the engine of the context (here from the environment).
  ::setenv("RSTREAM_ENGINE", "http://127.0.0.1:1", 1);
  ::setenv("RSTREAM_AUTHENTICATION_TOKEN", "rst_test", 1);
  auto tunnel = client::resolve_live_server("rstrm://box", {});
  auto engine = client::resolve_live_server("", {});
  ::unsetenv("RSTREAM_ENGINE");
  ::unsetenv("RSTREAM_AUTHENTICATION_TOKEN");
  ASSERT_TRUE(tunnel) << tunnel.error().message;
  ASSERT_TRUE(engine) << engine.error().message;
  EXPECT_TRUE(tunnel->engine);
  EXPECT_EQ(tunnel->scope, "box");
  EXPECT_EQ(engine->scope, "");
  EXPECT_EQ(tunnel->connect.token, "rst_test");
  EXPECT_EQ(tunnel->session_path("a b"), "/api/webtty/sessions/a%20b");
  EXPECT_EQ(tunnel->socket_path("ses_1"), "/api/webtty/sessions/ses_1/ws");
  auto unreachable = client::live_sessions_client(*tunnel).list("");
  ASSERT_FALSE(unreachable);
  EXPECT_EQ(unreachable.error().exit_code, api::exit_remote_failure);

  auto server = client::resolve_live_server("http://127.0.0.1:1", {});
  ASSERT_TRUE(server);
  auto reply = client::live_sessions_client(*server).list("");
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().exit_code, api::exit_remote_failure);
  EXPECT_NE(reply.error().message.find("cannot reach the server at http://127.0.0.1:1"),
            std::string::npos)
      << reply.error().message;
}

TEST(ClientLiveServer, RefusalsMapToTheDocumentedExitCodes) {
  client::live_server server;
  server.given = "http://h";
  auto denied = client::interpret_live_response(
      server, 401, R"({"error":{"code":"unauthorized","message":"no"}})", "");
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().exit_code, api::exit_denied);
  EXPECT_EQ(denied.error().message,
            "the server at http://h refused the token: it requires one (--token or "
            "RSTREAM_WEBTTY_TOKEN) (no)");
  auto no_route = client::interpret_live_response(
      server, 404, R"({"error":{"code":"no_route","message":"x"}})", "");
  EXPECT_EQ(no_route.error().exit_code, api::exit_failure);
  auto plain = client::interpret_live_response(server, 404, "", "");
  EXPECT_EQ(plain.error().exit_code, api::exit_not_found);
  EXPECT_EQ(plain.error().message,
            "HTTP 404 from http://h (does it serve live sessions? use the server's --listen URL)");
  auto not_json = client::interpret_live_response(server, 200, "<html>", "");
  EXPECT_EQ(not_json.error().exit_code, api::exit_remote_failure);
  EXPECT_TRUE(client::interpret_live_response(server, 200, "{}", ""));
}
