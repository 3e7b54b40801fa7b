// The JSON report of `exec --output json` (see exec_report.hpp).
#include "rstream/api/exec_report.hpp"

#include <algorithm>

#include "rstream/base/base64.hpp"
#include "rstream/base/utf8.hpp"

namespace rstream::api {
namespace {

/// Adds "<name>" (UTF-8 text, invalid bytes replaced) and, when the bytes are not valid
/// UTF-8, "<name>_base64" with the exact bytes.
void add_stream(nlohmann::json& json, const char* name, const exec_captured_stream& stream) {
  bool valid = true;
  json[name] = base::replace_invalid_utf8(stream.bytes, valid);
  if (!valid) json[std::string(name) + "_base64"] = base::base64(stream.bytes);
  if (stream.truncated) json[std::string(name) + "_truncated"] = true;
}

}  // namespace

void exec_captured_stream::append(std::span<const std::uint8_t> data) {
  const std::size_t room = limit - std::min(limit, bytes.size());
  if (data.size() > room) truncated = true;
  bytes.append(reinterpret_cast<const char*>(data.data()), std::min(room, data.size()));
}

void to_json(nlohmann::json& json, const exec_report& report) {
  json = nlohmann::json::object();
  json["url"] = report.url;
  json["command"] = report.command;
  json["exit_code"] = report.exit_code;
  add_stream(json, "stdout", report.out);
  add_stream(json, "stderr", report.err);
  json["duration_ms"] = report.duration_ms;
  if (report.signal) {
    json["signal"] = report.signal;
    if (!report.signal_name.empty()) json["signal_name"] = report.signal_name;
  }
  if (report.pid) json["pid"] = report.pid;
  if (!report.session_id.empty()) json["session_id"] = report.session_id;
  if (report.timed_out) json["timed_out"] = true;
  if (!report.error.empty()) json["error"] = report.error;
  if (!report.error_code.empty()) json["error_code"] = report.error_code;
}

}  // namespace rstream::api
