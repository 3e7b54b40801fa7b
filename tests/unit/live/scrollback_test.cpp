// Tests for the live session scrollback (rstream/live/scrollback_ring.hpp): the escape tracker's
// states, the memory cap, the retained bytes, replays that never start inside a UTF-8 or escape
// sequence (a property test over generated terminal output, cut at every kind of place, with a
// fixed seed), cuts inside a huge OSC/DCS, and resuming from an offset (exact or skipped).
#include "rstream/live/scrollback_ring.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rstream/base/utf8.hpp"

namespace {

using rstream::live::errc;
using rstream::live::escape_tracker;
using rstream::live::scrollback_ring;
using state = escape_tracker::state;

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string text_of(const std::vector<std::uint8_t>& v) { return {v.begin(), v.end()}; }

state state_after(std::string_view s) {
  escape_tracker t;
  t.feed(bytes_of(s));
  return t.current();
}

// ---- escape_tracker ----

TEST(EscapeTracker, FollowsEveryKindOfSequence) {
  EXPECT_EQ(state_after("plain text"), state::ground);
  EXPECT_EQ(state_after("\x1b"), state::escape);
  EXPECT_EQ(state_after("\x1b"
                        "7"),
            state::ground);  // DECSC: two-byte sequence
  EXPECT_EQ(state_after("\x1b("), state::escape_intermediate);
  EXPECT_EQ(state_after("\x1b(B"), state::ground);
  EXPECT_EQ(state_after("\x1b[38;5;19"), state::csi);
  EXPECT_EQ(state_after("\x1b[38;5;196m"), state::ground);
  EXPECT_EQ(state_after("\x1b[?25"), state::csi);
  EXPECT_EQ(state_after("\x1b[?25l"), state::ground);
  EXPECT_EQ(state_after("\x1b[1\r\n"), state::csi);  // C0 controls do not end a CSI
  EXPECT_EQ(state_after("\x1b]0;title"), state::osc);
  EXPECT_EQ(state_after("\x1b]0;title\x07"), state::ground);
  EXPECT_EQ(state_after("\x1b]0;title\x1b"), state::escape);
  EXPECT_EQ(state_after("\x1b]0;title\x1b\\"), state::ground);
  EXPECT_EQ(state_after("\x1b]0;caf\xc3\xa9 [m"), state::osc);  // bytes >= 0x80 stay in a string
  EXPECT_EQ(state_after("\x1bPq#0;2;0;0;0\x07"), state::control_string);  // BEL ends only OSC
  EXPECT_EQ(state_after("\x1bPq#0;2;0;0;0\x1b\\"), state::ground);
  EXPECT_EQ(state_after("\x1b_apc"), state::control_string);
  EXPECT_EQ(state_after("\x1b^pm"), state::control_string);
  EXPECT_EQ(state_after("\x1bXsos"), state::control_string);
  EXPECT_EQ(state_after("\x1b[12\x18"), state::ground);   // CAN cancels
  EXPECT_EQ(state_after("\x1b]0;t\x1a"), state::ground);  // SUB cancels
  EXPECT_EQ(state_after("\x1b[12\x1b[3"), state::csi);    // ESC restarts
  EXPECT_EQ(state_after("\x1b[12\xc3"), state::ground);   // non-ASCII aborts a CSI
}

TEST(EscapeTracker, BytewiseAndBulkFeedingAgree) {
  const std::string stream =
      "a\x1b[1mb\x1b]2;t\x07c\x1bPx\x1b\\d\x1b(Be\x1b"
      "7f\xe2\x82\xac\x1b[?1049h";
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    escape_tracker bulk;
    bulk.feed(bytes_of(std::string_view(stream).substr(0, cut)));
    escape_tracker bytewise;
    for (std::size_t i = 0; i < cut; ++i) bytewise.feed(static_cast<std::uint8_t>(stream[i]));
    EXPECT_EQ(bulk.current(), bytewise.current()) << "after " << cut << " bytes";
  }
}

// ---- capacity and retention ----

