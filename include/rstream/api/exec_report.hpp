// The report of `exec --output json`: one object with the command, its exit code, its exact
// output and how long it ran. Output that is not valid UTF-8 is given twice: as text with
// U+FFFD for each invalid byte, and exactly as "<stream>_base64". Pure: no I/O.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

namespace rstream::api {

/// One output stream captured for the report, bounded: bytes past `limit` are dropped and
/// counted as truncation.
struct exec_captured_stream {
  static constexpr std::size_t default_limit = 64 * 1024 * 1024;
  std::size_t limit = default_limit;
  std::string bytes;
  bool truncated = false;

  void append(std::span<const std::uint8_t> data);
};

struct exec_report {
  std::string url;
  std::vector<std::string> command;
  int exit_code = 0;
  exec_captured_stream out;  ///< "stdout"
  exec_captured_stream err;  ///< "stderr"
  std::int64_t duration_ms = 0;
  int signal = 0;           ///< the signal that ended the remote command (0: none)
  std::string signal_name;  ///< "SIGKILL"...; empty when unknown
  std::int64_t pid = 0;     ///< the remote process id, when the server said
  std::string session_id;   ///< the engine's managed session (registered servers), if any
  bool timed_out = false;
  std::string error;       ///< why the run failed, for people (empty: it did not)
  std::string error_code;  ///< the server's error code, when it sent one
};

/// The report as JSON: url, command, exit_code, stdout, stderr, duration_ms always; for each
/// stream "<name>_base64" (not valid UTF-8) and "<name>_truncated" when they apply; signal
/// and signal_name, pid, session_id, timed_out, error and error_code when set.
void to_json(nlohmann::json& json, const exec_report& report);

}  // namespace rstream::api
