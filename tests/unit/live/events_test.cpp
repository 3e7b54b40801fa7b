// Tests for the live session event log (rstream/live/event_log.hpp): seqs start at 1 and
// increase, since(seq) resumes exactly and reports dropped events, the JSON and Server-Sent
// Events forms, and the ISO-8601 times.
#include "rstream/live/event_log.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "rstream/live/control_state.hpp"

namespace {

using namespace std::chrono_literals;
using rstream::live::event_log;
using rstream::live::event_type;
using rstream::live::format_time;
using rstream::live::time_point;

const time_point t0 = time_point{} + std::chrono::seconds(1'700'000'000);

TEST(FormatTime, IsIso8601UtcWithMilliseconds) {
  EXPECT_EQ(format_time(time_point{}), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_time(t0 + 123ms), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(format_time(t0 + 999999us), "2023-11-14T22:13:20.999Z");  // truncated, not rounded
  EXPECT_EQ(format_time(time_point{} - 1ms), "1969-12-31T23:59:59.999Z");
}

TEST(EventLog, SeqStartsAtOneAndIncreases) {
  event_log log;
  EXPECT_EQ(log.last_seq(), 0u);
  EXPECT_EQ(log.first_seq(), 0u);
  EXPECT_TRUE(log.since(0).events.empty());
  for (int i = 1; i <= 5; ++i) {
    const auto& e = log.append(event_type::participant_joined, {{"participant_id", "p"}}, t0);
    EXPECT_EQ(e.seq, static_cast<std::uint64_t>(i));
  }
  const auto page = log.since(0);
  ASSERT_EQ(page.events.size(), 5u);
  EXPECT_EQ(page.dropped, 0u);
  for (std::size_t i = 0; i < page.events.size(); ++i) EXPECT_EQ(page.events[i].seq, i + 1);
}

TEST(EventLog, SinceResumesAfterTheGivenSeq) {
  event_log log;
  for (int i = 0; i < 10; ++i) log.append(event_type::state_changed, {{"n", i}}, t0);
  auto page = log.since(7);
  ASSERT_EQ(page.events.size(), 3u);
  EXPECT_EQ(page.events.front().seq, 8u);
  EXPECT_EQ(page.events.front().fields["n"], 7);
  EXPECT_EQ(page.dropped, 0u);
  EXPECT_TRUE(log.since(10).events.empty());
  EXPECT_TRUE(log.since(1000).events.empty());
  EXPECT_EQ(log.since(1000).dropped, 0u);

  page = log.since(2, /*max_events=*/3);  // paging: 3, 4, 5, then resume from 5
  ASSERT_EQ(page.events.size(), 3u);
  EXPECT_EQ(page.events.back().seq, 5u);
  page = log.since(page.events.back().seq);
  EXPECT_EQ(page.events.front().seq, 6u);
  EXPECT_EQ(page.events.size(), 5u);
}

TEST(EventLog, KeepsTheLastEventsAndSaysWhatWasDropped) {
  event_log log(4);
  for (int i = 0; i < 10; ++i) log.append(event_type::state_changed, {}, t0);
  EXPECT_EQ(log.size(), 4u);
  EXPECT_EQ(log.first_seq(), 7u);
  EXPECT_EQ(log.last_seq(), 10u);

  auto page = log.since(0);
  EXPECT_EQ(page.dropped, 6u);  // seqs 1..6
  ASSERT_EQ(page.events.size(), 4u);
  EXPECT_EQ(page.events.front().seq, 7u);

  page = log.since(5);
  EXPECT_EQ(page.dropped, 1u);  // seq 6
  EXPECT_EQ(page.events.front().seq, 7u);

  page = log.since(6);  // exactly the last one dropped: nothing is missing
  EXPECT_EQ(page.dropped, 0u);
  EXPECT_EQ(page.events.size(), 4u);
}

TEST(EventLog, EventsSerializeToJsonWithTheirFields) {
  event_log log(16, "s1");
  const auto& e =
      log.append(event_type::output_skipped, {{"participant_id", "p2"}, {"bytes", 4096}}, t0 + 5ms);
  const auto j = log.to_json(e);
  EXPECT_EQ(j["seq"], 1);
  EXPECT_EQ(j["type"], "output_skipped");
  EXPECT_EQ(j["time"], "2023-11-14T22:13:20.005Z");
  EXPECT_EQ(j["session_id"], "s1");
  EXPECT_EQ(j["participant_id"], "p2");
  EXPECT_EQ(j["bytes"], 4096);
  EXPECT_FALSE(e.to_json().contains("session_id"));  // only when the log has one
  EXPECT_THROW(log.append(event_type::state_changed, nlohmann::json::array(), t0),
               std::invalid_argument);
}

TEST(EventLog, ServerSentEventsFormat) {
  event_log log;
  log.append(event_type::state_changed, {{"state", "running"}}, t0);
  const auto& e = log.append(event_type::control_requested,
                             {{"reason", "two\nlines \xff"}, {"request_id", 3}}, t0);
  const std::string sse = log.to_sse(e);
  const std::string prefix = "id: 2\nevent: control_requested\ndata: {";
  ASSERT_EQ(sse.substr(0, prefix.size()), prefix);
  ASSERT_TRUE(sse.ends_with("}\n\n"));
  // One data line: the newline in the reason is escaped, the invalid byte replaced.
  const std::string data = sse.substr(prefix.size() - 1, sse.size() - prefix.size() - 1);
  EXPECT_EQ(data.find('\n'), std::string::npos);
  const auto parsed = nlohmann::json::parse(data);
  EXPECT_EQ(parsed["seq"], 2);
  EXPECT_EQ(parsed["type"], "control_requested");
  EXPECT_EQ(parsed["reason"], "two\nlines \xef\xbf\xbd");
}

TEST(EventLog, EveryEventTypeHasAStableName) {
  using enum event_type;
  const std::pair<event_type, const char*> names[] = {
      {participant_joined, "participant_joined"}, {participant_left, "participant_left"},
      {control_requested, "control_requested"},   {control_granted, "control_granted"},
      {control_refused, "control_refused"},       {control_expired, "control_expired"},
      {controller_revoked, "controller_revoked"}, {state_changed, "state_changed"},
      {output_skipped, "output_skipped"},
  };
  for (const auto& [type, name] : names) EXPECT_STREQ(rstream::live::to_string(type), name);
}

TEST(EventLog, AControlScenarioIsRecordedInOrder) {
  using rstream::live::actor;
  using rstream::live::decision;
  event_log log;
  rstream::live::control_state control(log);
  ASSERT_TRUE(control.join("a", "", false, t0).ok());
  ASSERT_TRUE(control.join("b", "", false, t0 + 1s).ok());
  const auto r1 = control.request_control("b", "one", t0 + 2s);
  ASSERT_TRUE(r1.ok());
  ASSERT_TRUE(control.resolve(r1->id, decision::refuse, actor::by_participant("a"), t0 + 3s).ok());
  const auto r2 = control.request_control("b", "two", t0 + 4s);
  ASSERT_TRUE(r2.ok());
  ASSERT_TRUE(control.resolve(r2->id, decision::grant, actor::by_participant("a"), t0 + 5s).ok());
  ASSERT_TRUE(control.revoke(actor::admin(), t0 + 6s).ok());
  const auto r3 = control.request_control("a", "three", t0 + 7s);  // free: granted at once
  ASSERT_TRUE(r3.ok());
  ASSERT_TRUE(control.leave("b", t0 + 8s).ok());

  const std::vector<event_type> expected = {
      event_type::participant_joined, event_type::participant_joined, event_type::control_requested,
      event_type::control_refused,    event_type::control_requested,  event_type::control_granted,
      event_type::controller_revoked, event_type::control_requested,  event_type::control_granted,
      event_type::participant_left,
  };
  const auto page = log.since(0);
  ASSERT_EQ(page.events.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(page.events[i].type, expected[i]) << i;
    EXPECT_EQ(page.events[i].seq, i + 1);
    if (i > 0) {
      EXPECT_GE(page.events[i].time, page.events[i - 1].time);
    }
  }
  // A follower that saw up to seq 5 gets exactly the rest.
  const auto rest = log.since(5);
  ASSERT_EQ(rest.events.size(), expected.size() - 5);
  EXPECT_EQ(rest.events.front().type, event_type::control_granted);
}

}  // namespace
