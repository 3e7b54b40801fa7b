// One inventory, two shapes: GET /api/tunnels lists lightweight tunnels and registered servers
// sorted by name; a registered server offline is listed with its record's facts and last_seen;
// online, its entry merges the tunnel's facts with the record's, and a durable label wins over
// the running server's value for the same key (listed in overridden_labels).
#include <gtest/gtest.h>

#include "rstream/engine/inventory_view.hpp"
#include "support/temp_registry.hpp"

namespace {

using namespace rstream;
using clock_type = engine::tunnel_inventory::clock;

engine::tunnel_record tunnel(const std::string& id, const std::string& name) {
  engine::tunnel_record r;
  r.id = id;
  r.name = name;
  r.instance = "instance-1";
  r.peer = "127.0.0.1:40000";
  r.connected_at = "2026-01-02T03:04:05Z";
  return r;
}

class InventoryView : public ::testing::Test {
 protected:
  api::server_record create(const std::string& name, std::map<std::string, std::string> labels) {
    api::server_create_request request;
    request.name = name;
    request.labels = std::move(labels);
    request.encryption = api::encryption_policy::explicit_key;
    auto created = temp_.registry().create(request, test::temp_registry::token_id, "t0");
    EXPECT_TRUE(created.ok()) << created.error().message;
    return *created;
  }

  test::temp_registry temp_;
  engine::tunnel_inventory inventory_;
};

TEST_F(InventoryView, LightweightEntriesAreSortedWithBrowserUrlsWhenPublished) {
  auto published = tunnel("id1", "zeta");
  published.labels = {{"rstream.webtty.capabilities", "exec,fs"},
                      {"rstream.webtty.e2e", "required"},
                      {"rstream.webtty.hostname", "box"}};
  inventory_.add(published, "token-a", clock_type::time_point{});
  auto hidden = tunnel("id2", "alpha");
  hidden.publish = false;
  inventory_.add(hidden, "token-a", clock_type::time_point{});

  const auto entries =
      engine::inventory_entries(inventory_, temp_.registry(), "https://engine.example:8443");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].name, "alpha");
  EXPECT_FALSE(entries[0].browser_url.has_value());
  EXPECT_EQ(entries[0].capabilities, std::vector<std::string>{"exec"});
  EXPECT_EQ(entries[0].e2e, "disabled");
  EXPECT_EQ(entries[0].hostname, "");
  EXPECT_FALSE(entries[0].registered.has_value());
  EXPECT_EQ(entries[1].name, "zeta");
  EXPECT_EQ(entries[1].status, "online");
  EXPECT_EQ(entries[1].rstream_url, "rstrm://zeta");
  EXPECT_EQ(entries[1].connected_at, "2026-01-02T03:04:05Z");
  EXPECT_EQ(entries[1].capabilities, (std::vector<std::string>{"exec", "fs"}));
  EXPECT_EQ(entries[1].e2e, "required");
  EXPECT_EQ(entries[1].hostname, "box");
  EXPECT_EQ(entries[1].browser_url, "wss://engine.example:8443/api/tunnels/zeta/webtty");
  EXPECT_EQ(engine::entry_json(published, "http://127.0.0.1:8765")["browser_url"],
            "ws://127.0.0.1:8765/api/tunnels/zeta/webtty");
  EXPECT_EQ(api::to_json(entries[0])["registered"], false);
}

TEST_F(InventoryView, ARegisteredServerOfflineIsListedFromItsRecord) {
  const auto record = create("build", {{"role", "ci"}});
  ASSERT_TRUE(temp_.registry().seen(record.id, "2026-12-07T10:00:00Z").ok());
  inventory_.add(tunnel("id1", "alpha"), "token-a", clock_type::time_point{});

  const auto entries = engine::inventory_entries(inventory_, temp_.registry(), "http://e");
  ASSERT_EQ(entries.size(), 2u);
  const auto& entry = entries[1];
  EXPECT_EQ(entry.name, "build");
  EXPECT_EQ(entry.id, record.id);
  EXPECT_EQ(entry.status, "offline");
  EXPECT_EQ(entry.rstream_url, "rstrm://build");
  EXPECT_FALSE(entry.browser_url.has_value());
  EXPECT_EQ(entry.labels.at("rstream.webtty.label.role"), "ci");
  EXPECT_EQ(entry.e2e, "required");
  ASSERT_TRUE(entry.registered.has_value());
  EXPECT_EQ(entry.registered->server_id, record.id);
  EXPECT_EQ(entry.registered->last_seen, "2026-12-07T10:00:00Z");
  EXPECT_EQ(entry.registered->encryption_policy, "explicit_key");
  EXPECT_EQ(entry.registered->record_status, "pending_enrollment");
  const auto json = api::to_json(entry);
  EXPECT_EQ(json["registered"], true);
  EXPECT_EQ(json["server_id"], record.id);
  EXPECT_EQ(json["status"], "offline");
}

TEST_F(InventoryView, OnlineTheDurableLabelWinsAndTheListSaysSo) {
  const auto record = create("build", {{"role", "ci"}, {"zone", "eu"}});
  auto online = tunnel("t9", "build");
  online.server_id = record.id;
  online.labels = {{"rstream.webtty.label.role", "laptop"},
                   {"rstream.webtty.label.zone", "eu"},
                   {"rstream.webtty.label.extra", "1"},
                   {"rstream.webtty.hostname", "box"}};
  inventory_.add(online, "server:" + record.id, clock_type::time_point{});

  const auto entries = engine::inventory_entries(inventory_, temp_.registry(), "http://e");
  ASSERT_EQ(entries.size(), 1u) << "the tunnel of a registered server is listed once";
  const auto& entry = entries[0];
  EXPECT_EQ(entry.status, "online");
  EXPECT_EQ(entry.id, record.id) << "a registered server is listed by its stable id";
  EXPECT_EQ(entry.hostname, "box");
  EXPECT_EQ(entry.labels.at("rstream.webtty.label.role"), "ci");
  EXPECT_EQ(entry.labels.at("rstream.webtty.label.extra"), "1");
  ASSERT_TRUE(entry.registered.has_value());
  EXPECT_EQ(entry.registered->overridden_labels,
            std::vector<std::string>{"rstream.webtty.label.role"});
}

TEST_F(InventoryView, TheEntryRoundTripsThroughTheClientsReader) {
  const auto record = create("build", {{"role", "ci"}});
  const auto entries = engine::inventory_entries(inventory_, temp_.registry(), "http://e");
  ASSERT_EQ(entries.size(), 1u);
  auto read = api::read_tunnel_entry(api::to_json(entries[0]));
  ASSERT_TRUE(read.ok()) << read.error().message;
  ASSERT_TRUE(read->registered.has_value());
  EXPECT_EQ(read->registered->server_id, record.id);
  EXPECT_EQ(read->status, "offline");
}

}  // namespace
