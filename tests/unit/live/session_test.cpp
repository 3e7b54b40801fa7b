// Tests for one live session's state (rstream/live/live_session_state.hpp): lifecycle and its
// events, the session JSON, output fan-out to participants (scrollback first, then live, with no
// gap and no duplicate), slow participants resynced from the scrollback with output_skipped
// while the others lose nothing, bounded memory with 50 participants and one paused, and the
// controller gates for input, resize and signals.
#include "rstream/live/live_session_state.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace std::chrono_literals;
using rstream::live::actor;
using rstream::live::decision;
using rstream::live::errc;
using rstream::live::event_type;
using rstream::live::live_session_state;
using rstream::live::session_options;
using rstream::live::session_state;
using rstream::live::time_point;

const time_point t0 = time_point{} + std::chrono::seconds(1'700'000'000);

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

session_options options(std::size_t scrollback = 1 << 20, std::size_t queue = 256 * 1024) {
  session_options o;
  o.id = "s1";
  o.name = "build";
  o.command = {"bash", "-l"};
  o.working_dir = "/tmp";
  o.cols = 120;
  o.rows = 40;
  o.scrollback_bytes = scrollback;
  o.queue_limit_bytes = queue;
  return o;
}

/// Takes everything a participant has now (in steps of `step` bytes).
std::string drain(live_session_state& s, const std::string& id, std::size_t step = 1 << 20) {
  std::string got;
  std::vector<std::uint8_t> out;
  while (true) {
    out.clear();
    auto r = s.take_output(id, out, step, t0);
    EXPECT_TRUE(r.ok()) << r.error().message;
    if (!r.ok() || r->bytes == 0) break;
    got.append(out.begin(), out.end());
  }
  EXPECT_FALSE(s.has_output(id));
  return got;
}

/// The output a test writes: byte at offset o is a letter that depends on o, so any gap,
/// duplicate or reordering shows up.
char pattern_at(std::uint64_t o) { return static_cast<char>('a' + (o * 7 + o / 26) % 26); }

std::string pattern(std::uint64_t from, std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = pattern_at(from + i);
  return s;
}

/// Follows one participant's batches and checks each against the stream.
struct receiver {
  std::string id;
  std::uint64_t next = 0;  ///< offset expected next (after skips)
  bool started = false;
  std::uint64_t received = 0;
  std::uint64_t skipped = 0;

  /// Takes one batch of up to `max` bytes; returns its size.
  std::size_t take(live_session_state& s, std::size_t max) {
    std::vector<std::uint8_t> out;
    auto r = s.take_output(id, out, max, t0);
    EXPECT_TRUE(r.ok());
    if (!r.ok() || r->bytes == 0) return 0;
    if (started) {
      EXPECT_EQ(r->offset, next + r->skipped) << id << ": a gap or a duplicate";
    }
    started = true;
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (static_cast<char>(out[i]) != pattern_at(r->offset + i)) {
        ADD_FAILURE() << id << ": wrong byte at offset " << r->offset + i;
        break;
      }
    }
    next = r->offset + r->bytes;
    received += r->bytes;
    skipped += r->skipped;
    return r->bytes;
  }
  void take_all(live_session_state& s, std::size_t step = 1 << 20) {
    while (take(s, step) > 0) {
    }
  }
};

// ---- lifecycle and JSON ----