TEST(ScrollbackRing, CapsMemoryAtItsCapacityAndKeepsTheLastBytes) {
  constexpr std::size_t capacity = 10'000;
  scrollback_ring ring(capacity);
  std::mt19937 rng(1234);
  std::string all;
  for (int i = 0; i < 400; ++i) {
    std::string chunk(std::uniform_int_distribution<std::size_t>(0, 3 * capacity / 2)(rng), '\0');
    for (char& c : chunk) c = static_cast<char>('a' + rng() % 26);
    ring.append(bytes_of(chunk));
    all += chunk;
    ASSERT_LE(ring.size(), capacity);
    ASSERT_LE(ring.memory_bytes(), capacity);
    ASSERT_EQ(ring.total_written(), all.size());
    ASSERT_EQ(ring.begin_offset(), all.size() - ring.size());
    std::vector<std::uint8_t> retained;
    ASSERT_EQ(ring.copy(ring.begin_offset(), capacity, retained), ring.size());
    ASSERT_EQ(text_of(retained), all.substr(all.size() - ring.size()));
  }
  EXPECT_EQ(ring.size(), capacity);
}

TEST(ScrollbackRing, GrowsItsStorageOnlyAsNeeded) {
  scrollback_ring ring;  // 1 MiB by default
  EXPECT_EQ(ring.capacity(), 1024u * 1024u);
  ring.append(bytes_of("hello"));
  EXPECT_LE(ring.memory_bytes(), 4096u);
  EXPECT_EQ(text_of(ring.snapshot()), "hello");
}

TEST(ScrollbackRing, AChunkLargerThanTheCapacityKeepsItsTail) {
  scrollback_ring ring(8);
  ring.append(bytes_of("abc"));
  ring.append(bytes_of("0123456789XYZ"));
  EXPECT_EQ(ring.total_written(), 16u);
  EXPECT_EQ(ring.begin_offset(), 8u);
  EXPECT_EQ(text_of(ring.snapshot()), "56789XYZ");
}

TEST(ScrollbackRing, RejectsAZeroCapacity) {
  EXPECT_THROW(scrollback_ring(0), std::invalid_argument);
}

// ---- safe replay points: a property test over generated terminal output ----

/// Terminal output made of tokens (characters and whole escape sequences), with the offset of
/// every token start: exactly the places where a replay may begin.
struct terminal_stream {
  std::string bytes;
  std::set<std::uint64_t> boundaries;
};

terminal_stream generate_stream(std::mt19937& rng, std::size_t min_size) {
  terminal_stream s;
  auto pick = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  };
  auto utf8 = [&](std::string& out) {
    // A random code point of 1 to 4 UTF-8 bytes (no surrogates).
    static const std::uint32_t ranges[][2] = {
        {0x20, 0x7E}, {0xA0, 0x7FF}, {0x800, 0xD7FF}, {0xE000, 0xFFFD}, {0x10000, 0x10FFFF}};
    const auto& r = ranges[pick(5)];
    const std::uint32_t cp = std::uniform_int_distribution<std::uint32_t>(r[0], r[1])(rng);
    rstream::base::append_utf8(out, cp);
  };
  auto text = [&](std::size_t max_chars) {
    std::string t;
    const std::size_t n = pick(max_chars + 1);
    for (std::size_t i = 0; i < n; ++i) utf8(t);
    return t;
  };
  auto params = [&] {
    std::string p;
    const std::size_t n = pick(4);
    for (std::size_t i = 0; i < n; ++i) p += std::to_string(pick(300)) + (i + 1 < n ? ";" : "");
    return p;
  };
  while (s.bytes.size() < min_size) {
    s.boundaries.insert(s.bytes.size());
    std::string token;
    switch (pick(12)) {
      case 0:
      case 1:
      case 2:
      case 3:
        utf8(token);
        break;
      case 4:
        token = std::string(1, "\r\n\t\b"[pick(4)]);
        break;
      case 5:
        token = "\x1b[" + params() + "mHJKABCDGfr"[pick(11)];
        break;
      case 6:
        token = "\x1b[?" + std::to_string(pick(2100)) + (pick(2) ? "h" : "l");
        break;
      case 7:
        token = "\x1b]" + std::to_string(pick(3)) + ";" + text(40) + (pick(2) ? "\x07" : "\x1b\\");
        break;
      case 8:
        token = "\x1b" + std::string(1, "P_^X"[pick(4)]) + text(60) + "\x1b\\";
        break;
      case 9:
        token = "\x1b" + std::string(1, "78=>MDEc"[pick(8)]);
        break;
      case 10:
        token = "\x1b" + std::string(1, "()#%"[pick(4)]) + std::string(1, "B0U8G"[pick(5)]);
        break;
      default:
        token = "\x1b]8;;https://example.com/" + text(10) + "\x1b\\link\x1b]8;;\x1b\\";
        // An OSC 8 hyperlink: three tokens (two OSCs and the text between them).
        s.boundaries.insert(s.bytes.size() + token.find("link"));
        s.boundaries.insert(s.bytes.size() + token.find("link") + 1);
        s.boundaries.insert(s.bytes.size() + token.find("link") + 2);
        s.boundaries.insert(s.bytes.size() + token.find("link") + 3);
        s.boundaries.insert(s.bytes.size() + token.find("link") + 4);
        break;
    }
    s.bytes += token;
  }
  s.boundaries.insert(s.bytes.size());
  return s;
}

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

