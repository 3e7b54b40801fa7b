// read_server_list and server_list_text (see server_list.hpp).
#include "rstream/api/server_list.hpp"

#include <optional>

#include "rstream/api/json_scan.hpp"

namespace rstream::api {
namespace {

/// The record's fields by key, as server_record_from_json knows them.
enum class field {
  id,
  name,
  description,
  labels,
  recording_policy,
  encryption_policy,
  access_policy,
  allowed_token_ids,
  status,
  host_key,
  enrolled_at,
  created_at,
  updated_at,
  last_seen,
  online,
  ignored,  // what the inventory adds beside a record: registered, server_id, tunnel_id
};

std::optional<field> field_of(std::string_view key) {
  static constexpr std::pair<std::string_view, field> fields[] = {
      {"id", field::id},
      {"name", field::name},
      {"description", field::description},
      {"labels", field::labels},
      {"recording_policy", field::recording_policy},
      {"encryption_policy", field::encryption_policy},
      {"access_policy", field::access_policy},
      {"allowed_token_ids", field::allowed_token_ids},
      {"status", field::status},
      {"host_key", field::host_key},
      {"enrolled_at", field::enrolled_at},
      {"created_at", field::created_at},
      {"updated_at", field::updated_at},
      {"last_seen", field::last_seen},
      {"online", field::online},
      {"registered", field::ignored},
      {"server_id", field::ignored},
      {"tunnel_id", field::ignored},
  };
  for (const auto& [name, f] : fields) {
    if (key == name) return f;
  }
  return std::nullopt;
}

/// One record being read: what the JSON said so far (a later duplicate key replaces an earlier
/// one, as in a document).
struct record_fields {
  std::optional<std::string> text[static_cast<int>(field::ignored)];
  std::map<std::string, std::string> labels;
  std::vector<std::string> allowed_token_ids;
  std::optional<bool> online;
};

// Where the reader is: the nesting it skips (values outside the list and the inventory's extra
// fields), the list, a record, a record's labels object or its allowed_token_ids array.
enum class place { outside, top, list, record, labels, token_ids };

class list_reader {
 public:
  explicit list_reader(const std::function<void(server_record&&)>& on_record)
      : on_record_(on_record) {}

  // The events of json_scan.hpp.
  bool null_value() { return scalar(kind::null, {}); }
  bool boolean(bool v) {
    flag_ = v;
    return scalar(kind::boolean, {});
  }
  bool number(std::string_view) { return scalar(kind::number, {}); }
  bool string(std::string&& v) { return scalar(kind::string, std::move(v)); }

  bool key(std::string&& k) {
    if (skip_ > 0) return true;
    switch (place_) {
      case place::top:
        in_servers_ = k == "servers";
        return true;
      case place::record: {
        const auto f = field_of(k);
        if (!f) return record_fail("has an unknown field '" + k + "'");
        field_ = *f;
        return true;
      }
      case place::labels:
        label_key_ = std::move(k);
        return true;
      default:
        return true;
    }
  }

  bool start(bool object) {
    if (skip_ > 0) {
      ++skip_;
      return true;
    }
    return enter(object);
  }

  bool end() {
    if (skip_ > 0) {
      --skip_;
      return true;
    }
    return leave();
  }

  std::size_t records() const { return records_; }
  bool found() const { return found_; }
  const std::string& error() const { return error_; }

 private:
  enum class kind { null, boolean, number, string };

  bool fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }
  bool record_fail(const std::string& why) { return fail("the server record " + why); }
  bool type_fail(field f) {
    const std::string key = key_of(f);
    switch (f) {
      case field::labels:
        return record_fail("'" + key + "' must be an object of strings");
      case field::allowed_token_ids:
        return record_fail("'" + key + "' must be a list of strings");
      case field::online:
        return record_fail("'" + key + "' must be true or false");
      default:
        return record_fail("'" + key + "' must be a string");
    }
  }
  static std::string key_of(field f) {
    static constexpr const char* keys[] = {"id",
                                           "name",
                                           "description",
                                           "labels",
                                           "recording_policy",
                                           "encryption_policy",
                                           "access_policy",
                                           "allowed_token_ids",
                                           "status",
                                           "host_key",
                                           "enrolled_at",
                                           "created_at",
                                           "updated_at",
                                           "last_seen",
                                           "online"};
    return keys[static_cast<int>(f)];
  }

