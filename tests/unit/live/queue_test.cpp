// Tests for a participant's bounded output queue (rstream/live/participant_queue.hpp): order,
// chunked pops, the byte limit (with per-chunk overhead), overflow → lagging with everything
// dropped, refusal while lagging, resume, and chunks shared rather than copied.
#include "rstream/live/participant_queue.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

using rstream::live::participant_queue;
using rstream::live::shared_bytes;

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string pop_string(participant_queue& q, std::size_t max) {
  std::vector<std::uint8_t> out;
  q.pop_into(out, max);
  return {out.begin(), out.end()};
}

constexpr std::size_t overhead = participant_queue::chunk_overhead;

TEST(ParticipantQueue, PopsInOrderInChunksOfAnySize) {
  participant_queue q(4096);
  EXPECT_TRUE(q.push(bytes_of("hello ")));
  EXPECT_TRUE(q.push(bytes_of("live ")));
  EXPECT_TRUE(q.push(bytes_of("world")));
  EXPECT_EQ(q.queued_bytes(), 16u);
  EXPECT_EQ(q.charged_bytes(), 16u + 3 * overhead);
  EXPECT_EQ(pop_string(q, 3), "hel");
  EXPECT_EQ(pop_string(q, 5), "lo li");
  EXPECT_EQ(q.queued_bytes(), 8u);
  EXPECT_EQ(q.charged_bytes(), 8u + 2 * overhead);  // the first chunk is released
  EXPECT_EQ(pop_string(q, 100), "ve world");
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.charged_bytes(), 0u);
  EXPECT_EQ(pop_string(q, 100), "");
  EXPECT_EQ(pop_string(q, 0), "");
}

TEST(ParticipantQueue, AppendsToTheCallersBuffer) {
  participant_queue q;
  ASSERT_TRUE(q.push(bytes_of("abc")));
  std::vector<std::uint8_t> out = {'>'};
  EXPECT_EQ(q.pop_into(out, 10), 3u);
  EXPECT_EQ(std::string(out.begin(), out.end()), ">abc");
}

TEST(ParticipantQueue, PiecesReferenceTheQueuedChunksWithoutCopying) {
  participant_queue q;
  auto first = std::make_shared<const std::vector<std::uint8_t>>(5, 'a');
  auto second = std::make_shared<const std::vector<std::uint8_t>>(4, 'b');
  ASSERT_TRUE(q.push(first));
  ASSERT_TRUE(q.push(second));
  std::vector<rstream::live::output_piece> pieces;
  EXPECT_EQ(q.pop_pieces(pieces, 7), 7u);
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(pieces[0].chunk, first);
  EXPECT_EQ(pieces[0].bytes.data(), first->data());
  EXPECT_EQ(pieces[0].bytes.size(), 5u);
  EXPECT_EQ(pieces[1].chunk, second);
  EXPECT_EQ(pieces[1].bytes.data(), second->data());
  EXPECT_EQ(pieces[1].bytes.size(), 2u);
  // The rest of the second chunk comes next, from where the last piece stopped.
  pieces.clear();
  EXPECT_EQ(q.pop_pieces(pieces, 100), 2u);
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0].bytes.data(), second->data() + 2);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.charged_bytes(), 0u);
}

TEST(ParticipantQueue, OverflowDropsEverythingAndLags) {
  participant_queue q(100 + 2 * overhead);
  ASSERT_TRUE(q.push(bytes_of(std::string(60, 'a'))));
  ASSERT_TRUE(q.push(bytes_of(std::string(40, 'b'))));  // exactly at the limit
  EXPECT_EQ(q.charged_bytes(), q.limit());
  EXPECT_FALSE(q.lagging());

  EXPECT_FALSE(q.push(bytes_of("c")));  // one more byte does not fit
  EXPECT_TRUE(q.lagging());
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.charged_bytes(), 0u);
  EXPECT_EQ(q.dropped_bytes(), 101u);

  // While lagging nothing is queued, even what would fit.
  EXPECT_FALSE(q.push(bytes_of("dd")));
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.dropped_bytes(), 103u);

  q.resume();  // the driver resynced the participant
  EXPECT_FALSE(q.lagging());
  EXPECT_TRUE(q.push(bytes_of("e")));
  EXPECT_EQ(pop_string(q, 10), "e");
}

TEST(ParticipantQueue, AChunkLargerThanTheLimitLagsAtOnce) {
  participant_queue q(1000);
  EXPECT_FALSE(q.push(bytes_of(std::string(2000, 'x'))));
  EXPECT_TRUE(q.lagging());
  EXPECT_EQ(q.dropped_bytes(), 2000u);
}

TEST(ParticipantQueue, ManyTinyChunksAreChargedTheirOverhead) {
  participant_queue q(10 * (1 + overhead));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(q.push(bytes_of("x")));
  EXPECT_FALSE(q.push(bytes_of("x")));  // 11 bytes, but 11 chunks do not fit
  EXPECT_TRUE(q.lagging());
}

TEST(ParticipantQueue, EmptyPushesChangeNothing) {
  participant_queue q(10);
  EXPECT_TRUE(q.push(bytes_of("")));
  EXPECT_TRUE(q.push(shared_bytes{}));
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.charged_bytes(), 0u);
}

TEST(ParticipantQueue, SharesChunksInsteadOfCopyingThem) {
  auto chunk = std::make_shared<const std::vector<std::uint8_t>>(100, std::uint8_t{'z'});
  participant_queue a;
  participant_queue b;
  ASSERT_TRUE(a.push(chunk));
  ASSERT_TRUE(b.push(chunk));
  EXPECT_EQ(chunk.use_count(), 3);
  std::vector<std::uint8_t> out;
  a.pop_into(out, 100);
  EXPECT_EQ(chunk.use_count(), 2);  // released once fully popped
  b.clear();
  EXPECT_EQ(chunk.use_count(), 1);
  EXPECT_EQ(b.dropped_bytes(), 100u);
  EXPECT_FALSE(b.lagging());  // clear() alone does not lag
}

}  // namespace
