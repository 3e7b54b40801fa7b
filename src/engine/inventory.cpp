// tunnel_inventory (see inventory.hpp).
#include "rstream/engine/inventory.hpp"

#include <algorithm>

namespace rstream::engine {

admission tunnel_inventory::admit(const std::string& name, const std::string& instance,
                                  const std::string& token_id, clock::time_point now) {
  if (auto claim = name_claims_.find(name);
      claim != name_claims_.end() && claim->second.token_id != token_id) {
    const auto& offline_since = claim->second.offline_since;
    if (offline_since && now - *offline_since >= limits_.name_grace) {
      name_claims_.erase(claim);  // the grace period is over: the name is free again
    } else {
      std::string why = "the name '" + name + "' belongs to another token: ";
      if (!offline_since) {
        why += "its tunnel is online";
      } else {
        const auto left = std::chrono::duration_cast<std::chrono::seconds>(limits_.name_grace -
                                                                           (now - *offline_since));
        why += "its tunnel went offline and the name stays reserved for that token for another " +
               std::to_string(left.count()) + " s";
      }
      why += " (register under another --name, or use the token that registered it)";
      return {admission::verdict::name_taken, std::move(why), {}};
    }
  }
  std::size_t online = tunnels_.size();
  admission result;
  if (auto existing = names_.find(name); existing != names_.end()) {
    const tunnel_record& other = tunnels_.at(existing->second);
    if (instance.empty() || other.instance != instance) {
      return {admission::verdict::name_conflict,
              "a tunnel named '" + name + "' is already online (id " + other.id + ", from " +
                  other.peer + ", since " + other.connected_at + ")",
              {}};
    }
    // The same server reconnected before its old connection was seen to die.
    result = {admission::verdict::replace, {}, other.id};
    --online;
  }
  if (online >= limits_.max_tunnels) {
    return {admission::verdict::full,
            "the engine already holds its maximum of " + std::to_string(limits_.max_tunnels) +
                " tunnels",
            {}};
  }
  return result;
}

admission tunnel_inventory::admit_registered(const std::string& server_id,
                                             const std::string& name) const {
  std::size_t online = tunnels_.size();
  admission result;
  if (auto own = servers_.find(server_id); own != servers_.end()) {
    // Its host reconnected (it proved the key again) before the old connection was seen to die.
    result = {admission::verdict::replace, {}, own->second};
    --online;
  } else if (auto existing = names_.find(name); existing != names_.end()) {
    const tunnel_record& other = tunnels_.at(existing->second);
    return {admission::verdict::name_conflict,
            "a lightweight tunnel named '" + name + "' is online (id " + other.id + ", from " +
                other.peer + "): the registered server comes online once it has gone",
            {}};
  }
  if (online >= limits_.max_tunnels) {
    return {admission::verdict::full,
            "the engine already holds its maximum of " + std::to_string(limits_.max_tunnels) +
                " tunnels",
            {}};
  }
  return result;
}

void tunnel_inventory::add(tunnel_record record, const std::string& token_id,
                           clock::time_point now) {
  const std::string id = record.id;
  const std::string name = record.name;
  if (!record.server_id.empty()) servers_[record.server_id] = id;
  ++changes_;
  tunnels_[id] = std::move(record);
  names_[name] = id;
  name_claims_[name] = name_claim{token_id, std::nullopt};
  prune_name_claims(now);
}

std::optional<tunnel_record> tunnel_inventory::remove(const std::string& id,
                                                      clock::time_point now) {
  auto it = tunnels_.find(id);
  if (it == tunnels_.end()) return std::nullopt;
  tunnel_record removed = std::move(it->second);
  tunnels_.erase(it);
  ++changes_;
  if (auto s = servers_.find(removed.server_id); s != servers_.end() && s->second == id) {
    servers_.erase(s);
  }
  if (auto n = names_.find(removed.name); n != names_.end() && n->second == id) {
    names_.erase(n);
    // The name stays its token's for name_grace (admit).
    if (auto claim = name_claims_.find(removed.name); claim != name_claims_.end()) {
      claim->second.offline_since = now;
    }
  }
  return removed;
}

const tunnel_record* tunnel_inventory::find(const std::string& name_or_id) const {
  if (auto n = names_.find(name_or_id); n != names_.end()) return &tunnels_.at(n->second);
  return find_id(name_or_id);
}

const tunnel_record* tunnel_inventory::find_server(const std::string& server_id) const {
  auto s = servers_.find(server_id);
  return s == servers_.end() ? nullptr : find_id(s->second);
}

const tunnel_record* tunnel_inventory::find_id(const std::string& id) const {
  auto t = tunnels_.find(id);
  return t == tunnels_.end() ? nullptr : &t->second;
}

void tunnel_inventory::prune_name_claims(clock::time_point now) {
  // Amortised: only once the offline claims outnumber a margin over the online ones.
  if (name_claims_.size() <= tunnels_.size() + 1024) return;
  std::erase_if(name_claims_, [&](const auto& entry) {
    return entry.second.offline_since && now - *entry.second.offline_since >= limits_.name_grace;
  });
  // Still too many (names churned faster than the grace period): the oldest offline go first.
  while (name_claims_.size() > tunnels_.size() + limits_.max_tunnels) {
    auto oldest = name_claims_.end();
    for (auto it = name_claims_.begin(); it != name_claims_.end(); ++it) {
      if (it->second.offline_since && (oldest == name_claims_.end() ||
                                       *it->second.offline_since < *oldest->second.offline_since)) {
        oldest = it;
      }
    }
    if (oldest == name_claims_.end()) break;
    name_claims_.erase(oldest);
  }
}

std::string label_or(const tunnel_record& record, const std::string& key,
                     const std::string& fallback) {
  auto it = record.labels.find(key);
  return it == record.labels.end() ? fallback : it->second;
}

api::tunnel_entry entry_of(const tunnel_record& record, std::string_view base_url) {
  api::tunnel_entry entry;
  entry.name = record.name;
  entry.id = record.id;
  entry.publish = record.publish;
  entry.labels = record.labels;
  const std::string caps = label_or(record, "rstream.webtty.capabilities", "exec");
  for (std::size_t start = 0; start <= caps.size();) {
    auto comma = caps.find(',', start);
    std::string cap = caps.substr(start, comma - start);
    if (!cap.empty()) entry.capabilities.push_back(cap);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  entry.e2e = label_or(record, "rstream.webtty.e2e", "disabled");
  entry.hostname = label_or(record, "rstream.webtty.hostname", "");
  entry.rstream_url = "rstrm://" + record.name;
  entry.connected_at = record.connected_at;
  if (record.publish) {
    const std::string base(base_url);
    const std::string ws =
        base.rfind("https://", 0) == 0 ? "wss://" + base.substr(8) : "ws://" + base.substr(7);
    entry.browser_url = ws + "/api/tunnels/" + record.name + "/webtty";
  }
  return entry;
}

nlohmann::json entry_json(const tunnel_record& record, std::string_view base_url) {
  return api::to_json(entry_of(record, base_url));
}

}  // namespace rstream::engine
