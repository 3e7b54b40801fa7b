// Tests for terminal live sessions (session_options::terminal,
// rstream/live/live_session_state.hpp): a participant starts from the terminal model's repaint, not
// from raw scrollback, and what its terminal then shows is the session's screen; a lagging
// participant is repainted (with output_skipped, "repainted": true) and loses nothing it could see;
// participants starting together share one repaint; resizes reach the model; memory stays bounded.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rstream/live/live_session_state.hpp"
#include "support/screen_round_trip.hpp"

namespace {

namespace live = rstream::live;
using live::live_session_state;
using live::session_options;
using rstream::testing::as_bytes;

const live::time_point t0 = live::time_point{} + std::chrono::seconds(1'700'000'000);

session_options terminal_options(std::size_t queue = 256 * 1024) {
  return {.id = "t1", .cols = 80, .rows = 24, .queue_limit_bytes = queue, .terminal = true};
}

struct received {
  std::string bytes;
  std::vector<rstream::live::output_batch> batches;
};

/// Takes everything a participant has now, in steps of `step` bytes.
received take_all(live_session_state& s, const std::string& id, std::size_t step = 64 * 1024) {
  received got;
  std::vector<std::uint8_t> out;
  while (s.has_output(id)) {
    out.clear();
    auto batch = s.take_output(id, out, step, t0);
    EXPECT_TRUE(batch.ok());
    if (!batch.ok() || batch->bytes == 0) break;
    got.bytes.append(out.begin(), out.end());
    got.batches.push_back(*batch);
  }
  return got;
}

/// What a terminal that received `bytes` shows, against the session's model.
std::string screen_difference(live_session_state& s, const std::string& bytes, bool with_history) {
  live::screen_model viewer(s.cols(), s.rows());
  viewer.feed(as_bytes(bytes));
  auto expected = s.screen()->snapshot();
  auto got = viewer.snapshot();
  if (!with_history) expected.history = got.history = {};
  return rstream::testing::snapshot_difference(expected, got);
}

std::string progress_rewrites(int count) {
  std::string out;
  for (int i = 0; i < count; ++i) out += "\rprogress " + std::to_string(i);
  return out;
}

TEST(TerminalSession, ANewParticipantGetsTheScreenAsItIsThenLiveOutput) {
  live_session_state s(terminal_options(), t0);
  ASSERT_NE(s.screen(), nullptr);
  s.on_output(as_bytes("\x1b[H\x1b[2JTOP-MARKER\r\n"));
  s.on_output(as_bytes(progress_rewrites(100000)));  // well over the 1 MiB scrollback
  ASSERT_GT(s.scrollback().total_written(), s.scrollback().capacity());
  const std::uint64_t joined_at = s.scrollback().total_written();
  ASSERT_TRUE(s.attach("", "late", true, t0).ok());

  received first = take_all(s, "p1");
  ASSERT_FALSE(first.batches.empty());
  EXPECT_TRUE(first.batches.front().repaint);
  EXPECT_EQ(first.batches.front().offset, joined_at);
  EXPECT_NE(first.bytes.find("TOP-MARKER"), std::string::npos);
  EXPECT_LT(first.bytes.size(), 4096u);  // the screen, not megabytes of rewrites

  s.on_output(as_bytes("\r\nafter"));
  received next = take_all(s, "p1");
  ASSERT_EQ(next.batches.size(), 1u);
  EXPECT_FALSE(next.batches[0].repaint);
  EXPECT_EQ(next.batches[0].offset, joined_at);  // no gap after the repaint
  EXPECT_EQ(next.bytes, "\r\nafter");
  EXPECT_EQ(screen_difference(s, first.bytes + next.bytes, true), "");
}

TEST(TerminalSession, ALaggingParticipantIsRepaintedAndItsTerminalShowsTheSessionsScreen) {
  live_session_state s(terminal_options(8 * 1024), t0);
  ASSERT_TRUE(s.attach("", "slow", true, t0).ok());
  ASSERT_TRUE(s.attach("", "fast", true, t0).ok());
  received slow = take_all(s, "p1");
  received fast = take_all(s, "p2");
  std::uint64_t lost_before = 0;
  for (int i = 0; i < 200; ++i) {
    std::string line = "\x1b[3" + std::to_string(i % 8) + "mline " + std::to_string(i) + "\x1b[m";
    line += std::string(60, static_cast<char>('a' + i % 26)) + "\r\n";
    if (i == 120) line += "\x1b[?1049h\x1b[H\x1b[2J\x1b[1;7mfull screen\x1b[m\x1b[5;5H";
    s.on_output(as_bytes(line));
    fast.bytes += take_all(s, "p2").bytes;  // keeps up: never repainted
    if (i == 50) lost_before = s.scrollback().total_written();
  }
  ASSERT_TRUE(s.catching_up("p1"));  // its queue overflowed
  const std::uint64_t offset = s.scrollback().total_written();
  received late = take_all(s, "p1");
  ASSERT_FALSE(late.batches.empty());
  EXPECT_TRUE(late.batches.front().repaint);
  EXPECT_EQ(late.batches.front().offset, offset);
  EXPECT_GT(late.batches.front().skipped, offset - lost_before);
  const auto page = s.events().since(0, 100);
  bool told = false;
  for (const auto& e : page.events) {
    if (e.type != live::event_type::output_skipped) continue;
    told = true;
    EXPECT_EQ(e.fields.at("participant_id"), "p1");
    EXPECT_EQ(e.fields.at("repainted"), true);
    EXPECT_EQ(e.fields.at("bytes"), late.batches.front().skipped);
  }
  EXPECT_TRUE(told);
  s.on_output(as_bytes("x"));
  late.bytes += take_all(s, "p1").bytes;
  fast.bytes += take_all(s, "p2").bytes;
  // What either terminal shows is the session's screen (the slow one's scrollback differs: it
  // missed lines the repaint's history brings back in another order).
  EXPECT_EQ(screen_difference(s, slow.bytes + late.bytes, false), "");
  EXPECT_EQ(screen_difference(s, fast.bytes, true), "");
}

TEST(TerminalSession, ParticipantsStartingTogetherShareOneRepaint) {
  live_session_state s(terminal_options(), t0);
  s.on_output(as_bytes("$ make\r\nbuilding\r\n"));
  std::vector<rstream::live::output_piece> first, second;
  std::vector<std::uint8_t> scratch;
  ASSERT_TRUE(s.attach("", "a", true, t0).ok());
  ASSERT_TRUE(s.attach("", "b", true, t0).ok());
  ASSERT_TRUE(s.take_output_pieces("p1", first, scratch, 1 << 20, t0).ok());
  ASSERT_TRUE(s.take_output_pieces("p2", second, scratch, 1 << 20, t0).ok());
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(first[0].chunk.get(), second[0].chunk.get());
  // After more output, the next one to start gets a new repaint.
  s.on_output(as_bytes("done\r\n"));
  ASSERT_TRUE(s.attach("", "c", true, t0).ok());
  std::vector<rstream::live::output_piece> third;
  ASSERT_TRUE(s.take_output_pieces("p3", third, scratch, 1 << 20, t0).ok());
  ASSERT_EQ(third.size(), 1u);
  EXPECT_NE(third[0].chunk.get(), first[0].chunk.get());
}

TEST(TerminalSession, TheControllersResizeReachesTheModel) {
  live_session_state s(terminal_options(), t0);
  ASSERT_TRUE(s.attach("", "owner", false, t0).ok());
  ASSERT_TRUE(s.resize("p1", 132, 43).ok());
  EXPECT_EQ(s.screen()->cols(), 132);
  EXPECT_EQ(s.screen()->rows(), 43);
  s.on_output(as_bytes("\x1b[43;132Hcorner"));
  received got = take_all(s, "p1");
  EXPECT_EQ(screen_difference(s, got.bytes, true), "");
}

TEST(TerminalSession, ARawSessionHasNoModelAndReplaysTheScrollback) {
  session_options o = terminal_options();
  o.terminal = false;
  live_session_state s(o, t0);
  EXPECT_EQ(s.screen(), nullptr);
  s.on_output(as_bytes("raw bytes\x1b[31m"));
  ASSERT_TRUE(s.attach("", "a", true, t0).ok());
  received got = take_all(s, "p1");
  EXPECT_EQ(got.bytes, "raw bytes\x1b[31m");
  EXPECT_FALSE(got.batches.front().repaint);
}

TEST(TerminalSession, FiftyParticipantsWithOnePausedStayBounded) {
  live_session_state s(terminal_options(64 * 1024), t0);
  for (int i = 0; i < 51; ++i) ASSERT_TRUE(s.attach("", "p", true, t0).ok());
  std::string chunk;
  for (int i = 0; i < 400; ++i) chunk += "output line " + std::to_string(i) + "\r\n";
  for (int round = 0; round < 200; ++round) {
    s.on_output(as_bytes(chunk));
    for (int i = 2; i <= 51; ++i) take_all(s, "p" + std::to_string(i));
    ASSERT_LT(s.memory_bytes(), std::size_t{5} << 20);
  }
  received paused = take_all(s, "p1");
  EXPECT_TRUE(paused.batches.front().repaint);
  EXPECT_EQ(screen_difference(s, paused.bytes, true), "");
}

}  // namespace
