// JSON as the APIs send it: one line, no spaces, and any invalid UTF-8 in a string replaced by
// U+FFFD instead of throwing (peers' text can hold any bytes).
//
// Thread-safety: a pure function.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace rstream::api {

inline std::string json_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace rstream::api
