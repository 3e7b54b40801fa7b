// The recordings API in-process: sessions recorded through the engine_app's own recorder are
// read back over HTTP as pages of events that verify, exported as asciicast (valid lines, UTF-8
// cut across events made whole, stdin only when asked) and as json; only admin tokens read them
// (403 naming the permission), an unknown session is 404, bad parameters 400, another method
// 405, and an end-to-end encrypted recording is not exported as asciicast (409).
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "rstream/api/engine_messages.hpp"
#include "rstream/api/error_reply.hpp"
#include "rstream/api/recording_event.hpp"
#include "rstream/engine/session_recorder.hpp"
#include "rstream/transport/http.hpp"
#include "support/in_process.hpp"
#include "support/test_engine.hpp"

namespace asio = boost::asio;
using namespace rstream;
using json = nlohmann::json;

namespace {

struct request {
  std::string path;
  std::string token;  ///< "admin" or "writer" (created first)
  std::string method = "GET";
  transport::http_response answer;
};

asio::awaitable<void> record(engine::session_recorder& recorder, const std::string& id, bool e2e) {
  engine::recording_start start{id, api::recording_policy::recorded, {}};
  start.open.server_name = "build-01";
  start.open.argv = {"bash"};
  start.open.cols = 80;
  start.open.rows = 24;
  start.open.e2e = e2e;
  auto begun = co_await recorder.begin(start);
  if (!begun.recording) {
    ADD_FAILURE() << begun.refusal;
    co_return;
  }
  auto& r = *begun.recording;
  r.output(api::recording_stream::standard_output, "$ ls\r\nprice: \xe2\x82");
  r.output(api::recording_stream::standard_output, "\xac 5\r\n");
  r.input("ls\r");
  r.resize(100, 30);
  r.output(api::recording_stream::standard_error, "bad\xff byte\r\n");
  r.close({0, std::nullopt, "exited"});
}

asio::awaitable<void> converse(engine::engine_app& app, std::function<void()> disarm,
                               std::vector<request>& requests) {
  co_await record(app.recorder(), "ses_plain", false);
  co_await record(app.recorder(), "ses_sealed", true);
  co_await app.recorder().wait_until_written();
  const transport::http_target target{false, "127.0.0.1", app.local_endpoint().port()};
  const transport::connect_options options;
  const std::string admin = app.admin_token();
  const std::string writer_request = R"({"role":"read-write","name":"writer"})";
  const std::string post = "POST", tokens_path = "/api/tokens";
  auto created =
      co_await transport::http_call(target, post, tokens_path, admin, writer_request, options);
  const auto writer = api::read_token_created(json::parse(created.body, nullptr, false));
  const std::string writer_token = writer ? writer->secret : "";
  for (auto& step : requests) {
    const std::string& token = step.token == "admin" ? admin : writer_token;
    const std::string no_body;
    step.answer =
        co_await transport::http_call(target, step.method, step.path, token, no_body, options);
  }
  app.stop();
  disarm();
}

std::vector<json> lines_of(const std::string& text) {
  std::vector<json> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  return lines;
}

}  // namespace

