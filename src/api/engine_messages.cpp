// The engine's REST bodies (see engine_messages.hpp).
#include "rstream/api/engine_messages.hpp"

namespace rstream::api {
namespace {

using json = nlohmann::json;

engine_message_error malformed(std::string what, std::string message) {
  return engine_message_error{"bad_request", what + ": " + message};
}

/// The string at `key`: required, or optional with "" when absent. False when it has
/// another type (or is missing and required).
bool take_string(const json& body, const char* key, std::string& out, bool required) {
  auto it = body.find(key);
  if (it == body.end()) return !required;
  if (!it->is_string()) return false;
  out = it->get<std::string>();
  return true;
}

/// Reads every element of a JSON array with `read_one`.
template <typename T, typename Read>
engine_result<std::vector<T>> read_list(const json& body, const char* what, Read read_one) {
  if (!body.is_array()) return malformed(what, "expected a JSON array");
  std::vector<T> out;
  out.reserve(body.size());
  for (const auto& element : body) {
    auto one = read_one(element);
    if (!one) return one.error();
    out.push_back(std::move(one).value());
  }
  return out;
}

}  // namespace

const char* role_name(token_role role) {
  switch (role) {
    case token_role::admin:
      return "admin";
    case token_role::read_write:
      return "read-write";
    case token_role::read_only:
      return "read-only";
  }
  return "read-only";
}

std::optional<token_role> parse_role(std::string_view text) {
  if (text == "admin") return token_role::admin;
  if (text == "read-write") return token_role::read_write;
  if (text == "read-only") return token_role::read_only;
  return std::nullopt;
}

json to_json(const engine_health& health) {
  json out = json::object();
  out["status"] = health.status;
  out["version"] = health.version;
  out["tunnels"] = health.tunnels;
  return out;
}

json to_json(const token_record& token) {
  json out = json::object();
  out["id"] = token.id;
  out["name"] = token.name;
  out["role"] = role_name(token.role);
  out["created_at"] = token.created_at;
  return out;
}

json to_json(const token_created& created) {
  json out = to_json(created.record);
  out["token"] = created.secret;
  return out;
}

json to_json(const token_request& request) {
  json out = json::object();
  out["role"] = role_name(request.role);
  if (!request.name.empty()) out["name"] = request.name;
  return out;
}

json to_json(const tunnel_entry& entry) {
  json out = json::object();
  out["name"] = entry.name;
  out["id"] = entry.id;
  out["status"] = entry.status;
  out["publish"] = entry.publish;
  out["labels"] = entry.labels;
  out["capabilities"] = entry.capabilities;
  out["e2e"] = entry.e2e;
  out["hostname"] = entry.hostname;
  out["rstream_url"] = entry.rstream_url;
  out["connected_at"] = entry.connected_at;
  if (entry.browser_url) out["browser_url"] = *entry.browser_url;
  out["registered"] = entry.registered.has_value();
  if (const auto& r = entry.registered) {
    out["server_id"] = r->server_id;
    out["description"] = r->description;
    out["recording_policy"] = r->recording_policy;
    out["encryption_policy"] = r->encryption_policy;
    out["access_policy"] = r->access_policy;
    out["record_status"] = r->record_status;
    out["last_seen"] = r->last_seen;
    out["overridden_labels"] = r->overridden_labels;
  }
  return out;
}

json to_json(const std::vector<token_record>& tokens) {
  json out = json::array();
  for (const auto& token : tokens) out.push_back(to_json(token));
  return out;
}

json to_json(const std::vector<tunnel_entry>& entries) {
  json out = json::array();
  for (const auto& entry : entries) out.push_back(to_json(entry));
  return out;
}

engine_result<engine_health> read_engine_health(const json& body) {
  if (!body.is_object()) return malformed("health", "expected a JSON object");
  engine_health out;
  auto tunnels = body.find("tunnels");
  if (!take_string(body, "status", out.status, true) ||
      !take_string(body, "version", out.version, false) || tunnels == body.end() ||
      !tunnels->is_number_unsigned()) {
    return malformed("health", "expected {\"status\", \"version\", \"tunnels\": N}");
  }
  out.tunnels = tunnels->get<std::size_t>();
  return out;
}

engine_result<token_record> read_token_record(const json& body) {
  if (!body.is_object()) return malformed("token", "expected a JSON object");
  token_record out;
  std::string role;
  if (!take_string(body, "id", out.id, true) || !take_string(body, "name", out.name, false) ||
      !take_string(body, "role", role, true) ||
      !take_string(body, "created_at", out.created_at, false)) {
    return malformed("token", "expected {\"id\", \"name\", \"role\", \"created_at\"} as strings");
  }
  auto parsed = parse_role(role);
  if (!parsed) return malformed("token", "unknown role '" + role + "'");
  out.role = *parsed;
  return out;
}

engine_result<token_created> read_token_created(const json& body) {
  auto record = read_token_record(body);
  if (!record) return record.error();
  token_created out{std::move(record).value(), {}};
  if (!take_string(body, "token", out.secret, true) || out.secret.empty()) {
    return malformed("created token", "the answer carries no \"token\"");
  }
  return out;
}

engine_result<std::vector<token_record>> read_token_list(const json& body) {
  return read_list<token_record>(body, "token list", read_token_record);
}

engine_result<token_request> read_token_request(const json& body) {
  token_request out;
  std::string role;
  if (!body.is_object() || !take_string(body, "role", role, true) ||
      !take_string(body, "name", out.name, false)) {
    return engine_message_error{
        "bad_request", "expected {\"role\": \"admin|read-write|read-only\", \"name\": \"...\"}"};
  }
  auto parsed = parse_role(role);
  if (!parsed) {
    return engine_message_error{"bad_role",
                                "role must be admin, read-write or read-only, not '" + role + "'"};
  }
  out.role = *parsed;
  if (out.name.size() > max_token_name) {
    return engine_message_error{"bad_request", "token name longer than 128 bytes"};
  }
  return out;
}

engine_result<tunnel_entry> read_tunnel_entry(const json& body) {
  if (!body.is_object()) return malformed("tunnel", "expected a JSON object");
  tunnel_entry out;
  bool fine = take_string(body, "name", out.name, true) && take_string(body, "id", out.id, true) &&
              take_string(body, "status", out.status, false) &&
              take_string(body, "e2e", out.e2e, false) &&
              take_string(body, "hostname", out.hostname, false) &&
              take_string(body, "rstream_url", out.rstream_url, false) &&
              take_string(body, "connected_at", out.connected_at, false);
  if (!fine) return malformed("tunnel", "expected \"name\" and \"id\", and strings for its fields");
  if (auto publish = body.find("publish"); publish != body.end()) {
    if (!publish->is_boolean()) return malformed("tunnel", "\"publish\" is not true or false");
    out.publish = publish->get<bool>();
  }
  if (auto labels = body.find("labels"); labels != body.end()) {
    if (!labels->is_object()) return malformed("tunnel", "\"labels\" is not an object");
    for (const auto& [key, value] : labels->items()) {
      if (!value.is_string()) return malformed("tunnel", "label '" + key + "' is not a string");
      out.labels[key] = value.get<std::string>();
    }
  }
  if (auto capabilities = body.find("capabilities"); capabilities != body.end()) {
    if (!capabilities->is_array()) return malformed("tunnel", "\"capabilities\" is not an array");
    for (const auto& capability : *capabilities) {
      if (!capability.is_string()) return malformed("tunnel", "a capability is not a string");
      out.capabilities.push_back(capability.get<std::string>());
    }
  }
  std::string browser_url;
  if (!take_string(body, "browser_url", browser_url, false)) {
    return malformed("tunnel", "\"browser_url\" is not a string");
  }
  if (body.contains("browser_url")) out.browser_url = std::move(browser_url);
  const auto registered = body.find("registered");
  if (registered != body.end() && registered->is_boolean() && registered->get<bool>()) {
    registered_entry r;
    const bool fields_fine = take_string(body, "server_id", r.server_id, true) &&
                             take_string(body, "description", r.description, false) &&
                             take_string(body, "recording_policy", r.recording_policy, false) &&
                             take_string(body, "encryption_policy", r.encryption_policy, false) &&
                             take_string(body, "access_policy", r.access_policy, false) &&
                             take_string(body, "record_status", r.record_status, false) &&
                             take_string(body, "last_seen", r.last_seen, false);
    if (!fields_fine) return malformed("tunnel", "a registered entry needs a \"server_id\"");
    if (auto keys = body.find("overridden_labels"); keys != body.end() && keys->is_array()) {
      for (const auto& key : *keys) {
        if (key.is_string()) r.overridden_labels.push_back(key.get<std::string>());
      }
    }
    out.registered = std::move(r);
  }
  return out;
}

engine_result<std::vector<tunnel_entry>> read_tunnel_list(const json& body) {
  return read_list<tunnel_entry>(body, "tunnel list", read_tunnel_entry);
}

}  // namespace rstream::api