TEST(ScrollbackRing, SnapshotStartsAtTheFirstWholeTokenAfterTheCut) {
  std::mt19937 rng(20240501);  // fixed seed: deterministic
  int cuts_inside_tokens = 0;
  for (int round = 0; round < 60; ++round) {
    const terminal_stream stream = generate_stream(rng, 20'000);
    const std::size_t capacity = std::uniform_int_distribution<std::size_t>(1, 3000)(rng);
    scrollback_ring ring(capacity);
    std::size_t at = 0;
    while (at < stream.bytes.size()) {
      const std::size_t n = std::min(stream.bytes.size() - at,
                                     std::uniform_int_distribution<std::size_t>(1, 700)(rng));
      ring.append(bytes_of(std::string_view(stream.bytes).substr(at, n)));
      at += n;

      const std::uint64_t begin = ring.begin_offset();
      // The first token start after the cut, or the end when the last token is still incomplete.
      const std::uint64_t expected =
          begin == 0 ? 0 : std::min<std::uint64_t>(*stream.boundaries.lower_bound(begin), at);
      ASSERT_EQ(ring.safe_start(), expected)
          << "round " << round << ", capacity " << capacity << ", cut at " << begin;
      if (begin != expected) ++cuts_inside_tokens;
      const std::string snapshot = text_of(ring.snapshot());
      ASSERT_EQ(snapshot, stream.bytes.substr(expected, at - expected));
      if (!snapshot.empty()) {
        ASSERT_FALSE(is_continuation(snapshot.front())) << "snapshot starts inside UTF-8";
      }
      // A terminal that starts fresh on a replay ends in the same parser state as one that saw
      // the whole stream.
      if (!snapshot.empty()) {
        escape_tracker replay;
        replay.feed(bytes_of(snapshot));
        ASSERT_EQ(replay.current(), state_after(std::string_view(stream.bytes).substr(0, at)));
      }
    }
  }
  EXPECT_GT(cuts_inside_tokens, 1000);  // the property was exercised, not just the easy case
}

TEST(ScrollbackRing, EveryCutInsideMultiByteTextStartsOnACharacter) {
  const std::string text =
      "h\xc3\xa9llo w\xc3\xb6rld \xe2\x82\xac 100 \xf0\x9f\x98\x80 \xe4\xb8\xad\xe6\x96\x87";
  for (std::size_t capacity = 1; capacity <= text.size(); ++capacity) {
    scrollback_ring ring(capacity);
    ring.append(bytes_of("prefix "));
    ring.append(bytes_of(text));
    const std::string snapshot = text_of(ring.snapshot());
    if (!snapshot.empty()) {
      EXPECT_FALSE(is_continuation(snapshot.front())) << capacity;
    }
    EXPECT_TRUE(text.ends_with(snapshot)) << capacity;
    EXPECT_LE(ring.safe_start() - ring.begin_offset(), 3u) << capacity;
  }
}

TEST(ScrollbackRing, CutsInsideSequencesSkipToTheirEnd) {
  const std::vector<std::string> sequences = {
      "\x1b[38;2;255;128;0m",
      "\x1b[?1049h",
      "\x1b]0;window title\x07",
      "\x1b]2;caf\xc3\xa9\x1b\\",
      "\x1bPq#0;2;0;0;0#0~~\x1b\\",
      "\x1b_Gf=100;AAAA\x1b\\",
      "\x1b(B",
      "\x1b"
      "7",
  };
  for (const std::string& seq : sequences) {
    const std::string stream = "before" + seq + "after";
    for (std::size_t cut = 6; cut < 6 + seq.size(); ++cut) {  // every position inside seq
      scrollback_ring ring(stream.size() - cut);
      ring.append(bytes_of(stream));
      ASSERT_EQ(ring.begin_offset(), cut);
      const std::string expected = cut == 6 ? seq + "after" : "after";
      EXPECT_EQ(text_of(ring.snapshot()), expected)
          << "sequence " << seq.substr(1) << " cut " << cut - 6;
    }
  }
}

TEST(ScrollbackRing, ACutInsideAHugeOscSkipsToItsEnd) {
  scrollback_ring ring(1024 * 1024);
  ring.append(bytes_of("\x1b]0;"));
  const std::string chunk(64 * 1024, 'x');
  for (int i = 0; i < 48; ++i) ring.append(bytes_of(chunk));  // 3 MiB of OSC payload
  EXPECT_EQ(ring.size(), ring.capacity());
  EXPECT_EQ(ring.safe_start(), ring.total_written());  // all of it is inside the OSC
  EXPECT_TRUE(ring.snapshot().empty());

  ring.append(
      bytes_of("\x07"
               "after the title"));
  EXPECT_EQ(text_of(ring.snapshot()), "after the title");

  // The same with a DCS ended by ST split across appends.
  ring.append(bytes_of("\x1bP"));
  for (int i = 0; i < 20; ++i) ring.append(bytes_of(chunk));
  ring.append(bytes_of("\x1b"));
  EXPECT_TRUE(ring.snapshot().empty());
  ring.append(bytes_of("\\prompt$ "));
  EXPECT_EQ(text_of(ring.snapshot()), "prompt$ ");
}

// ---- resuming from an offset ----

TEST(ScrollbackRing, BytesSinceARetainedOffsetIsExact) {
  scrollback_ring ring(16);
  ring.append(bytes_of("0123456789"));
  ring.append(bytes_of("abcdefghij"));  // retains offsets 4..19
  auto r = ring.bytes_since(6);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->exact());
  EXPECT_EQ(r->from_offset, 6u);
  EXPECT_EQ(text_of(r->bytes), "6789abcdefghij");

  r = ring.bytes_since(ring.begin_offset());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(text_of(r->bytes), "456789abcdefghij");

  r = ring.bytes_since(ring.total_written());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->exact());
  EXPECT_TRUE(r->bytes.empty());
}