TEST(recordings_api, RecordedSessionsReadBackExportAndRefuse) {
  asio::io_context io;
  test::test_engine setup;
  auto app = setup.start(io);
  ASSERT_TRUE(app) << setup.error;
  const std::string base = "/api/webtty/sessions/";
  std::vector<request> r{
      {base + "ses_plain/events", "admin"},                                   // 0
      {base + "ses_plain/events?from_seq=2&limit=2", "admin"},                // 1
      {base + "ses_plain/export?format=asciicast", "admin"},                  // 2
      {base + "ses_plain/export?format=asciicast&include_stdin=1", "admin"},  // 3
      {base + "ses_plain/export", "admin"},                                   // 4 json
      {base + "ses_plain/events", "writer"},                                  // 5 403
      {base + "ses_nothing/events", "admin"},                                 // 6 404
      {base + "ses_nothing/export", "admin"},                                 // 7 404
      {base + "ses_plain/events?limit=0", "admin"},                           // 8 400
      {base + "ses_plain/export?format=html", "admin"},                       // 9 400
      {base + "ses_plain/events", "admin", "POST"},                           // 10 405
      {base + "ses_sealed/export?format=asciicast", "admin"},                 // 11 409
      {base + "ses_sealed/export?format=json", "admin"},                      // 12
      {base + "ses_plain/export?format=text", "admin"},                       // 13
      {base + "ses_sealed/export?format=text", "admin"},                      // 14 409
  };
  const bool stopped = test::run_in_process(
      io, [&](std::function<void()> disarm) { return converse(*app, std::move(disarm), r); });
  ASSERT_TRUE(stopped);

  // A page with every event, and the chain recomputed here.
  ASSERT_EQ(r[0].answer.status, 200) << r[0].answer.body;
  const auto page = api::read_recording_page(json::parse(r[0].answer.body));
  ASSERT_TRUE(page) << page.error().message;
  ASSERT_EQ(page->events.size(), 7u);  // open, 2 output, input, resize, output, close
  EXPECT_FALSE(page->more);
  EXPECT_EQ(page->recording.events, 7u);
  EXPECT_EQ(page->recording.exit_code, 0);
  api::chain_verifier verifier("ses_plain");
  for (const auto& e : page->events) EXPECT_TRUE(verifier.add(e));
  EXPECT_TRUE(verifier.finish(page->recording.events, page->recording.last_hash));
  EXPECT_EQ(page->events[5].payload, "bad\xff byte\r\n") << "bytes exactly as recorded";

  ASSERT_EQ(r[1].answer.status, 200);
  const auto part = api::read_recording_page(json::parse(r[1].answer.body));
  ASSERT_TRUE(part);
  ASSERT_EQ(part->events.size(), 2u);
  EXPECT_EQ(part->events[0].seq, 2u);
  EXPECT_EQ(part->next_seq, 4u);
  EXPECT_TRUE(part->more);

  ASSERT_EQ(r[2].answer.status, 200) << r[2].answer.body;
  EXPECT_EQ(r[2].answer.content_type, "application/x-asciicast");
  const auto cast = lines_of(r[2].answer.body);
  ASSERT_EQ(cast.size(), 5u) << r[2].answer.body;  // header, o, o, r, o (no i)
  EXPECT_EQ(cast[0]["version"], 2);
  EXPECT_EQ(cast[0]["width"], 80);
  EXPECT_EQ(cast[1][2], "$ ls\r\nprice: ");
  EXPECT_EQ(cast[2][2], "€ 5\r\n");
  EXPECT_EQ(cast[3][1], "r");
  EXPECT_EQ(cast[4][2], "bad\xef\xbf\xbd byte\r\n");
  const auto with_input = lines_of(r[3].answer.body);
  ASSERT_EQ(with_input.size(), 6u);
  EXPECT_EQ(with_input[3][1], "i");

  ASSERT_EQ(r[4].answer.status, 200);
  const json document = json::parse(r[4].answer.body);
  EXPECT_EQ(document["events"].size(), 7u);
  EXPECT_EQ(document["recording"]["session_id"], "ses_plain");

  EXPECT_EQ(r[5].answer.status, 403);
  const auto denied = api::parse_error_reply(r[5].answer.body);
  EXPECT_EQ(denied.code, "forbidden");
  EXPECT_NE(denied.message.find("needs an admin token"), std::string::npos) << denied.message;
  for (std::size_t i : {6, 7}) {
    EXPECT_EQ(r[i].answer.status, 404) << i;
    EXPECT_EQ(api::parse_error_reply(r[i].answer.body).code, "session_not_found");
  }
  EXPECT_EQ(r[8].answer.status, 400);
  EXPECT_EQ(r[9].answer.status, 400);
  EXPECT_EQ(r[10].answer.status, 405);
  EXPECT_EQ(r[11].answer.status, 409);
  EXPECT_EQ(api::parse_error_reply(r[11].answer.body).code, "e2e_recording");
  ASSERT_EQ(r[12].answer.status, 200);
  EXPECT_EQ(json::parse(r[12].answer.body)["events"].size(), 7u);

  // What a person reads: the output through a terminal model, the bytes that are not UTF-8
  // shown as U+FFFD.
  ASSERT_EQ(r[13].answer.status, 200) << r[13].answer.body;
  EXPECT_EQ(r[13].answer.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(r[13].answer.body, "$ ls\nprice: \xe2\x82\xac 5\nbad\xef\xbf\xbd byte\n");
  EXPECT_EQ(r[14].answer.status, 409);
}
