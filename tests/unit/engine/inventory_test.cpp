// Unit tests of the engine's sans-I/O tunnel inventory: admission (names belong to tokens,
// the grace period, reconnects of the same server, the tunnel limit), lookups, the bounded
// name-claim table, and the entries GET /api/tunnels returns.
#include <gtest/gtest.h>

#include "rstream/engine/inventory.hpp"

namespace engine = rstream::engine;
using engine::admission;
using clock_type = engine::tunnel_inventory::clock;
using namespace std::chrono_literals;

namespace {

engine::tunnel_record record(const std::string& id, const std::string& name,
                             const std::string& instance = "instance-1") {
  engine::tunnel_record r;
  r.id = id;
  r.name = name;
  r.instance = instance;
  r.peer = "127.0.0.1:40000";
  r.connected_at = "2026-01-02T03:04:05Z";
  return r;
}

const clock_type::time_point t0{};

}  // namespace

TEST(engine_inventory, FreeNameIsAdmittedAndFoundByNameAndId) {
  engine::tunnel_inventory inventory;
  EXPECT_EQ(inventory.admit("alpha", "instance-1", "token-a", t0).what, admission::verdict::admit);
  inventory.add(record("id1", "alpha"), "token-a", t0);
  EXPECT_EQ(inventory.size(), 1u);
  ASSERT_NE(inventory.find("alpha"), nullptr);
  EXPECT_EQ(inventory.find("alpha")->id, "id1");
  ASSERT_NE(inventory.find("id1"), nullptr);
  EXPECT_EQ(inventory.find("id1")->name, "alpha");
  EXPECT_EQ(inventory.find_id("alpha"), nullptr);
  EXPECT_EQ(inventory.find("beta"), nullptr);
}

TEST(engine_inventory, NameIsFoundBeforeAnIdOfTheSameText) {
  engine::tunnel_inventory inventory;
  inventory.add(record("shared", "first"), "token-a", t0);
  inventory.add(record("id2", "shared"), "token-a", t0);
  EXPECT_EQ(inventory.find("shared")->id, "id2");
  EXPECT_EQ(inventory.find_id("shared")->name, "first");
}

TEST(engine_inventory, AnotherServerOfTheSameTokenConflicts) {
  engine::tunnel_inventory inventory;
  inventory.add(record("id1", "alpha", "instance-1"), "token-a", t0);
  const auto verdict = inventory.admit("alpha", "instance-2", "token-a", t0);
  EXPECT_EQ(verdict.what, admission::verdict::name_conflict);
  EXPECT_NE(verdict.message.find("already online (id id1, from 127.0.0.1:40000"), std::string::npos)
      << verdict.message;
  // A server that gives no instance cannot claim to be the one online either.
  EXPECT_EQ(inventory.admit("alpha", "", "token-a", t0).what, admission::verdict::name_conflict);
}

TEST(engine_inventory, TheSameServerReconnectingReplacesItsStaleEntry) {
  engine::tunnel_inventory inventory;
  inventory.add(record("id1", "alpha", "instance-1"), "token-a", t0);
  const auto verdict = inventory.admit("alpha", "instance-1", "token-a", t0);
  EXPECT_EQ(verdict.what, admission::verdict::replace);
  EXPECT_EQ(verdict.replaced_id, "id1");
}

TEST(engine_inventory, OnlineNameOfAnotherTokenIsTaken) {
  engine::tunnel_inventory inventory;
  inventory.add(record("id1", "alpha"), "token-a", t0);
  // Even the same instance: a name belongs to its token, not to whoever claims to be its server.
  const auto verdict = inventory.admit("alpha", "instance-1", "token-b", t0);
  EXPECT_EQ(verdict.what, admission::verdict::name_taken);
  EXPECT_NE(verdict.message.find("belongs to another token: its tunnel is online"),
            std::string::npos)
      << verdict.message;
}

TEST(engine_inventory, OfflineNameStaysReservedForItsTokenDuringTheGrace) {
  engine::tunnel_inventory inventory({100, 60s});
  inventory.add(record("id1", "alpha"), "token-a", t0);
  auto removed = inventory.remove("id1", t0 + 5s);
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->name, "alpha");
  EXPECT_EQ(inventory.size(), 0u);
  EXPECT_EQ(inventory.find("alpha"), nullptr);

  const auto taken = inventory.admit("alpha", "x", "token-b", t0 + 25s);
  EXPECT_EQ(taken.what, admission::verdict::name_taken);
  EXPECT_NE(taken.message.find("for another 40 s"), std::string::npos) << taken.message;
  // Its own token gets it back at any time.
  EXPECT_EQ(inventory.admit("alpha", "x", "token-a", t0 + 25s).what, admission::verdict::admit);
  EXPECT_EQ(inventory.claims(), 1u);
  // After the grace the name is free again, and the stale claim is forgotten.
  EXPECT_EQ(inventory.admit("alpha", "x", "token-b", t0 + 65s).what, admission::verdict::admit);
  EXPECT_EQ(inventory.claims(), 0u);
}

