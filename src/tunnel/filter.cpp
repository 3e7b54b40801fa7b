// tunnel_filter (see filter.hpp).
#include "rstream/tunnel/filter.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace rstream::tunnel {

std::optional<tunnel_filter> tunnel_filter::parse(std::string_view text, std::string& error,
                                                  const filter_keys& keys) {
  tunnel_filter filter;
  while (!text.empty()) {
    auto comma = text.find(',');
    std::string_view piece = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    while (!piece.empty() && piece.front() == ' ') piece.remove_prefix(1);
    while (!piece.empty() && piece.back() == ' ') piece.remove_suffix(1);
    if (piece.empty()) continue;
    auto eq = piece.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      error = "filter term '" + std::string(piece) + "' is not key=value";
      return std::nullopt;
    }
    term t;
    std::string key(piece.substr(0, eq));
    t.value = std::string(piece.substr(eq + 1));
    if (std::find(keys.fields.begin(), keys.fields.end(), key) != keys.fields.end()) {
      t.key = key;
    } else if (key.rfind("labels.", 0) == 0 && key.size() > 7) {
      t.key = "labels";
      t.label = key.substr(7);
    } else if (key.rfind("label.", 0) == 0 && key.size() > 6) {
      t.key = "labels";
      t.label = std::string(keys.user_label_prefix) + key.substr(6);
    } else {
      std::string fields;
      for (const auto field : keys.fields) fields += std::string(field) + ", ";
      error = "unknown filter key '" + key + "' (use " + fields + "label.<key> or labels.<key>, " +
              "e.g. " + std::string(keys.label_example) + ")";
      return std::nullopt;
    }
    const bool boolean = t.key == "publish" || t.key == "registered" || t.key == "online";
    if (boolean && t.value != "true" && t.value != "false" && t.value != "*") {
      error = t.key + " filter must be true or false, got '" + t.value + "'";
      return std::nullopt;
    }
    filter.terms_.push_back(std::move(t));
  }
  return filter;
}

bool tunnel_filter::matches(const nlohmann::json& entry) const {
  for (const auto& t : terms_) {
    const nlohmann::json* field = nullptr;
    if (t.key == "labels") {
      auto labels = entry.find("labels");
      if (labels == entry.end() || !labels->is_object()) return false;
      auto it = labels->find(t.label);
      if (it == labels->end()) return false;
      field = &*it;
    } else {
      auto it = entry.find(t.key);
      if (it == entry.end()) return false;
      field = &*it;
    }
    if (t.value == "*") continue;
    std::string actual;
    if (field->is_string()) {
      actual = field->get<std::string>();
    } else if (field->is_boolean()) {
      actual = field->get<bool>() ? "true" : "false";
    } else {
      actual = field->dump();
    }
    if (actual != t.value) return false;
  }
  return true;
}

}  // namespace rstream::tunnel
