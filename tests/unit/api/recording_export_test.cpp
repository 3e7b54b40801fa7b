// api/recording_export.hpp: asciicast v2 (header, "o" for both output streams, "i" only when
// asked, "r" for resizes, UTF-8 cut across events made whole, invalid bytes as U+FFFD, every
// line valid JSON), the json export (one JSON document whose events verify), a sink that
// refuses stops the export, and the terminal feed.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "rstream/api/recording_export.hpp"

using namespace rstream::api;
using json = nlohmann::json;

namespace {

const std::string session = "ses_export0000000000000";

recording_summary summary_of(std::vector<std::string> argv = {"vim", "a b.txt"}) {
  recording_summary s;
  s.session_id = session;
  s.open.server_name = "build-01";
  s.open.argv = std::move(argv);
  s.open.cols = 100;
  s.open.rows = 30;
  s.open.timestamp = 1796637600;
  s.open.started_at = "2026-12-07T10:00:00.000Z";
  return s;
}

/// The summary's open event, then `rest`, sealed.
std::vector<recording_event> recording(std::vector<recording_event> rest) {
  std::vector<recording_event> events;
  recording_event open;
  open.kind = recording_kind::open;
  open.payload = open_payload(summary_of().open);
  events.push_back(open);
  for (auto& e : rest) events.push_back(std::move(e));
  recording_chain chain(session);
  for (auto& e : events) chain.seal(e);
  return events;
}

recording_event output(std::int64_t time_us, std::string bytes,
                       recording_stream stream = recording_stream::standard_output) {
  recording_event e;
  e.kind =
      stream == recording_stream::standard_input ? recording_kind::input : recording_kind::output;
  e.stream = stream;
  e.time_us = time_us;
  e.payload = std::move(bytes);
  return e;
}

recording_event resize(std::int64_t time_us, std::uint16_t cols, std::uint16_t rows) {
  recording_event e;
  e.kind = recording_kind::resize;
  e.time_us = time_us;
  e.payload = resize_payload(cols, rows);
  return e;
}

std::string exported(export_format format, const std::vector<recording_event>& events,
                     export_options options = {}) {
  std::string out;
  auto exporter = make_exporter(format, summary_of(), options, [&out](std::string_view piece) {
    out.append(piece);
    return true;
  });
  for (const auto& e : events) EXPECT_TRUE(exporter->add(e));
  EXPECT_TRUE(exporter->finish());
  return out;
}

std::vector<json> lines_of(const std::string& text) {
  std::vector<json> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    json parsed = json::parse(line, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << "not JSON: " << line;
    lines.push_back(parsed);
  }
  return lines;
}

}  // namespace

TEST(asciicast_export, HeaderOutputResizeAndInputOnlyWhenAsked) {
  const auto events = recording({output(1'500'000, "hello\r\n"), resize(2'000'000, 80, 24),
                                 output(2'250'000, "ls\r", recording_stream::standard_input),
                                 output(3'000'001, "err\n", recording_stream::standard_error)});
  const std::string text = exported(export_format::asciicast, events);
  EXPECT_EQ(text.rfind("{\"version\":2,", 0), 0u) << "version first: " << text;
  const auto lines = lines_of(text);
  ASSERT_EQ(lines.size(), 4u) << text;
  EXPECT_EQ(lines[0]["width"], 100);
  EXPECT_EQ(lines[0]["height"], 30);
  EXPECT_EQ(lines[0]["timestamp"], 1796637600);
  EXPECT_EQ(lines[0]["command"], "vim 'a b.txt'");
  EXPECT_EQ(lines[1], json::parse(R"([1.5, "o", "hello\r\n"])"));
  EXPECT_EQ(lines[2], json::parse(R"([2.0, "r", "80x24"])"));
  EXPECT_EQ(lines[3][1], "o") << "stderr is output too";
  EXPECT_EQ(lines[3][2], "err\n");
  EXPECT_NE(text.find("[3.000001, \"o\""), std::string::npos) << "microseconds: " << text;

  const auto with_input =
      lines_of(exported(export_format::asciicast, events, export_options{true}));
  ASSERT_EQ(with_input.size(), 5u);
  EXPECT_EQ(with_input[3], json::parse(R"([2.25, "i", "ls\r"])"));
}

