// api/recording_event.hpp: a sealed recording verifies; changing any field of any event, moving
// events between sessions, reordering, dropping the end or adding after close is named at the
// first broken event; the payloads and the JSON forms give back the exact bytes.
#include <gtest/gtest.h>

#include <functional>

#include "rstream/api/recording_event.hpp"

using namespace rstream::api;
using json = nlohmann::json;

namespace {

const std::string session = "ses_0123456789abcdef0123";

recording_open sample_open() {
  recording_open open;
  open.server_id = "srv_1";
  open.server_name = "build-01";
  open.argv = {"bash", "-lc", "echo 'hi'"};
  open.cols = 120;
  open.rows = 40;
  open.who = "ci";
  open.origin = "ci";
  open.group = "nightly";
  open.started_at = "2026-12-07T10:00:00.000Z";
  open.timestamp = 1796637600;
  return open;
}

recording_event event(recording_kind kind, std::int64_t time_us, std::string payload,
                      recording_stream stream = recording_stream::none) {
  recording_event e;
  e.kind = kind;
  e.time_us = time_us;
  e.stream = stream;
  e.payload = std::move(payload);
  return e;
}

/// open, output (stdout, not UTF-8), input, resize, joined, control, output (stderr), close.
std::vector<recording_event> sealed_recording(const std::string& id = session) {
  std::vector<recording_event> events{
      event(recording_kind::open, 0, open_payload(sample_open())),
      event(recording_kind::output, 1500, std::string("hello \xff\x00 world", 14),
            recording_stream::standard_output),
      event(recording_kind::input, 2000, "ls\r", recording_stream::standard_input),
      event(recording_kind::resize, 2500, resize_payload(100, 30)),
      event(recording_kind::participant_joined, 3000,
            fields_payload({{"participant_id", "p2"}, {"name", "bob"}, {"role", "spectator"}})),
      event(recording_kind::control, 3100,
            fields_payload({{"type", "control_requested"}, {"reason", "fix it ✓"}})),
      event(recording_kind::output, 4000, "oops\n", recording_stream::standard_error),
      event(recording_kind::close, 5000, close_payload({0, std::nullopt, "exited"})),
  };
  recording_chain chain(id);
  for (auto& e : events) chain.seal(e);
  return events;
}

}  // namespace

TEST(recording_chain, SealsInOrderAndVerifies) {
  const auto events = sealed_recording();
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].seq, i + 1);
    EXPECT_EQ(events[i].hash.size(), 64u);
  }
  EXPECT_NE(events[0].hash, events[1].hash);
  EXPECT_EQ(verify(session, events), std::nullopt);

  chain_verifier verifier(session);
  for (const auto& e : events) ASSERT_TRUE(verifier.add(e));
  EXPECT_TRUE(verifier.finish(events.size(), events.back().hash));
  EXPECT_EQ(verifier.events(), events.size());
}

TEST(recording_chain, ChangingAnyFieldOfAnyEventNamesThatEvent) {
  const std::vector<std::pair<const char*, std::function<void(recording_event&)>>> tampers{
      {"seq", [](recording_event& e) { e.seq += 1; }},
      {"time", [](recording_event& e) { e.time_us += 1; }},
      {"kind",
       [](recording_event& e) {
         e.kind =
             e.kind == recording_kind::control ? recording_kind::resize : recording_kind::control;
         e.stream = recording_stream::none;
       }},
      {"stream",
       [](recording_event& e) {
         e.stream = e.stream == recording_stream::standard_error ? recording_stream::standard_output
                                                                 : recording_stream::standard_error;
       }},
      {"payload byte", [](recording_event& e) { e.payload[e.payload.size() / 2] ^= 0x01; }},
      {"payload length", [](recording_event& e) { e.payload.push_back(' '); }},
      {"hash", [](recording_event& e) { e.hash[10] = e.hash[10] == '0' ? '1' : '0'; }},
      {"hash form", [](recording_event& e) { e.hash = "not a hash"; }},
  };
  const auto original = sealed_recording();
  for (std::size_t index = 0; index < original.size(); ++index) {
    for (const auto& [field, tamper] : tampers) {
      auto events = original;
      tamper(events[index]);
      const auto broken = verify(session, events);
      ASSERT_TRUE(broken) << field << " of event " << index + 1 << " went unnoticed";
      EXPECT_EQ(broken->seq, index + 1) << field << ": " << broken->describe();
      EXPECT_EQ(broken->describe().rfind("event " + std::to_string(index + 1) + ": ", 0), 0u);
    }
  }
}

