// tunnel_filter: `list --filter` expressions over inventory entries (the JSON objects of
// GET /api/tunnels). Comma-separated key=value terms that must all hold; keys: name, id,
// status (online | offline), publish, registered (true | false), server_id,
// labels.<full label key> and label.<key> (a user label: labels.rstream.webtty.label.<key>);
// the value `*` means "present".
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rstream::tunnel {

class tunnel_filter {
 public:
  /// Parses an expression; nullopt with a message for users on a malformed one. An empty
  /// expression matches everything.
  static std::optional<tunnel_filter> parse(std::string_view text, std::string& error);
  /// True when every term holds for `entry`.
  bool matches(const nlohmann::json& entry) const;

 private:
  struct term {
    std::string key;    ///< "name", "id", "status", "publish" or "labels"
    std::string label;  ///< for labels.<label>
    std::string value;  ///< "*" = present
  };
  std::vector<term> terms_;
};

}  // namespace rstream::tunnel
