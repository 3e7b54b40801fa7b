// tunnel_inventory: the engine's live tunnels as plain records (sans-I/O). It answers who may
// register a name now (the name-claim table: a name belongs to the token that registered it
// while its tunnel is online and for a grace period after), finds tunnels by name or id, and
// renders the entries GET /api/tunnels returns. Time is passed in; nothing here does I/O.
//
// Thread-safety: none; the engine uses it from its io_context thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "rstream/api/engine_messages.hpp"

namespace rstream::engine {

/// One online tunnel, as the inventory shows it.
struct tunnel_record {
  std::string id;
  std::string name;
  std::string instance;  ///< the server process's random instance id (reconnects keep it)
  std::string stream_secret;
  std::string connected_at;  ///< UTC, ISO 8601
  std::string peer;          ///< the control connection's address
  std::map<std::string, std::string> labels;
  bool publish = true;
  std::string server_id;  ///< the registered server it brings online, or empty (lightweight)
};

struct inventory_limits {
  std::size_t max_tunnels = 100000;
  /// How long a name stays reserved for its token after its tunnel went offline.
  std::chrono::milliseconds name_grace{std::chrono::minutes(10)};
};

/// What registering a name would do now.
struct admission {
  enum class verdict {
    admit,          ///< free, or the caller's own
    replace,        ///< the same server reconnected: replaced_id is its stale entry
    name_taken,     ///< another token holds the name (online, or offline within the grace)
    name_conflict,  ///< another server of the same token is online under that name
    full,           ///< max_tunnels are online
  };
  verdict what = verdict::admit;
  std::string message;      ///< why, for users, when refused
  std::string replaced_id;  ///< with replace
};

class tunnel_inventory {
 public:
  using clock = std::chrono::steady_clock;

  explicit tunnel_inventory(inventory_limits limits = {}) : limits_(limits) {}

  /// Whether the token `token_id` may register `name` from the server `instance` (empty:
  /// unknown) now. An expired claim of another token is forgotten on the way.
  admission admit(const std::string& name, const std::string& instance, const std::string& token_id,
                  clock::time_point now);
  /// Whether the registered server `server_id` may come online under its record's `name`: the
  /// record owns the name (no token claim applies), its own stale tunnel is replaced, and a
  /// lightweight tunnel online under that name is a conflict.
  admission admit_registered(const std::string& server_id, const std::string& name) const;
  /// Adds an admitted tunnel (its name must not be online) and claims its name for
  /// `token_id`; expired claims may be pruned on the way.
  void add(tunnel_record record, const std::string& token_id, clock::time_point now);
  /// Removes a tunnel by id; its name stays claimed for name_grace from `now`. The removed
  /// record, or nullopt when there is no such tunnel.
  std::optional<tunnel_record> remove(const std::string& id, clock::time_point now);

  /// By name first, then by id; null when neither is online.
  const tunnel_record* find(const std::string& name_or_id) const;
  const tunnel_record* find_id(const std::string& id) const;
  /// The online tunnel of a registered server; null when it is offline.
  const tunnel_record* find_server(const std::string& server_id) const;
  /// Every online tunnel, by tunnel id.
  const std::map<std::string, tunnel_record>& all() const { return tunnels_; }
  std::size_t size() const { return tunnels_.size(); }
  /// A number that changes whenever a tunnel is added or removed.
  std::uint64_t changes() const { return changes_; }
  /// Name claims held (online and offline within their grace, until pruned).
  std::size_t claims() const { return name_claims_.size(); }

 private:
  /// Forgets claims whose grace period is over, and bounds the table (see name_claims_).
  void prune_name_claims(clock::time_point now);

  struct name_claim {
    std::string token_id;
    std::optional<clock::time_point> offline_since;  ///< none: online
  };

  inventory_limits limits_;
  std::map<std::string, tunnel_record> tunnels_;  ///< by id
  std::map<std::string, std::string> names_;      ///< name → id
  std::map<std::string, std::string> servers_;    ///< registered server id → tunnel id
  std::uint64_t changes_ = 0;
  /// Who registered each name: the token's id, and since when the name has been offline.
  /// Bounded: expired claims go when the table outgrows the online tunnels by 1,024, and at
  /// most max_tunnels offline claims are kept (the oldest go first).
  std::map<std::string, name_claim> name_claims_;
};

/// The inventory entry of one tunnel: name, id, status, labels, capabilities, its rstrm:// URL
/// and, when published, its browser URL under `base_url` (http → ws, https → wss).
api::tunnel_entry entry_of(const tunnel_record& record, std::string_view base_url);
/// entry_of as JSON (api::to_json).
nlohmann::json entry_json(const tunnel_record& record, std::string_view base_url);

/// The label's value, or `fallback` when the tunnel does not carry it.
std::string label_or(const tunnel_record& record, const std::string& key,
                     const std::string& fallback);

}  // namespace rstream::engine
