// The policy and status words of a registered server (see server_record.hpp).
#include "rstream/api/server_record.hpp"

#include <initializer_list>
#include <nlohmann/json.hpp>

namespace rstream::api {
namespace {

template <typename Enum, std::size_t N>
std::optional<Enum> parse_word(std::string_view text, const Enum (&values)[N]) {
  for (Enum value : values) {
    if (text == name_of(value)) return value;
  }
  return std::nullopt;
}

/// Reads one JSON object strictly: it must be an object, every key must be known, and every
/// value must have its type; the first problem is kept as the body error.
class object_reader {
 public:
  object_reader(const nlohmann::json& json, const char* what,
                std::initializer_list<const char*> known)
      : json_(json), what_(what) {
    if (!json.is_object()) {
      fail("is not a JSON object");
      return;
    }
    for (const auto& item : json.items()) {
      bool found = false;
      for (const char* key : known) found = found || item.key() == key;
      if (!found) {
        fail(item.key() == "encryption_policy"
                 ? "cannot change encryption_policy: it is fixed when the server is created"
                 : "has an unknown field '" + item.key() + "'");
        return;
      }
    }
  }

  const std::optional<body_error>& failed() const { return failed_; }

  void text(const char* key, std::string& out, bool required = false) {
    std::optional<std::string> value;
    text(key, value);
    if (value) {
      out = std::move(*value);
    } else if (required && !failed_) {
      fail(std::string("needs '") + key + "'");
    }
  }

  void text(const char* key, std::optional<std::string>& out) {
    const auto* value = find(key);
    if (!value) return;
    if (!value->is_string()) return fail(std::string("'") + key + "' must be a string");
    out = value->get<std::string>();
  }

  void flag(const char* key, std::optional<bool>& out) {
    const auto* value = find(key);
    if (!value) return;
    if (!value->is_boolean()) return fail(std::string("'") + key + "' must be true or false");
    out = value->get<bool>();
  }

  void words(const char* key, std::vector<std::string>& out) {
    const auto* value = find(key);
    if (!value) return;
    if (!value->is_array()) return fail(std::string("'") + key + "' must be a list of strings");
    for (const auto& word : *value) {
      if (!word.is_string()) return fail(std::string("'") + key + "' must be a list of strings");
      out.push_back(word.get<std::string>());
    }
  }

  void labels(const char* key, std::map<std::string, std::string>& out) {
    const auto* value = find(key);
    if (!value) return;
    if (!value->is_object()) return fail(std::string("'") + key + "' must be an object of strings");
    for (const auto& item : value->items()) {
      if (!item.value().is_string()) {
        return fail(std::string("'") + key + "." + item.key() + "' must be a string");
      }
      out[item.key()] = item.value().get<std::string>();
    }
  }

  template <typename Enum>
  void word(const char* key, std::optional<Enum>& out,
            std::optional<Enum> (*parse)(std::string_view), const char* choices) {
    std::optional<std::string> text_value;
    text(key, text_value);
    if (!text_value) return;
    out = parse(*text_value);
    if (!out) fail(std::string("'") + key + "' must be " + choices + ", not '" + *text_value + "'");
  }

 private:
  const nlohmann::json* find(const char* key) const {
    if (failed_) return nullptr;
    auto at = json_.find(key);
    return at == json_.end() || at->is_null() ? nullptr : &*at;
  }
  void fail(std::string why) {
    if (!failed_) failed_ = body_error{what_ + " " + why};
  }

