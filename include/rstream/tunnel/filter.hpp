// tunnel_filter: `list --filter` expressions over inventory entries (the JSON objects of
// GET /api/tunnels) or other JSON objects with a `labels` object (`server list --filter` over
// registered server records). Comma-separated key=value terms that must all hold; keys: the
// plain fields the caller allows (for tunnels: name, id, status, publish, registered,
// server_id), labels.<label key> and label.<key> (a user label: for tunnels
// labels.rstream.webtty.label.<key>); the value `*` means "present". publish, registered and
// online take true or false.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rstream::tunnel {

/// What a filter may name besides labels.<key>, and an example of a labels term for messages.
struct filter_keys {
  std::vector<std::string_view> fields;
  std::string_view label_example;
  std::string_view user_label_prefix;  ///< what label.<key> stands for: labels.<prefix><key>
};
/// The keys of GET /api/tunnels' entries (lightweight tunnels and registered servers).
inline const filter_keys tunnel_filter_keys{
    {"name", "id", "status", "publish", "registered", "server_id"},
    "label.role=codex",
    "rstream.webtty.label."};

class tunnel_filter {
 public:
  /// Parses an expression; nullopt with a message for users on a malformed one. An empty
  /// expression matches everything.
  static std::optional<tunnel_filter> parse(std::string_view text, std::string& error,
                                            const filter_keys& keys = tunnel_filter_keys);
  /// True when the filter has no term (it matches everything).
  bool empty() const { return terms_.empty(); }
  /// True when every term holds for `entry`.
  bool matches(const nlohmann::json& entry) const;

 private:
  struct term {
    std::string key;    ///< one of the fields, or "labels"
    std::string label;  ///< for labels.<label>
    std::string value;  ///< "*" = present
  };
  std::vector<term> terms_;
};

}  // namespace rstream::tunnel