TEST(recording_chain, EventsCannotMoveBetweenSessionsOrChangePlaces) {
  const auto events = sealed_recording();
  auto other = verify("ses_another", events);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->seq, 1u);

  auto swapped = events;
  std::swap(swapped[2], swapped[3]);
  auto broken = verify(session, swapped);
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->seq, 3u);

  // An event of another session with the same place: its hash is of the other chain.
  auto spliced = events;
  spliced[4] = sealed_recording("ses_another")[4];
  broken = verify(session, spliced);
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->seq, 5u);
}

TEST(recording_chain, StructureIsCheckedAsWellAsHashes) {
  auto events = sealed_recording();
  // Dropping the first event: event 1 is missing.
  auto headless = std::vector<recording_event>(events.begin() + 1, events.end());
  auto broken = verify(session, headless);
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->seq, 1u);
  EXPECT_NE(broken->reason.find("expected event 1, found 2"), std::string::npos);

  // A chain that does not start with open, even when its hashes are right.
  std::vector<recording_event> no_open{event(recording_kind::resize, 0, resize_payload(1, 1))};
  recording_chain chain(session);
  chain.seal(no_open[0]);
  broken = verify(session, no_open);
  ASSERT_TRUE(broken);
  EXPECT_NE(broken->reason.find("starts with its open event"), std::string::npos);

  // Nothing after close, even correctly chained.
  recording_chain full(session);
  auto after_close = sealed_recording();
  after_close.push_back(
      event(recording_kind::output, 6000, "late", recording_stream::standard_output));
  for (auto& e : after_close) full.seal(e);
  broken = verify(session, after_close);
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->seq, after_close.size());

  // An unknown kind (read from a store written by a newer build, or damaged).
  auto unknown = events;
  unknown[3].kind = recording_kind::unknown;
  broken = verify(session, unknown);
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->seq, 4u);
  EXPECT_NE(broken->reason.find("kind is unknown"), std::string::npos);
}

TEST(recording_chain, TheEndIsCheckedAgainstTheSummary) {
  const auto events = sealed_recording();
  auto truncated = events;
  truncated.pop_back();
  chain_verifier verifier(session);
  for (const auto& e : truncated) ASSERT_TRUE(verifier.add(e));
  EXPECT_FALSE(verifier.finish(events.size(), events.back().hash));
  ASSERT_TRUE(verifier.broken());
  EXPECT_EQ(verifier.broken()->seq, events.size());
  EXPECT_NE(verifier.broken()->reason.find("missing"), std::string::npos);

  chain_verifier other_end(session);
  for (const auto& e : events) ASSERT_TRUE(other_end.add(e));
  EXPECT_FALSE(other_end.finish(events.size(), events.front().hash));
  EXPECT_EQ(other_end.broken()->seq, events.size());

  chain_verifier running(session);  // a running recording has no last hash to compare yet
  for (const auto& e : truncated) ASSERT_TRUE(running.add(e));
  EXPECT_TRUE(running.finish(truncated.size(), ""));
}

