// server_registry (see server_registry.hpp).
#include "rstream/engine/server_registry.hpp"

#include <algorithm>

#include "rstream/e2e/identity.hpp"
#include "rstream/engine/token_store.hpp"
#include "rstream/tunnel/protocol.hpp"

namespace rstream::engine {
namespace {

using errc = registry_error::errc;

constexpr std::size_t max_description = 1024;
constexpr std::size_t max_labels = 64;
constexpr std::size_t max_label_value = 1024;
constexpr std::size_t server_id_random_bytes = 10;

registry_error refuse(errc code, std::string message) { return {code, std::move(message)}; }

std::optional<registry_error> check_labels(const std::map<std::string, std::string>& labels) {
  if (labels.size() > max_labels) {
    return refuse(errc::invalid, "a server has at most " + std::to_string(max_labels) + " labels");
  }
  for (const auto& [key, value] : labels) {
    if (auto why = tunnel::check_label_key(key); !why.empty()) return refuse(errc::invalid, why);
    if (value.size() > max_label_value) {
      return refuse(errc::invalid, "the value of label '" + key + "' is longer than " +
                                       std::to_string(max_label_value) + " bytes");
    }
  }
  return std::nullopt;
}

std::optional<registry_error> check_description(const std::string& description) {
  if (description.size() > max_description) {
    return refuse(errc::invalid,
                  "a description is at most " + std::to_string(max_description) + " bytes");
  }
  return std::nullopt;
}

/// The ids of `names` (token names or ids), or the first one the engine does not know.
registry_result<std::vector<std::string>> token_ids(const std::vector<std::string>& names,
                                                    const token_lookup& tokens) {
  std::vector<std::string> ids;
  for (const auto& name : names) {
    auto id = tokens(name);
    if (!id) {
      return refuse(errc::invalid,
                    "no token '" + name + "' on this engine (see `rstream engine token list`)");
    }
    ids.push_back(*id);
  }
  return ids;
}

void add_sorted(std::vector<std::string>& ids, const std::vector<std::string>& more) {
  ids.insert(ids.end(), more.begin(), more.end());
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
}

}  // namespace

registry_error server_registry::not_found(std::string_view id_or_name) {
  return refuse(errc::not_found, "no registered server '" + std::string(id_or_name) +
                                     "' (see `rstream webtty server list`)");
}

bool looks_like_server_id(std::string_view text) {
  if (text.size() != 4 + 2 * server_id_random_bytes || text.substr(0, 4) != "srv_") return false;
  return std::all_of(text.begin() + 4, text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

registry_result<void> server_registry::load() {
  auto loaded = store_.load_servers();
  if (!loaded) return refuse(errc::store_failed, loaded.error().message);
  records_.clear();
  ids_by_name_.clear();
  by_name_stale_ = true;
  for (auto& record : *loaded) {
    ids_by_name_[record.name] = record.id;
    revisions_[record.id] = ++last_revision_;
    records_[record.id] = std::move(record);
  }
  return {};
}

const api::server_record* server_registry::find(std::string_view id_or_name) const {
  if (auto at = records_.find(id_or_name); at != records_.end()) return &at->second;
  if (auto named = ids_by_name_.find(id_or_name); named != ids_by_name_.end()) {
    return &records_.find(named->second)->second;
  }
  return nullptr;
}

api::server_record* server_registry::find_mutable(std::string_view id_or_name) {
  return const_cast<api::server_record*>(find(id_or_name));
}

const std::vector<const api::server_record*>& server_registry::all() const {
  if (by_name_stale_) {
    by_name_.clear();
    by_name_.reserve(ids_by_name_.size());
    for (const auto& [name, id] : ids_by_name_) by_name_.push_back(&records_.find(id)->second);
    by_name_stale_ = false;
  }
  return by_name_;
}

registry_result<api::server_record> server_registry::create(
    const api::server_create_request& request, const token_lookup& tokens, const std::string& now) {
  if (auto why = tunnel::check_tunnel_name(request.name); !why.empty()) {
    return refuse(errc::invalid, why);
  }
  if (looks_like_server_id(request.name)) {
    return refuse(errc::invalid,
                  "'" + request.name + "' has the form of a server id: choose another name");
  }
  if (auto existing = ids_by_name_.find(request.name); existing != ids_by_name_.end()) {
    return refuse(errc::conflict, "a registered server named '" + request.name +
                                      "' exists already (" + existing->second + ")");
  }
  if (auto bad = check_description(request.description)) return *bad;
  if (auto bad = check_labels(request.labels)) return *bad;
  auto allowed = token_ids(request.allowed_tokens, tokens);
  if (!allowed) return allowed.error();

  api::server_record record;
  do {
    record.id = "srv_" + random_hex(server_id_random_bytes);
  } while (records_.count(record.id) != 0);
  record.name = request.name;
  record.description = request.description;
  record.labels = request.labels;
  record.recording = request.recording.value_or(api::recording_policy::recorded);
  record.encryption = request.encryption.value_or(api::encryption_policy::disabled);
  record.access = request.access.value_or(api::access_policy::project_members);
  add_sorted(record.allowed_token_ids, *allowed);
  record.status = api::server_status::pending_enrollment;
  record.created_at = record.updated_at = now;
  return write(std::move(record), true);
}

registry_result<api::server_record> server_registry::update(
    std::string_view id_or_name, const api::server_update_request& request,
    const token_lookup& tokens, const std::string& now) {
  const api::server_record* existing = find(id_or_name);
  if (!existing) return not_found(id_or_name);
  api::server_record record = *existing;
  if (request.description) {
    if (auto bad = check_description(*request.description)) return *bad;
    record.description = *request.description;
  }
  for (const auto& key : request.remove_labels) record.labels.erase(key);
  for (const auto& [key, value] : request.set_labels) record.labels[key] = value;
  if (auto bad = check_labels(record.labels)) return *bad;
  if (request.recording) record.recording = *request.recording;
  if (request.access) record.access = *request.access;
  auto allow = token_ids(request.allow_tokens, tokens);
  if (!allow) return allow.error();
  auto disallow = token_ids(request.disallow_tokens, tokens);
  if (!disallow) return disallow.error();
  add_sorted(record.allowed_token_ids, *allow);
  std::erase_if(record.allowed_token_ids, [&](const std::string& id) {
    return std::find(disallow->begin(), disallow->end(), id) != disallow->end();
  });
  if (request.reset_enrollment) {
    record.status = api::server_status::pending_enrollment;
    record.host_key.clear();
    record.enrolled_at.clear();
  }
  if (request.suspended) {
    if (*request.suspended) {
      record.status = api::server_status::suspended;
    } else if (record.status == api::server_status::suspended) {
      record.status = record.host_key.empty() ? api::server_status::pending_enrollment
                                              : api::server_status::enrolled;
    }
  }
  record.updated_at = now;
  return write(std::move(record), false);
}

registry_result<api::server_record> server_registry::remove(std::string_view id_or_name) {
  const api::server_record* existing = find(id_or_name);
  if (!existing) return not_found(id_or_name);
  api::server_record removed = *existing;
  if (auto deleted = store_.delete_server(removed.id); !deleted) {
    return refuse(errc::store_failed, deleted.error().message);
  }
  ids_by_name_.erase(removed.name);
  by_name_stale_ = true;
  records_.erase(removed.id);
  revisions_.erase(removed.id);
  ++last_revision_;  // the listings change too
  return removed;
}

registry_result<api::server_record> server_registry::enroll(std::string_view id_or_name,
                                                            const std::string& host_key,
                                                            const std::string& now) {
  const api::server_record* existing = find(id_or_name);
  if (!existing) return not_found(id_or_name);
  if (existing->status == api::server_status::suspended) {
    return refuse(errc::conflict, "server '" + existing->name + "' (" + existing->id +
                                      ") is suspended: an admin resumes it with `rstream webtty "
                                      "server update " +
                                      existing->id + " --resume`");
  }
  if (existing->status == api::server_status::enrolled) {
    return refuse(errc::conflict,
                  "server '" + existing->name + "' (" + existing->id +
                      ") is enrolled already; to enroll another host an admin first runs "
                      "`rstream webtty server update " +
                      existing->id + " --reset-enrollment`");
  }
  auto key = e2e::public_key::parse(host_key);
  if (!key) return refuse(errc::invalid, "the host key: " + key.error().message);
  api::server_record record = *existing;
  record.host_key = key->to_string();
  record.enrolled_at = now;
  record.updated_at = now;
  record.status = api::server_status::enrolled;
  return write(std::move(record), false);
}

registry_result<void> server_registry::seen(const std::string& id, const std::string& now) {
  auto* record = find_mutable(id);
  if (!record) return not_found(id);
  if (auto written = store_.set_last_seen(id, now); !written) {
    return refuse(errc::store_failed, written.error().message);
  }
  record->last_seen = now;
  revisions_[id] = ++last_revision_;
  return {};
}

void server_registry::forget_token(const std::string& token_id) {
  for (auto& [id, record] : records_) {
    if (std::erase(record.allowed_token_ids, token_id) > 0) revisions_[id] = ++last_revision_;
  }
}

std::uint64_t server_registry::revision(const std::string& id) const {
  auto it = revisions_.find(id);
  return it == revisions_.end() ? 0 : it->second;
}

registry_result<api::server_record> server_registry::write(api::server_record record, bool is_new) {
  auto written = is_new ? store_.insert_server(record) : store_.update_server(record);
  if (!written) {
    return refuse(
        written.code() == store::error::errc::name_taken ? errc::conflict : errc::store_failed,
        written.error().message);
  }
  ids_by_name_[record.name] = record.id;
  revisions_[record.id] = ++last_revision_;
  by_name_stale_ = by_name_stale_ || is_new;
  records_[record.id] = record;
  return record;
}

}  // namespace rstream::engine
