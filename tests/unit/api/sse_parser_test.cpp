// sse_parser: events split across arbitrary pieces, line endings, comments, multi-line data.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rstream/api/sse_parser.hpp"

namespace rstream::api {
namespace {

std::vector<sse_event> parse_in_pieces(const std::string& stream, std::size_t piece) {
  std::vector<sse_event> events;
  sse_parser parser([&events](const sse_event& e) { events.push_back(e); });
  for (std::size_t i = 0; i < stream.size(); i += piece) {
    EXPECT_TRUE(parser.feed(std::string_view(stream).substr(i, piece)));
  }
  return events;
}

TEST(SseParser, EventsAreTheSameWhateverThePieceSize) {
  const std::string stream =
      ": keep-alive\n\n"
      "id: 1\nevent: participant_joined\ndata: {\"seq\":1}\n\n"
      "id: 2\r\nevent: state_changed\r\ndata: {\"seq\":2,\r\ndata: \"x\":1}\r\n\r\n"
      "id:3\revent:control_requested\rdata:{\"seq\":3}\r\r";
  for (std::size_t piece : {1u, 2u, 3u, 7u, 1000u}) {
    auto events = parse_in_pieces(stream, piece);
    ASSERT_EQ(events.size(), 3u) << "piece " << piece;
    EXPECT_EQ(events[0].id, "1");
    EXPECT_EQ(events[0].type, "participant_joined");
    EXPECT_EQ(events[0].data, "{\"seq\":1}");
    EXPECT_EQ(events[1].id, "2");
    EXPECT_EQ(events[1].type, "state_changed");
    EXPECT_EQ(events[1].data, "{\"seq\":2,\n\"x\":1}");
    EXPECT_EQ(events[2].id, "3");
    EXPECT_EQ(events[2].type, "control_requested");
  }
}

TEST(SseParser, AnEventWithoutDataIsNotDispatchedAndTheTypeDefaultsToMessage) {
  auto events = parse_in_pieces("event: nothing\n\ndata: plain\n\n", 5);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "message");
  EXPECT_EQ(events[0].data, "plain");
}

TEST(SseParser, AnIncompleteEventAtTheEndIsNotDispatched) {
  auto events = parse_in_pieces("data: whole\n\ndata: half\n", 4);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "whole");
}

TEST(SseParser, ALineOverTheLimitIsAnError) {
  sse_parser parser([](const sse_event&) {}, 8);
  EXPECT_TRUE(parser.feed("data: 1\n"));
  EXPECT_FALSE(parser.feed("data: 123456789\n"));
}

}  // namespace
}  // namespace rstream::api