TEST(ScrollbackRing, BytesSinceAnEvictedOffsetSaysWhatWasSkipped) {
  scrollback_ring ring(10);
  ring.append(bytes_of("hello \x1b[31mred\x1b[0m"));  // 18 bytes
  // Retained: offsets 8..17 = "31mred\x1b[0m": the cut is inside the first CSI.
  auto r = ring.bytes_since(2);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->exact());
  EXPECT_EQ(r->from_offset, 11u);  // after "\x1b[31m"
  EXPECT_EQ(r->skipped, 9u);
  EXPECT_EQ(text_of(r->bytes), "red\x1b[0m");
  EXPECT_EQ(r->bytes, ring.snapshot());
}

TEST(ScrollbackRing, BytesSinceTheFutureIsInvalid) {
  scrollback_ring ring(8);
  ring.append(bytes_of("abc"));
  const auto r = ring.bytes_since(4);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), errc::invalid_argument);
  EXPECT_NE(r.error().message.find("beyond"), std::string::npos);
}

TEST(ScrollbackRing, CopyRefusesOffsetsOutsideTheRetainedRange) {
  scrollback_ring ring(4);
  ring.append(bytes_of("abcdef"));
  std::vector<std::uint8_t> out;
  EXPECT_EQ(ring.copy(1, 10, out), 0u);
  EXPECT_EQ(ring.copy(7, 10, out), 0u);
  EXPECT_EQ(ring.copy(3, 2, out), 2u);
  EXPECT_EQ(text_of(out), "de");
}

}  // namespace