TEST(LiveSession, ToJsonHasEveryApiField) {
  live_session_state s(options(), t0);
  auto j = s.to_json();
  for (const char* key : {"id", "name", "state", "pid", "cols", "rows", "clients", "created_at",
                          "exit_code", "working_dir", "command"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["id"], "s1");
  EXPECT_EQ(j["name"], "build");
  EXPECT_EQ(j["state"], "starting");
  EXPECT_TRUE(j["pid"].is_null());
  EXPECT_EQ(j["cols"], 120);
  EXPECT_EQ(j["rows"], 40);
  EXPECT_EQ(j["clients"], 0);
  EXPECT_EQ(j["created_at"], "2023-11-14T22:13:20.000Z");
  EXPECT_TRUE(j["exit_code"].is_null());
  EXPECT_EQ(j["working_dir"], "/tmp");
  EXPECT_EQ(j["command"], (nlohmann::json{"bash", "-l"}));
  EXPECT_TRUE(j["controller"].is_null());

  ASSERT_TRUE(s.set_running(4242, t0).ok());
  ASSERT_TRUE(s.attach("alice", "Alice", false, t0).ok());
  ASSERT_TRUE(s.attach("bob", "", false, t0).ok());
  s.on_output(bytes_of("hello"));
  j = s.to_json();
  EXPECT_EQ(j["state"], "running");
  EXPECT_EQ(j["pid"], 4242);
  EXPECT_EQ(j["clients"], 2);
  EXPECT_EQ(j["controller"], "alice");
  EXPECT_EQ(j["participants"].size(), 2u);
  EXPECT_EQ(j["participants"][1]["role"], "spectator");
  EXPECT_EQ(j["output_bytes"], 5);
  EXPECT_EQ(j["last_event_seq"], s.events().last_seq());
}

TEST(LiveSession, LifecycleStepsAreEventsAndOutOfOrderStepsAreRefused) {
  live_session_state s(options(), t0);
  ASSERT_TRUE(s.set_running(99, t0 + 1s).ok());
  EXPECT_EQ(s.set_running(100, t0).code(), errc::invalid_state);
  ASSERT_TRUE(s.terminate(3, t0 + 2s).ok());
  EXPECT_EQ(s.terminate(4, t0).code(), errc::invalid_state);
  EXPECT_EQ(s.set_running(100, t0).code(), errc::invalid_state);
  EXPECT_EQ(s.state(), session_state::terminated);
  EXPECT_EQ(s.exit_code(), 3);
  EXPECT_EQ(s.terminated_at(), t0 + 2s);

  const auto page = s.events().since(0);
  ASSERT_EQ(page.events.size(), 2u);
  EXPECT_EQ(page.events[0].type, event_type::state_changed);
  EXPECT_EQ(page.events[0].fields["state"], "running");
  EXPECT_EQ(page.events[0].fields["pid"], 99);
  EXPECT_TRUE(page.events[0].fields["exit_code"].is_null());
  EXPECT_EQ(page.events[1].fields["state"], "terminated");
  EXPECT_EQ(page.events[1].fields["exit_code"], 3);
  EXPECT_EQ(page.events[1].fields["signal"], 0);
  EXPECT_EQ(s.events().to_json(page.events[1])["session_id"], "s1");
  EXPECT_EQ(s.to_json()["exit_code"], 3);
}

TEST(LiveSession, ASessionKilledBeforeItRanRecordsTheSignal) {
  live_session_state s(options(), t0);
  ASSERT_TRUE(s.terminate(137, t0, 9).ok());
  EXPECT_EQ(s.signal(), 9);
  EXPECT_EQ(s.to_json()["signal"], 9);
}

TEST(LiveSession, OptionsAreValidated) {
  auto bad = [](auto change) {
    session_options o = options();
    change(o);
    return live_session_state::validate(o);
  };
  EXPECT_TRUE(bad([](session_options&) {}).ok());
  EXPECT_EQ(bad([](session_options& o) { o.cols = 0; }).code(), errc::invalid_argument);
  EXPECT_EQ(bad([](session_options& o) { o.rows = 5000; }).code(), errc::invalid_argument);
  EXPECT_EQ(bad([](session_options& o) { o.id = ""; }).code(), errc::invalid_argument);
  EXPECT_EQ(bad([](session_options& o) { o.id = "a/b"; }).code(), errc::invalid_argument);
  EXPECT_EQ(bad([](session_options& o) { o.name = "tab\there"; }).code(), errc::invalid_argument);
  EXPECT_EQ(bad([](session_options& o) { o.scrollback_bytes = 0; }).code(), errc::invalid_argument);
  EXPECT_EQ(bad([](session_options& o) { o.queue_limit_bytes = 0; }).code(),
            errc::invalid_argument);
  EXPECT_NE(
      bad([](session_options& o) { o.cols = 0; }).error().message.find("got 0 columns by 40 rows"),
      std::string::npos);

  session_options o = options();
  o.rows = 0;
  EXPECT_THROW(live_session_state(o, t0), std::invalid_argument);
  o = options();
  o.name.clear();
  EXPECT_EQ(live_session_state(o, t0).name(), "s1");  // the id stands in for a missing name
}

// ---- fan-out ----

TEST(LiveSession, TwoParticipantsSeeTheSameBytes) {
  live_session_state s(options(), t0);
  ASSERT_TRUE(s.attach("a", "", false, t0).ok());
  ASSERT_TRUE(s.attach("b", "", false, t0).ok());
  s.on_output(bytes_of("one "));
  s.on_output(bytes_of("two "));
  EXPECT_EQ(drain(s, "a"), "one two ");
  s.on_output(bytes_of("three"));
  EXPECT_EQ(drain(s, "a"), "three");
  EXPECT_EQ(drain(s, "b", 3), "one two three");
}

TEST(LiveSession, AttachGetsTheScrollbackThenLiveOutputWithNoGapOrDuplicate) {
  live_session_state s(options(), t0);
  s.on_output(bytes_of("before attach\r\n"));
  ASSERT_TRUE(s.attach("late", "", true, t0).ok());
  EXPECT_TRUE(s.has_output("late"));
  EXPECT_TRUE(s.catching_up("late"));
  s.on_output(bytes_of("between attach and first read\r\n"));
  EXPECT_EQ(drain(s, "late", 7), "before attach\r\nbetween attach and first read\r\n");
  EXPECT_FALSE(s.catching_up("late"));  // caught up: now live
  s.on_output(bytes_of("live"));
  EXPECT_EQ(s.queued_bytes("late"), 4u);
  EXPECT_EQ(drain(s, "late"), "live");
}

TEST(LiveSession, InterleavedOutputAndReadsNeverGapOrDuplicate) {
  std::mt19937 rng(7);  // fixed seed: deterministic
  for (int round = 0; round < 20; ++round) {
    live_session_state s(options(1 << 20, 4096), t0);
    std::uint64_t written = 0;
    std::vector<receiver> receivers;
    std::uniform_int_distribution<int> action(0, 9);
    for (int step = 0; step < 400; ++step) {
      const int a = action(rng);
      if (a < 4) {
        const std::size_t n = std::uniform_int_distribution<std::size_t>(1, 900)(rng);
        s.on_output(bytes_of(pattern(written, n)));
        written += n;
      } else if (a == 4 && receivers.size() < 5) {
        receivers.push_back({"r" + std::to_string(receivers.size())});
        ASSERT_TRUE(s.attach(receivers.back().id, "", true, t0).ok());
      } else if (!receivers.empty()) {
        auto& r = receivers[rng() % receivers.size()];
        r.take(s, std::uniform_int_distribution<std::size_t>(1, 3000)(rng));
      }
    }
    for (auto& r : receivers) {
      r.take_all(s);
      EXPECT_EQ(r.next, written) << r.id;
      EXPECT_EQ(r.skipped, 0u) << r.id;  // the scrollback never overflowed: nothing lost
    }
  }
}

TEST(LiveSession, EveryClientGoneTheSessionRunsOnAndAReattachSeesWhatHappened) {
  live_session_state s(options(), t0);
  ASSERT_TRUE(s.set_running(1, t0).ok());
  ASSERT_TRUE(s.attach("a", "", false, t0).ok());
  s.on_output(bytes_of("$ make\r\n"));
  EXPECT_EQ(drain(s, "a"), "$ make\r\n");
  ASSERT_TRUE(s.detach("a", t0).ok());
  EXPECT_EQ(s.to_json()["clients"], 0);
  s.on_output(bytes_of("built while nobody watched\r\n"));
  EXPECT_EQ(s.state(), session_state::running);
  ASSERT_TRUE(s.attach("a", "", false, t0).ok());
  EXPECT_EQ(drain(s, "a"), "$ make\r\nbuilt while nobody watched\r\n");
}

TEST(LiveSession, AReplayAfterTheScrollbackWrappedStartsAtASafePoint) {
  live_session_state s(options(/*scrollback=*/16), t0);
  s.on_output(bytes_of("xxxxxxxxxx\x1b[38;5;196mred \xe2\x82\xac"));  // 28 bytes, keeps 16
  ASSERT_TRUE(s.attach("a", "", false, t0).ok());
  EXPECT_EQ(drain(s, "a"), "red \xe2\x82\xac");
}

// ---- slow participants ----

TEST(LiveSession, ALaggingParticipantIsResyncedWithOutputSkippedAndOthersLoseNothing) {
  live_session_state s(options(/*scrollback=*/4096, /*queue=*/1024), t0);
  receiver fast{"fast"};
  receiver slow{"slow"};
  ASSERT_TRUE(s.attach("fast", "", false, t0).ok());
  ASSERT_TRUE(s.attach("slow", "", true, t0).ok());
  std::uint64_t written = 0;
  // Both start live.
  fast.take_all(s);
  slow.take_all(s);
  for (int i = 0; i < 100; ++i) {
    s.on_output(bytes_of(pattern(written, 100)));
    written += 100;
    fast.take_all(s, 64);
    EXPECT_LE(s.queued_bytes("slow"), 1024u);
  }
  EXPECT_EQ(fast.received, written);
  EXPECT_EQ(fast.skipped, 0u);
  EXPECT_TRUE(s.catching_up("slow"));
  EXPECT_EQ(s.queued_bytes("slow"), 0u);  // its queue was dropped, not kept

  const std::uint64_t seq = s.events().last_seq();
  slow.take_all(s, 1000);
  EXPECT_EQ(slow.next, written);
  EXPECT_EQ(slow.received, 4096u);  // resynced from the scrollback
  EXPECT_EQ(slow.skipped, written - 4096);
  const auto page = s.events().since(seq);
  ASSERT_EQ(page.events.size(), 1u);
  EXPECT_EQ(page.events[0].type, event_type::output_skipped);
  EXPECT_EQ(page.events[0].fields["participant_id"], "slow");
  EXPECT_EQ(page.events[0].fields["bytes"], written - 4096);

  // After the resync it is live again and gets every byte.
  EXPECT_FALSE(s.catching_up("slow"));
  s.on_output(bytes_of(pattern(written, 500)));
  written += 500;
  EXPECT_EQ(s.queued_bytes("slow"), 500u);
  slow.take_all(s);
  fast.take_all(s);
  EXPECT_EQ(slow.next, written);
  EXPECT_EQ(fast.received, written);
}

TEST(LiveSession, AnOverflowStillInTheScrollbackSkipsNothing) {
  live_session_state s(options(/*scrollback=*/64 * 1024, /*queue=*/1024), t0);
  receiver r{"r"};
  ASSERT_TRUE(s.attach("r", "", false, t0).ok());
  r.take_all(s);
  for (int i = 0; i < 40; ++i) s.on_output(bytes_of(pattern(i * 100, 100)));
  EXPECT_TRUE(s.catching_up("r"));
  r.take_all(s, 333);
  EXPECT_EQ(r.received, 4000u);
  EXPECT_EQ(r.skipped, 0u);
  for (const auto& e : s.events().since(0).events) EXPECT_NE(e.type, event_type::output_skipped);
}

TEST(LiveSession, FiftyParticipantsWithOnePausedStayBoundedAndTheOthersGetEverything) {
  constexpr std::size_t scrollback = 256 * 1024;
  constexpr std::size_t queue = 64 * 1024;
  constexpr int participants = 50;
  live_session_state s(options(scrollback, queue), t0);
  std::vector<receiver> receivers;
  for (int i = 0; i < participants; ++i) {
    receivers.push_back({"p" + std::to_string(i)});
    ASSERT_TRUE(s.attach(receivers.back().id, "", i != 0, t0).ok());
  }
  receiver& paused = receivers[17];
  for (auto& r : receivers) r.take_all(s);

  const std::size_t bound = scrollback + participants * queue;
  std::uint64_t written = 0;
  std::size_t peak = 0;
  for (int i = 0; i < 256; ++i) {  // 4 MiB in 16 KiB reads
    s.on_output(bytes_of(pattern(written, 16 * 1024)));
    written += 16 * 1024;
    peak = std::max(peak, s.memory_bytes());
    for (auto& r : receivers) {
      if (&r != &paused && (i % 3 != 0 || r.id < "p3")) r.take_all(s, 8192);  // some batch up
    }
    ASSERT_LE(s.queued_bytes(paused.id), queue);
  }
  EXPECT_LE(peak, bound);
  for (auto& r : receivers) {
    if (&r == &paused) continue;
    r.take_all(s);
    EXPECT_EQ(r.received, written) << r.id;
    EXPECT_EQ(r.skipped, 0u) << r.id;
  }
  paused.take_all(s);
  EXPECT_EQ(paused.next, written);
  EXPECT_EQ(paused.received, scrollback);
  EXPECT_GT(paused.skipped, 0u);
}

// ---- participants and gates ----

TEST(LiveSession, OnlyTheControllersInputResizeAndSignalsArePassed) {
  live_session_state s(options(), t0);
  ASSERT_TRUE(s.attach("alice", "", false, t0).ok());
  ASSERT_TRUE(s.attach("bob", "", false, t0).ok());
  EXPECT_TRUE(s.authorize_input("alice").ok());
  EXPECT_EQ(s.authorize_input("bob").code(), errc::not_controller);
  EXPECT_EQ(s.authorize_signal("bob").code(), errc::not_controller);
  EXPECT_EQ(s.authorize_input("eve").code(), errc::unknown_participant);
  EXPECT_EQ(s.resize("bob", 100, 30).code(), errc::not_controller);
  EXPECT_EQ(s.cols(), 120);
  EXPECT_EQ(s.resize("alice", 0, 30).code(), errc::invalid_argument);
  ASSERT_TRUE(s.resize("alice", 100, 30).ok());
  EXPECT_EQ(s.cols(), 100);
  EXPECT_EQ(s.rows(), 30);

  auto r = s.request_control("bob", "my turn", t0);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(s.resolve(r->id, decision::grant, actor::by_participant("alice"), t0).ok());
  EXPECT_TRUE(s.authorize_input("bob").ok());
  EXPECT_EQ(s.authorize_input("alice").code(), errc::not_controller);
  EXPECT_EQ(s.resize("alice", 80, 24).code(), errc::not_controller);

  ASSERT_TRUE(s.revoke(actor::admin(), t0).ok());
  EXPECT_EQ(s.authorize_input("bob").code(), errc::not_controller);
}

TEST(LiveSession, ParticipantsGetFreshIdsAndUnknownOnesAreRefused) {
  live_session_state s(options(), t0);
  ASSERT_TRUE(s.attach("p2", "", false, t0).ok());
  auto a = s.attach("", "anon", false, t0);
  auto b = s.attach("", "anon", false, t0);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->id, "p1");
  EXPECT_EQ(b->id, "p3");  // p2 was taken
  EXPECT_EQ(s.attach("p1", "", false, t0).code(), errc::participant_exists);

  std::vector<std::uint8_t> out;
  ASSERT_TRUE(s.detach("p1", t0).ok());
  EXPECT_EQ(s.take_output("p1", out, 10, t0).code(), errc::unknown_participant);
  EXPECT_EQ(s.detach("p1", t0).code(), errc::unknown_participant);
  EXPECT_FALSE(s.has_output("p1"));
  EXPECT_EQ(s.to_json()["clients"], 2);
}

TEST(LiveSession, ParticipantsDrainTheOutputAfterTermination) {
  live_session_state s(options(), t0);
  ASSERT_TRUE(s.set_running(7, t0).ok());
  ASSERT_TRUE(s.attach("a", "", false, t0).ok());
  s.on_output(bytes_of("last words"));
  ASSERT_TRUE(s.terminate(0, t0 + 1s).ok());
  EXPECT_EQ(drain(s, "a"), "last words");
  const auto last = s.events().since(s.events().last_seq() - 1).events.back();
  EXPECT_EQ(last.type, event_type::state_changed);
  EXPECT_EQ(last.fields["state"], "terminated");
  EXPECT_EQ(last.fields["exit_code"], 0);
}

}  // namespace