TEST(asciicast_export, Utf8CutAcrossEventsComesOutWhole) {
  // "€" is E2 82 AC, "😀" is F0 9F 98 80: cut after their first and second bytes.
  const auto events = recording({output(1, "price: \xe2"), output(2, "\x82\xac 5 \xf0\x9f"),
                                 resize(3, 90, 20), output(4, "\x98\x80!")});
  const auto lines = lines_of(exported(export_format::asciicast, events));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[1][2], "price: ");
  EXPECT_EQ(lines[2][2], "€ 5 ");
  EXPECT_EQ(lines[3][1], "r");
  EXPECT_EQ(lines[4][2], "😀!");
}

TEST(asciicast_export, InvalidBytesBecomeReplacementCharactersInValidJson) {
  const auto events = recording({output(1, std::string("a\xff\xfe b\x00"
                                                       "c\"\\",
                                                       9)),
                                 output(2, "\xe2\x82"), output(3, "Z"), output(4, "end \xe2")});
  const std::string text = exported(export_format::asciicast, events);
  const auto lines = lines_of(text);
  ASSERT_EQ(lines.size(), 5u) << text;
  EXPECT_EQ(lines[1][2], std::string("a\xef\xbf\xbd\xef\xbf\xbd b\x00"
                                     "c\"\\",
                                     13));
  EXPECT_EQ(lines[2][2].get<std::string>().back(), 'Z') << "an unfinished sequence cut short";
  EXPECT_EQ(lines[3][2], "end ");
  EXPECT_EQ(lines[4][2], "\xef\xbf\xbd") << "what is unfinished at the end comes out replaced";
}

TEST(asciicast_export, WithoutAnOpenEventTheSummaryGivesTheHeader) {
  std::string out;
  auto exporter =
      make_exporter(export_format::asciicast, summary_of({}), {}, [&out](std::string_view piece) {
        out.append(piece);
        return true;
      });
  ASSERT_TRUE(exporter->finish());
  const auto lines = lines_of(out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["width"], 100);
  EXPECT_EQ(lines[0]["command"], "");
}

TEST(json_export, OneDocumentWhoseEventsVerify) {
  const auto events = recording({output(1, "\xff binary"), resize(2, 80, 24), output(3, "text")});
  const std::string text = exported(export_format::json, events);
  const json document = json::parse(text);
  EXPECT_EQ(document["format"], "rstream-recording-v1");
  EXPECT_EQ(document["recording"]["session_id"], session);
  ASSERT_EQ(document["events"].size(), events.size());
  chain_verifier verifier(document["recording"]["session_id"].get<std::string>());
  for (const auto& item : document["events"]) {
    auto event = read_recording_event(item);
    ASSERT_TRUE(event) << event.error().message;
    EXPECT_TRUE(verifier.add(*event)) << verifier.broken()->describe();
  }
  // One event per line: a reader can stream it.
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), static_cast<long>(events.size() + 2));

  const json empty = json::parse(exported(export_format::json, {}));
  EXPECT_TRUE(empty["events"].empty());
}

TEST(recording_export, ASinkThatRefusesStopsTheExport) {
  int calls = 0;
  auto exporter = make_exporter(export_format::asciicast, summary_of(), {},
                                [&calls](std::string_view) { return ++calls < 2; });
  const auto events = recording({output(1, "a"), output(2, "b")});
  EXPECT_TRUE(exporter->add(events[0]));
  EXPECT_FALSE(exporter->add(events[1]));
  EXPECT_EQ(parse_export_format("asciicast"), export_format::asciicast);
  EXPECT_EQ(parse_export_format("json"), export_format::json);
  EXPECT_EQ(parse_export_format("text"), export_format::text);
  EXPECT_FALSE(parse_export_format("html"));
  // The api layer has no terminal model: the engine makes the text export.
  EXPECT_EQ(
      make_exporter(export_format::text, summary_of(), {}, [](std::string_view) { return true; }),
      nullptr);
}

TEST(recording_export, TheTerminalFeedGetsSizesAndOutputInOrder) {
  const auto events =
      recording({output(1, "a"), output(2, "typed", recording_stream::standard_input),
                 resize(3, 80, 24), output(4, "b", recording_stream::standard_error)});
  std::string seen;
  terminal_feed feed;
  feed.resize = [&seen](std::uint16_t cols, std::uint16_t rows) {
    seen += "[" + std::to_string(cols) + "x" + std::to_string(rows) + "]";
  };
  feed.output = [&seen](std::string_view bytes) { seen.append(bytes); };
  for (const auto& e : events) feed_terminal(e, feed);
  EXPECT_EQ(seen, "[100x30]a[80x24]b");
}