TEST(engine_inventory, RemovingAnUnknownTunnelChangesNothing) {
  engine::tunnel_inventory inventory;
  inventory.add(record("id1", "alpha"), "token-a", t0);
  EXPECT_FALSE(inventory.remove("id9", t0));
  EXPECT_EQ(inventory.size(), 1u);
  EXPECT_EQ(inventory.admit("alpha", "x", "token-b", t0).what, admission::verdict::name_taken);
}

TEST(engine_inventory, FullInventoryRefusesNewNamesButNotAReconnect) {
  engine::tunnel_inventory inventory({1, 60s});
  inventory.add(record("id1", "alpha", "instance-1"), "token-a", t0);
  const auto full = inventory.admit("beta", "instance-2", "token-a", t0);
  EXPECT_EQ(full.what, admission::verdict::full);
  EXPECT_NE(full.message.find("maximum of 1 tunnels"), std::string::npos) << full.message;
  EXPECT_EQ(inventory.admit("alpha", "instance-1", "token-a", t0).what,
            admission::verdict::replace);
}

TEST(engine_inventory, ExpiredClaimsArePrunedOnceTheTableOutgrowsTheOnlineTunnels) {
  engine::tunnel_inventory inventory({100000, 60s});
  for (int i = 0; i < 1025; ++i) {
    const std::string id = "id" + std::to_string(i);
    inventory.add(record(id, "name" + std::to_string(i)), "token-a", t0);
    inventory.remove(id, t0);
  }
  EXPECT_EQ(inventory.claims(), 1025u);  // within the margin: nothing pruned yet
  inventory.add(record("late", "late"), "token-a", t0 + 61s);
  EXPECT_EQ(inventory.claims(), 1u);  // every offline claim had expired
}

TEST(engine_inventory, ChurnFasterThanTheGraceDropsTheOldestOfflineClaims) {
  engine::tunnel_inventory inventory({2, 1h});
  for (int i = 0; i < 1100; ++i) {
    const std::string id = "id" + std::to_string(i);
    const auto now = t0 + std::chrono::seconds(i);
    ASSERT_EQ(inventory.admit("name" + std::to_string(i), "x", "token-a", now).what,
              admission::verdict::admit);
    inventory.add(record(id, "name" + std::to_string(i)), "token-a", now);
    inventory.remove(id, now);
    ASSERT_LE(inventory.claims(), 1025u);
  }
  // The newest names are still reserved; the oldest went first.
  EXPECT_EQ(inventory.admit("name1099", "x", "token-b", t0 + 1100s).what,
            admission::verdict::name_taken);
  EXPECT_EQ(inventory.admit("name0", "x", "token-b", t0 + 1100s).what, admission::verdict::admit);
}

TEST(engine_inventory, RegisteredServersAreFoundByTheirIdAndReplaceTheirOwnStaleTunnel) {
  engine::tunnel_inventory inventory;
  EXPECT_EQ(inventory.admit_registered("srv_1", "build").what, admission::verdict::admit);
  auto registered = record("t1", "build");
  registered.server_id = "srv_1";
  inventory.add(registered, "server:srv_1", t0);
  ASSERT_NE(inventory.find_server("srv_1"), nullptr);
  EXPECT_EQ(inventory.find_server("srv_1")->id, "t1");
  const auto again = inventory.admit_registered("srv_1", "build");
  EXPECT_EQ(again.what, admission::verdict::replace);
  EXPECT_EQ(again.replaced_id, "t1");
  inventory.remove("t1", t0);
  EXPECT_EQ(inventory.find_server("srv_1"), nullptr);
}

TEST(engine_inventory, ALightweightTunnelOnlineUnderTheRecordsNameConflicts) {
  engine::tunnel_inventory inventory;
  inventory.add(record("t1", "build"), "token-a", t0);
  const auto verdict = inventory.admit_registered("srv_1", "build");
  EXPECT_EQ(verdict.what, admission::verdict::name_conflict);
  EXPECT_NE(verdict.message.find("lightweight tunnel named 'build'"), std::string::npos)
      << verdict.message;
}
