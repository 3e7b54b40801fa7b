// The text export's transcript: lines come out as they scroll, a full-screen program shows as
// its last screen after the line it was started from, and the screen left at the end follows.
#include <gtest/gtest.h>

#include <string>

#include "rstream/live/text_transcript.hpp"

namespace {

using rstream::live::text_transcript;

struct collected {
  std::string text;
  text_transcript transcript{[this](std::string_view piece) {
    text.append(piece);
    return true;
  }};
};

const std::string rule(40, '-');

TEST(TextTranscript, WritesWhatAPersonReads) {
  collected c;
  c.transcript.resize(20, 5);
  c.transcript.output("$ echo hi\r\nhi\r\n\x1b[1;31mred\x1b[0m and plain\r\nabc\rX\r\n$ ");
  EXPECT_TRUE(c.transcript.finish());
  EXPECT_EQ(c.text, "$ echo hi\nhi\nred and plain\nXbc\n$\n");
}

TEST(TextTranscript, WritesLinesAsTheyScrollWithTheMemoryOfOneScreen) {
  collected c;
  c.transcript.resize(20, 3);
  std::string expected;
  for (int i = 0; i < 5000; ++i) {
    const std::string line = "line " + std::to_string(i);
    c.transcript.output(line + "\r\n");
    expected += line + "\n";
  }
  // Everything but the screen's last two lines was written before the end.
  EXPECT_NE(c.text.find("line 4997\n"), std::string::npos);
  EXPECT_EQ(c.text.find("line 4999"), std::string::npos);
  EXPECT_TRUE(c.transcript.finish());
  EXPECT_EQ(c.text, expected);
}

TEST(TextTranscript, ShowsAFullScreenProgramByItsLastScreenAfterItsCommand) {
  collected c;
  c.transcript.resize(30, 4);
  c.transcript.output("$ vim notes\r\n");
  c.transcript.output("\x1b[?1049h\x1b[H\x1b[2Jfirst draft\x1b[H\x1b[2Jfinal text\r\n~\r\n~");
  c.transcript.output("\x1b[?1049l$ echo done\r\ndone\r\n$ ");
  EXPECT_TRUE(c.transcript.finish());
  EXPECT_EQ(c.text,
            "$ vim notes\n" + rule + "\nfinal text\n~\n~\n" + rule + "\n$ echo done\ndone\n$\n");
}

TEST(TextTranscript, PlacesTheProgramRightEvenAfterItsCommandScrolledAway) {
  collected c;
  c.transcript.resize(30, 3);
  c.transcript.output("$ top\r\n\x1b[?1049hload 1.00\x1b[?1049l");
  for (int i = 0; i < 5; ++i) c.transcript.output("after " + std::to_string(i) + "\r\n");
  EXPECT_TRUE(c.transcript.finish());
  EXPECT_EQ(c.text, "$ top\n" + rule + "\nload 1.00\n" + rule +
                        "\nafter 0\nafter 1\nafter 2\nafter 3\nafter 4\n");
}

TEST(TextTranscript, AProgramStillOnTheAlternateScreenComesLast) {
  collected c;
  c.transcript.resize(30, 4);
  c.transcript.output("$ less log\r\n\x1b[?1049hpage one");
  EXPECT_TRUE(c.transcript.finish());
  EXPECT_EQ(c.text, "$ less log\n" + rule + "\npage one\n" + rule + "\n");
}

TEST(TextTranscript, StopsWritingWhenTheSinkRefuses) {
  int calls = 0;
  text_transcript t([&calls](std::string_view) { return ++calls < 2; });
  t.resize(10, 2);
  t.output("a\r\nb\r\nc\r\nd\r\n");
  EXPECT_FALSE(t.finish());
  EXPECT_EQ(calls, 2);
}

}  // namespace