  const nlohmann::json& json_;
  std::string what_;
  std::optional<body_error> failed_;
};

constexpr const char* recording_choices = "recorded or private";
constexpr const char* encryption_choices = "disabled or explicit_key";
constexpr const char* access_choices = "project_members or restricted";

}  // namespace

const char* name_of(recording_policy policy) {
  return policy == recording_policy::recorded ? "recorded" : "private";
}

const char* name_of(encryption_policy policy) {
  return policy == encryption_policy::explicit_key ? "explicit_key" : "disabled";
}

const char* name_of(access_policy policy) {
  return policy == access_policy::restricted ? "restricted" : "project_members";
}

const char* name_of(server_status status) {
  switch (status) {
    case server_status::enrolled:
      return "enrolled";
    case server_status::suspended:
      return "suspended";
    case server_status::pending_enrollment:
      break;
  }
  return "pending_enrollment";
}

std::optional<recording_policy> parse_recording_policy(std::string_view text) {
  return parse_word(text, {recording_policy::recorded, recording_policy::private_metadata});
}

std::optional<encryption_policy> parse_encryption_policy(std::string_view text) {
  return parse_word(text, {encryption_policy::disabled, encryption_policy::explicit_key});
}

std::optional<access_policy> parse_access_policy(std::string_view text) {
  return parse_word(text, {access_policy::project_members, access_policy::restricted});
}

std::optional<server_status> parse_server_status(std::string_view text) {
  return parse_word(
      text, {server_status::pending_enrollment, server_status::enrolled, server_status::suspended});
}

nlohmann::json to_json(const server_record& record) {
  return {{"id", record.id},
          {"name", record.name},
          {"description", record.description},
          {"labels", record.labels},
          {"recording_policy", name_of(record.recording)},
          {"encryption_policy", name_of(record.encryption)},
          {"access_policy", name_of(record.access)},
          {"allowed_token_ids", record.allowed_token_ids},
          {"status", name_of(record.status)},
          {"host_key", record.host_key},
          {"enrolled_at", record.enrolled_at},
          {"created_at", record.created_at},
          {"updated_at", record.updated_at},
          {"last_seen", record.last_seen},
          {"online", record.online}};
}

body_result<server_record> server_record_from_json(const nlohmann::json& json) {
  server_record record;
  object_reader in(json, "the server record",
                   {"id", "name", "description", "labels", "recording_policy", "encryption_policy",
                    "access_policy", "allowed_token_ids", "status", "host_key", "enrolled_at",
                    "created_at", "updated_at", "last_seen",
                    // what the inventory adds beside the record (GET /api/tunnels)
                    "online", "registered", "server_id", "tunnel_id"});
  std::optional<recording_policy> recording;
  std::optional<encryption_policy> encryption;
  std::optional<access_policy> access;
  std::optional<server_status> status;
  in.text("id", record.id, true);
  in.text("name", record.name, true);
  in.text("description", record.description);
  in.labels("labels", record.labels);
  in.word("recording_policy", recording, parse_recording_policy, recording_choices);
  in.word("encryption_policy", encryption, parse_encryption_policy, encryption_choices);
  in.word("access_policy", access, parse_access_policy, access_choices);
  in.words("allowed_token_ids", record.allowed_token_ids);
  in.word("status", status, parse_server_status, "pending_enrollment, enrolled or suspended");
  in.text("host_key", record.host_key);
  in.text("enrolled_at", record.enrolled_at);
  in.text("created_at", record.created_at);
  in.text("updated_at", record.updated_at);
  in.text("last_seen", record.last_seen);
  std::optional<bool> online;
  in.flag("online", online);
  if (in.failed()) return *in.failed();
  record.online = online.value_or(false);
  record.recording = recording.value_or(record.recording);
  record.encryption = encryption.value_or(record.encryption);
  record.access = access.value_or(record.access);
  record.status = status.value_or(record.status);
  return record;
}

nlohmann::json to_json(const server_create_request& request) {
  nlohmann::json json = {{"name", request.name}};
  if (!request.description.empty()) json["description"] = request.description;
  if (!request.labels.empty()) json["labels"] = request.labels;
  if (request.recording) json["recording_policy"] = name_of(*request.recording);
  if (request.encryption) json["encryption_policy"] = name_of(*request.encryption);
  if (request.access) json["access_policy"] = name_of(*request.access);
  if (!request.allowed_tokens.empty()) json["allowed_tokens"] = request.allowed_tokens;
  return json;
}

body_result<server_create_request> parse_server_create_request(const nlohmann::json& json) {
  server_create_request request;
  object_reader in(json, "the new server",
                   {"name", "description", "labels", "recording_policy", "encryption_policy",
                    "access_policy", "allowed_tokens"});
  in.text("name", request.name, true);
  in.text("description", request.description);
  in.labels("labels", request.labels);
  in.word("recording_policy", request.recording, parse_recording_policy, recording_choices);
  in.word("encryption_policy", request.encryption, parse_encryption_policy, encryption_choices);
  in.word("access_policy", request.access, parse_access_policy, access_choices);
  in.words("allowed_tokens", request.allowed_tokens);
  if (in.failed()) return *in.failed();
  return request;
}

nlohmann::json to_json(const server_update_request& request) {
  nlohmann::json json = nlohmann::json::object();
  if (request.description) json["description"] = *request.description;
  if (!request.set_labels.empty()) json["set_labels"] = request.set_labels;
  if (!request.remove_labels.empty()) json["remove_labels"] = request.remove_labels;
  if (request.recording) json["recording_policy"] = name_of(*request.recording);
  if (request.access) json["access_policy"] = name_of(*request.access);
  if (!request.allow_tokens.empty()) json["allow_tokens"] = request.allow_tokens;
  if (!request.disallow_tokens.empty()) json["disallow_tokens"] = request.disallow_tokens;
  if (request.reset_enrollment) json["reset_enrollment"] = true;
  if (request.suspended) json["suspended"] = *request.suspended;
  return json;
}

body_result<server_update_request> parse_server_update_request(const nlohmann::json& json) {
  server_update_request request;
  object_reader in(
      json, "the server update",
      {"description", "set_labels", "remove_labels", "recording_policy", "access_policy",
       "allow_tokens", "disallow_tokens", "reset_enrollment", "suspended"});
  std::optional<bool> reset;
  in.text("description", request.description);
  in.labels("set_labels", request.set_labels);
  in.words("remove_labels", request.remove_labels);
  in.word("recording_policy", request.recording, parse_recording_policy, recording_choices);
  in.word("access_policy", request.access, parse_access_policy, access_choices);
  in.words("allow_tokens", request.allow_tokens);
  in.words("disallow_tokens", request.disallow_tokens);
  in.flag("reset_enrollment", reset);
  in.flag("suspended", request.suspended);
  if (in.failed()) return *in.failed();
  request.reset_enrollment = reset.value_or(false);
  return request;
}

nlohmann::json to_json(const server_enroll_request& request) {
  return {{"host_key", request.host_key}};
}

body_result<server_enroll_request> parse_server_enroll_request(const nlohmann::json& json) {
  server_enroll_request request;
  object_reader in(json, "the enrollment", {"host_key"});
  in.text("host_key", request.host_key, true);
  if (in.failed()) return *in.failed();
  return request;
}

}  // namespace rstream::api