  bool scalar(kind k, std::string text) {
    if (skip_ > 0) return true;
    switch (place_) {
      case place::outside:
        return fail("is not a JSON object");
      case place::top:
        return true;  // another field of the answer, or "servers" that is not a list
      case place::list:
        return record_fail("is not a JSON object");
      case place::labels:
        if (k != kind::string) return record_fail("'labels." + label_key_ + "' must be a string");
        fields_.labels[label_key_] = std::move(text);
        return true;
      case place::token_ids:
        if (k != kind::string) return type_fail(field::allowed_token_ids);
        fields_.allowed_token_ids.push_back(std::move(text));
        return true;
      case place::record:
        return record_value(k, std::move(text));
    }
    return true;
  }

  bool record_value(kind k, std::string text) {
    if (field_ == field::ignored) return true;
    if (k == kind::null) {  // null is "not given", as in server_record_from_json
      if (field_ == field::labels) fields_.labels.clear();
      if (field_ == field::allowed_token_ids) fields_.allowed_token_ids.clear();
      if (field_ == field::online) fields_.online.reset();
      if (field_ < field::ignored) fields_.text[static_cast<int>(field_)].reset();
      return true;
    }
    if (field_ == field::online) {
      if (k != kind::boolean) return type_fail(field_);
      fields_.online = flag_;
      return true;
    }
    if (k != kind::string || field_ == field::labels || field_ == field::allowed_token_ids) {
      return type_fail(field_);
    }
    fields_.text[static_cast<int>(field_)] = std::move(text);
    return true;
  }

  bool enter(bool object) {
    switch (place_) {
      case place::outside:
        if (!object) return fail("is not a JSON object");
        place_ = place::top;
        return true;
      case place::top:
        if (object || !in_servers_) {
          ++skip_;
          return true;
        }
        // A document would keep the last list; read as it goes, there must be one.
        if (found_) return fail("has two lists of servers");
        found_ = true;
        place_ = place::list;
        return true;
      case place::list:
        if (!object) return record_fail("is not a JSON object");
        fields_ = record_fields{};
        place_ = place::record;
        return true;
      case place::record:
        if (field_ == field::ignored) {
          ++skip_;
          return true;
        }
        if (object && field_ == field::labels) {
          fields_.labels.clear();
          place_ = place::labels;
          return true;
        }
        if (!object && field_ == field::allowed_token_ids) {
          fields_.allowed_token_ids.clear();
          place_ = place::token_ids;
          return true;
        }
        return type_fail(field_);
      case place::labels:
        return record_fail("'labels." + label_key_ + "' must be a string");
      case place::token_ids:
        return type_fail(field::allowed_token_ids);
    }
    return true;
  }

  bool leave() {
    switch (place_) {
      case place::labels:
      case place::token_ids:
        place_ = place::record;
        return true;
      case place::record:
        place_ = place::list;
        return hand_over();
      case place::list:
        place_ = place::top;
        return true;
      default:
        place_ = place::outside;
        return true;
    }
  }

  bool hand_over() {
    server_record record;
    auto take = [&](field f, std::string& out) {
      if (auto& value = fields_.text[static_cast<int>(f)]) out = std::move(*value);
    };
    if (!fields_.text[static_cast<int>(field::id)]) return record_fail("needs 'id'");
    if (!fields_.text[static_cast<int>(field::name)]) return record_fail("needs 'name'");
    take(field::id, record.id);
    take(field::name, record.name);
    take(field::description, record.description);
    take(field::host_key, record.host_key);
    take(field::enrolled_at, record.enrolled_at);
    take(field::created_at, record.created_at);
    take(field::updated_at, record.updated_at);
    take(field::last_seen, record.last_seen);
    if (!word(field::recording_policy, record.recording, parse_recording_policy,
              "recorded or private") ||
        !word(field::encryption_policy, record.encryption, parse_encryption_policy,
              "disabled or explicit_key") ||
        !word(field::access_policy, record.access, parse_access_policy,
              "project_members or restricted") ||
        !word(field::status, record.status, parse_server_status,
              "pending_enrollment, enrolled or suspended")) {
      return false;
    }
    record.labels = std::move(fields_.labels);
    record.allowed_token_ids = std::move(fields_.allowed_token_ids);
    record.online = fields_.online.value_or(false);
    ++records_;
    on_record_(std::move(record));
    return true;
  }

