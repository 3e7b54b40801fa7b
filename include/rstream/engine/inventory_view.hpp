// inventory_view: one inventory, two shapes (docs/api.md, "One inventory"). GET /api/tunnels
// lists the lightweight tunnels online and every registered server, online or offline. A
// registered server's entry is built from its record (id, policies, durable labels, last_seen)
// merged with its tunnel when it is connected (runtime labels, host facts, URLs); where both
// set a label, the record's value is shown and the key is listed in `overridden_labels`.
//
// Thread-safety: pure functions over the engine's state (its io_context thread).
#pragma once

#include <string_view>
#include <vector>

#include "rstream/api/engine_messages.hpp"
#include "rstream/api/server_record.hpp"
#include "rstream/engine/inventory.hpp"
#include "rstream/engine/server_registry.hpp"

namespace rstream::engine {

/// The prefix of user labels among a tunnel's full label keys (a record stores them without it).
inline constexpr std::string_view user_label_prefix = "rstream.webtty.label.";

/// A registered server's entry; `online` is its tunnel, or null when it is offline.
api::tunnel_entry registered_entry_of(const api::server_record& record, const tunnel_record* online,
                                      std::string_view base_url);

/// Every entry, sorted by name: lightweight tunnels and registered servers.
std::vector<api::tunnel_entry> inventory_entries(const tunnel_inventory& tunnels,
                                                 const server_registry& servers,
                                                 std::string_view base_url);

}  // namespace rstream::engine
