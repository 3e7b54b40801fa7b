// The recordings of managed sessions seen from a client (`rstream webtty sessions export|verify`,
// docs/api.md "Recordings"): a page of events, the export streamed into a file or stdout, and a
// verification that fetches every event and recomputes the hash chain itself: the engine's word
// is never taken for it. Printing is the caller's.
//
// Thread-safety: each call runs its own io_context on the calling thread; no shared state.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "rstream/api/recording_export.hpp"
#include "rstream/client/registered_servers.hpp"

namespace rstream::client {

/// GET /api/webtty/sessions/ID/events?from_seq=N&limit=N: the recording's summary and a page of
/// events. Exit codes as engine_failure says (3: no such recorded session, 4: not an admin).
engine_result<api::recording_page> read_recording_page(const std::string& context,
                                                       const std::string& session_id,
                                                       std::uint64_t from_seq,
                                                       std::uint64_t limit = 1000);

struct export_request {
  std::string context;
  std::string session_id;
  api::export_format format = api::export_format::json;
  bool include_stdin = false;
  /// Where to: written as FILE.partial (mode 0600: a recording may hold secrets) and renamed to
  /// FILE once whole; empty: stdout.
  std::filesystem::path file;
};

/// GET /api/webtty/sessions/ID/export, streamed: memory stays flat whatever the size. The
/// bytes written.
engine_result<std::uint64_t> export_recording(const export_request& request);

struct recording_verification {
  api::recording_summary recording;  ///< as the last page described it
  std::uint64_t events = 0;          ///< events whose chain was recomputed
  std::optional<api::chain_break> broken;
};

/// Fetches the recording's events page by page and recomputes the chain from its session id:
/// `broken` names the first event that does not hold (or the end the summary promises but the
/// events do not reach).
engine_result<recording_verification> verify_recording(const std::string& context,
                                                       const std::string& session_id);

}  // namespace rstream::client