  template <typename Enum>
  bool word(field f, Enum& out, std::optional<Enum> (*parse)(std::string_view),
            const char* choices) {
    const auto& text = fields_.text[static_cast<int>(f)];
    if (!text) return true;
    const auto parsed = parse(*text);
    if (!parsed) {
      return record_fail("'" + key_of(f) + "' must be " + choices + ", not '" + *text + "'");
    }
    out = *parsed;
    return true;
  }

  const std::function<void(server_record&&)>& on_record_;
  place place_ = place::outside;
  std::size_t skip_ = 0;
  bool in_servers_ = false;
  bool found_ = false;
  field field_ = field::ignored;
  std::string label_key_;
  bool flag_ = false;
  record_fields fields_;
  std::size_t records_ = 0;
  std::string error_;
};

void append_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  std::size_t plain_from = 0;  // the run of bytes written as they are, appended in one go
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte != '"' && byte != '\\') continue;
    out.append(text, plain_from, i - plain_from);
    plain_from = i + 1;
    switch (byte) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += hex[byte >> 4];
        out += hex[byte & 0xf];
    }
  }
  out.append(text, plain_from, text.size() - plain_from);
  out += '"';
}

void append_member(std::string& out, const char* key, std::string_view value, bool last = false) {
  out += "    \"";
  out += key;
  out += "\": ";
  append_string(out, value);
  out += last ? "\n" : ",\n";
}

void append_record(std::string& out, const server_record& r) {
  out += "  {\n";
  append_member(out, "access_policy", name_of(r.access));
  out += "    \"allowed_token_ids\": ";
  if (r.allowed_token_ids.empty()) {
    out += "[]";
  } else {
    out += "[\n";
    for (std::size_t i = 0; i < r.allowed_token_ids.size(); ++i) {
      out += "      ";
      append_string(out, r.allowed_token_ids[i]);
      out += i + 1 < r.allowed_token_ids.size() ? ",\n" : "\n";
    }
    out += "    ]";
  }
  out += ",\n";
  append_member(out, "created_at", r.created_at);
  append_member(out, "description", r.description);
  append_member(out, "encryption_policy", name_of(r.encryption));
  append_member(out, "enrolled_at", r.enrolled_at);
  append_member(out, "host_key", r.host_key);
  append_member(out, "id", r.id);
  out += "    \"labels\": ";
  if (r.labels.empty()) {
    out += "{}";
  } else {
    out += "{\n";
    std::size_t i = 0;
    for (const auto& [key, value] : r.labels) {
      out += "      ";
      append_string(out, key);
      out += ": ";
      append_string(out, value);
      out += ++i < r.labels.size() ? ",\n" : "\n";
    }
    out += "    }";
  }
  out += ",\n";
  append_member(out, "last_seen", r.last_seen);
  append_member(out, "name", r.name);
  out += r.online ? "    \"online\": true,\n" : "    \"online\": false,\n";
  append_member(out, "recording_policy", name_of(r.recording));
  append_member(out, "status", name_of(r.status));
  append_member(out, "updated_at", r.updated_at, true);
  out += "  }";
}

}  // namespace

body_result<std::size_t> read_server_list(std::string_view text,
                                          const std::function<void(server_record&&)>& on_record) {
  list_reader reader(on_record);
  const json_scan_result scanned = scan_json(text, reader);
  if (scanned.what == json_scan_result::kind::not_json) {
    return body_error{"is not JSON (at byte " + std::to_string(scanned.at + 1) + ")"};
  }
  if (scanned.what == json_scan_result::kind::stopped) return body_error{reader.error()};
  if (!reader.found()) return body_error{"has no list of servers"};
  return reader.records();
}

std::string server_list_text(const std::vector<server_record>& records) {
  if (records.empty()) return "[]";
  std::string out = "[\n";
  out.reserve(records.size() * 512);  // a record with a few labels writes about 450 bytes
  for (std::size_t i = 0; i < records.size(); ++i) {
    append_record(out, records[i]);
    out += i + 1 < records.size() ? ",\n" : "\n";
  }
  out += "]";
  return out;
}

}  // namespace rstream::api
