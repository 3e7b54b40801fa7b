// One inventory, two shapes (see inventory_view.hpp).
#include "rstream/engine/inventory_view.hpp"

#include <algorithm>

namespace rstream::engine {

api::tunnel_entry registered_entry_of(const api::server_record& record, const tunnel_record* online,
                                      std::string_view base_url) {
  api::tunnel_entry entry;
  api::registered_entry registered;
  if (online) {
    entry = entry_of(*online, base_url);
  } else {
    entry.status = "offline";
    entry.publish = false;
    entry.labels["application-protocol"] = "rstream.webtty";
    entry.e2e = record.encryption == api::encryption_policy::explicit_key ? "required" : "";
  }
  entry.name = record.name;
  entry.id = record.id;
  entry.rstream_url = "rstrm://" + record.name;
  for (const auto& [key, value] : record.labels) {
    const std::string full_key = std::string(user_label_prefix) + key;
    auto [it, inserted] = entry.labels.try_emplace(full_key, value);
    if (!inserted && it->second != value) {
      registered.overridden_labels.push_back(full_key);
      it->second = value;
    }
  }
  registered.server_id = record.id;
  registered.description = record.description;
  registered.recording_policy = api::name_of(record.recording);
  registered.encryption_policy = api::name_of(record.encryption);
  registered.access_policy = api::name_of(record.access);
  registered.record_status = api::name_of(record.status);
  registered.last_seen = record.last_seen;
  entry.registered = std::move(registered);
  return entry;
}

std::vector<api::tunnel_entry> inventory_entries(const tunnel_inventory& tunnels,
                                                 const server_registry& servers,
                                                 std::string_view base_url) {
  std::vector<api::tunnel_entry> entries;
  entries.reserve(tunnels.size() + servers.size());
  for (const auto& [id, tunnel] : tunnels.all()) {
    if (tunnel.server_id.empty()) entries.push_back(entry_of(tunnel, base_url));
  }
  for (const api::server_record* record : servers.all()) {
    entries.push_back(registered_entry_of(*record, tunnels.find_server(record->id), base_url));
  }
  std::sort(entries.begin(), entries.end(),
            [](const api::tunnel_entry& a, const api::tunnel_entry& b) { return a.name < b.name; });
  return entries;
}

}  // namespace rstream::engine