TEST(recording_payloads, RoundTrip) {
  EXPECT_EQ(read_open(open_payload(sample_open())), sample_open());
  const std::pair<std::uint16_t, std::uint16_t> size{132, 43};
  EXPECT_EQ(read_resize(resize_payload(132, 43)), size);
  const recording_close killed{137, 9, "exited"};
  EXPECT_EQ(read_close(close_payload(killed)), killed);
  const recording_close stopped{std::nullopt, std::nullopt, "engine_stopped"};
  EXPECT_EQ(read_close(close_payload(stopped)), stopped);
  EXPECT_FALSE(read_resize(R"({"cols":0,"rows":10})"));
  EXPECT_FALSE(read_resize("not json"));
  EXPECT_FALSE(read_open(R"({"argv":"bash"})"));
  // Canonical: sorted keys, no spaces.
  EXPECT_EQ(resize_payload(80, 24), R"({"cols":80,"rows":24})");
}

TEST(recording_json, EveryEventRoundTripsExactly) {
  auto events = sealed_recording();
  for (const auto& e : events) {
    const json form = to_json(e);
    const auto back = read_recording_event(json::parse(form.dump()));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, e) << form.dump();
  }
  const json binary = to_json(events[1]);
  EXPECT_TRUE(binary.contains("base64")) << "not UTF-8: base64";
  EXPECT_EQ(binary["stream"], "stdout");
  const json text = to_json(events[2]);
  EXPECT_EQ(text["text"], "ls\r");
  EXPECT_EQ(text["stream"], "stdin");
  const json open = to_json(events[0]);
  EXPECT_EQ(open["fields"]["server_name"], "build-01");
  EXPECT_FALSE(open.contains("stream"));

  // A stored fields payload that is not canonical JSON keeps its bytes (as base64).
  auto odd = events[3];
  odd.payload = R"({"rows": 30, "cols": 100})";
  const auto back = read_recording_event(to_json(odd));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->payload, odd.payload);
}

TEST(recording_json, MalformedEventsAreRefusedUnknownWordsKept) {
  const json good = to_json(sealed_recording()[1]);
  auto without = [&good](const char* key) {
    json copy = good;
    copy.erase(key);
    return copy;
  };
  EXPECT_FALSE(read_recording_event(json::array()));
  EXPECT_FALSE(read_recording_event(without("seq")));
  EXPECT_FALSE(read_recording_event(without("hash")));
  EXPECT_FALSE(read_recording_event(without("base64")));
  json two = good;
  two["text"] = "x";
  EXPECT_FALSE(read_recording_event(two));
  json bad = good;
  bad["base64"] = "%%%";
  EXPECT_FALSE(read_recording_event(bad));
  json negative = good;
  negative["seq"] = -1;
  EXPECT_FALSE(read_recording_event(negative));

  json future = good;
  future["kind"] = "hologram";
  future["stream"] = "stdsmell";
  const auto kept = read_recording_event(future);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->kind, recording_kind::unknown);
  EXPECT_EQ(kept->stream, recording_stream::unknown);
}

TEST(recording_json, PagesAndSummariesRoundTrip) {
  recording_page page;
  page.recording.session_id = session;
  page.recording.policy = recording_policy::private_metadata;
  page.recording.open = sample_open();
  page.recording.ended_at = "2026-12-07T10:00:05.000Z";
  page.recording.exit_code = 0;
  page.recording.end_reason = "exited";
  page.recording.bytes = 30;
  page.recording.events = 8;
  page.events = sealed_recording();
  page.recording.last_hash = page.events.back().hash;
  page.next_seq = 9;
  page.more = false;
  const auto back = read_recording_page(json::parse(to_json(page).dump()));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->recording, page.recording);
  EXPECT_EQ(back->events, page.events);
  EXPECT_EQ(back->next_seq, 9u);
  EXPECT_FALSE(back->more);

  json running = to_json(page.recording);
  running["ended_at"] = nullptr;
  running["exit_code"] = nullptr;
  const auto summary = read_recording_summary(running);
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_TRUE(summary->ended_at.empty());
  EXPECT_FALSE(summary->exit_code);
  running["policy"] = "everything";
  EXPECT_FALSE(read_recording_summary(running));
  EXPECT_FALSE(read_recording_page(json{{"events", json::array()}}));
}
