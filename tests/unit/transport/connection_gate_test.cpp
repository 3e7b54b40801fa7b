// transport::connection_gate: unauthenticated connections are capped per source and in total,
// all connections in total; slots give their counts back when they authenticate, move or end;
// limits derived from the descriptor limit leave a reserve.
#include "rstream/transport/connection_gate.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

using rstream::transport::connection_gate;
using rstream::transport::connection_limits;
using rstream::transport::connection_slot;
using rstream::transport::limits_for_descriptors;

namespace {

std::shared_ptr<connection_gate> make_gate(std::size_t connections, std::size_t pending,
                                           std::size_t per_source) {
  connection_limits limits;
  limits.max_connections = connections;
  limits.max_pending = pending;
  limits.max_pending_per_source = per_source;
  return std::make_shared<connection_gate>(limits);
}

}  // namespace

TEST(ConnectionGate, PreauthFloodFromOneSourceDoesNotLockOutAnother) {
  auto gate = make_gate(100, 10, 3);
  connection_gate::refusal why;
  std::vector<connection_slot> flood;
  for (int i = 0; i < 3; ++i) {
    flood.push_back(gate->admit("10.0.0.1", why));
    EXPECT_TRUE(flood.back().counted());
  }
  auto refused = gate->admit("10.0.0.1", why);
  EXPECT_FALSE(refused.counted());
  EXPECT_EQ(why, connection_gate::refusal::pending_source);
  auto other = gate->admit("10.0.0.2", why);
  EXPECT_TRUE(other.counted());
  EXPECT_EQ(gate->pending(), 4u);
  EXPECT_EQ(gate->pending_from("10.0.0.1"), 3u);
}

TEST(ConnectionGate, AuthenticatedConnectionsLeaveThePendingCounts) {
  auto gate = make_gate(100, 2, 2);
  connection_gate::refusal why;
  auto a = gate->admit("s", why);
  auto b = gate->admit("s", why);
  EXPECT_FALSE(gate->admit("s", why).counted());
  a.leave_pending();
  b.leave_pending();
  EXPECT_EQ(gate->pending(), 0u);
  EXPECT_EQ(gate->connections(), 2u);
  auto c = gate->admit("s", why);
  EXPECT_TRUE(c.counted());
  // Back to pending (HTTP keep-alive): only while there is room.
  EXPECT_TRUE(a.reenter_pending());
  EXPECT_FALSE(b.reenter_pending());
  EXPECT_FALSE(b.pending());
}

TEST(ConnectionGate, TotalPendingAndTotalConnectionsAreCapped) {
  auto gate = make_gate(3, 2, 5);
  connection_gate::refusal why;
  auto a = gate->admit("1", why);
  auto b = gate->admit("2", why);
  EXPECT_FALSE(gate->admit("3", why).counted());
  EXPECT_EQ(why, connection_gate::refusal::pending_total);
  a.leave_pending();
  auto c = gate->admit("3", why);
  EXPECT_TRUE(c.counted());
  c.leave_pending();
  EXPECT_FALSE(gate->admit("4", why).counted());
  EXPECT_EQ(why, connection_gate::refusal::connections);
}

TEST(ConnectionGate, SlotsGiveTheirCountsBackWhenTheyEndOrMove) {
  auto gate = make_gate(10, 10, 10);
  connection_gate::refusal why;
  {
    auto a = gate->admit("s", why);
    connection_slot moved = std::move(a);
    EXPECT_FALSE(a.counted());  // NOLINT(bugprone-use-after-move): checking the moved-from state
    EXPECT_EQ(gate->connections(), 1u);
    connection_slot assigned;
    assigned = std::move(moved);
    EXPECT_EQ(gate->connections(), 1u);
    EXPECT_EQ(gate->pending(), 1u);
  }
  EXPECT_EQ(gate->connections(), 0u);
  EXPECT_EQ(gate->pending(), 0u);
  EXPECT_EQ(gate->pending_from("s"), 0u);
  // A slot that counts nothing (a connection that came another way) is always fine.
  connection_slot none;
  EXPECT_TRUE(none.reenter_pending());
  none.leave_pending();
}

TEST(ConnectionGate, LimitsLeaveADescriptorReserve) {
  auto small = limits_for_descriptors(256);
  EXPECT_EQ(small.max_connections, 192u);
  EXPECT_EQ(small.max_pending, 96u);
  EXPECT_EQ(small.max_pending_per_source, 48u);
  auto tiny = limits_for_descriptors(20);
  EXPECT_EQ(tiny.max_connections, 16u);
  EXPECT_LE(tiny.max_pending, tiny.max_connections);
  auto large = limits_for_descriptors(1 << 20);
  EXPECT_EQ(large.max_pending, 256u);
  EXPECT_EQ(large.max_pending_per_source, 64u);
  EXPECT_LT(large.max_connections, std::size_t{1} << 20);
}
