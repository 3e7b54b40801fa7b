// The engine's registered servers seen from a client (`rstream webtty server create|list|show|
// update|delete|enroll`): typed calls over the engine API (api/server_record.hpp), and the
// enrollment of this host: its identity's public key sent to the engine, and the enrollment
// file that `rstream webtty server --server-id ID` reads. Printing is the caller's.
//
// Thread-safety: each call runs its own io_context on the calling thread; no shared state.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "rstream/api/server_record.hpp"
#include "rstream/base/result.hpp"

namespace rstream::client {

/// Why a call failed, in one sentence, with the exit code it deserves (api::exit_*: 1 the engine
/// said no, 3 no such server, 4 the token's role does not allow it, 2 a bad filter or status,
/// 255 unreachable, bad token or a bad answer).
struct engine_failure {
  int exit_code = 0;
  std::string message;
};

template <typename T>
using engine_result = base::result<T, engine_failure>;

engine_result<api::server_record> create_server(const std::string& context,
                                                const api::server_create_request& request);
/// The fields `server list --filter` takes besides labels.<key> (tunnel_filter terms over a
/// record's JSON).
extern const std::vector<std::string_view> server_filter_fields;
/// GET /api/servers: the records (sorted by name) with status `status` (empty: any; else
/// pending_enrollment, enrolled or suspended) that match `filter` (empty: all). A bad status or
/// filter fails with exit_usage before any request.
engine_result<std::vector<api::server_record>> list_servers(const std::string& context,
                                                            const std::string& status = {},
                                                            const std::string& filter = {});
engine_result<api::server_record> show_server(const std::string& context,
                                              const std::string& id_or_name);
engine_result<api::server_record> update_server(const std::string& context,
                                                const std::string& id_or_name,
                                                const api::server_update_request& request);
engine_result<api::server_record> delete_server(const std::string& context,
                                                const std::string& id_or_name);

/// What `server enroll` leaves on the runtime host: ~/.rstream/webtty/enrollments/ID.json.
struct enrollment {
  std::string server_id;
  std::string name;
  std::string context;   ///< the project context the engine was reached with (empty: current)
  std::string identity;  ///< the local identity whose key was enrolled
  std::string host_key;
  std::string enrolled_at;
  /// The record's encryption policy (fixed at creation): explicit_key makes the server require
  /// E2E with `identity`.
  std::string encryption_policy = "disabled";
};

/// ~/.rstream/webtty/enrollments (beside the identities).
std::filesystem::path enrollments_dir();
std::filesystem::path enrollment_file(const std::string& server_id);

/// What enroll_this_host did: the record as the engine now has it, what the file says, and
/// where the file is.
struct enrolled_host {
  api::server_record record;
  enrollment written;
  std::filesystem::path file;
};

/// Enrolls this host for `id_or_name`: loads identity `identity_name` (created when missing),
/// sends its public key, and writes the enrollment file (0600, atomic; an existing file for the
/// same id is replaced only after the engine accepted the new key).
engine_result<enrolled_host> enroll_this_host(const std::string& context,
                                              const std::string& id_or_name,
                                              const std::string& identity_name);

/// Reads an enrollment file (`--server-enrollment FILE`, or the one of `--server-id ID`).
engine_result<enrollment> read_enrollment(const std::filesystem::path& file);

/// What `rstream webtty server --server-id ID` (`server_id`) or `--server-enrollment FILE`
/// (`file`) runs: the enrollment, read and checked (the file of an id must name that id).
engine_result<enrollment> enrollment_to_run(const std::string& server_id, const std::string& file);

}  // namespace rstream::client
