// Registered servers over the engine API, and this host's enrollment (see
// registered_servers.hpp).
#include "rstream/client/registered_servers.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "rstream/api/error_reply.hpp"
#include "rstream/api/server_list.hpp"
#include "rstream/base/percent.hpp"
#include "rstream/base/private_files.hpp"
#include "rstream/base/utc_time.hpp"
#include "rstream/client/engine_client.hpp"
#include "rstream/e2e/key_store.hpp"
#include "rstream/tunnel/filter.hpp"

namespace rstream::client {
namespace {

using json = nlohmann::json;

engine_failure failure(int exit_code, std::string message) {
  return {exit_code, std::move(message)};
}

/// A refused call: "no such server" and "not with this token's role" get their own exit codes
/// (a 401 stays a remote failure: the token itself is wrong).
engine_failure refused(const engine_reply& reply) {
  const bool specific = reply.status == 403 || reply.status == 404;
  return failure(specific ? api::exit_code_for_status(reply.status) : reply.exit_code,
                 reply.message);
}

/// One call whose answer is a record.
engine_result<api::server_record> record_call(const std::string& context, const char* method,
                                              const std::string& path, const std::string& body) {
  auto reply = call_engine(context, method, path, body);
  if (!reply.ok) return refused(reply);
  auto record = api::server_record_from_json(reply.body);
  if (!record) {
    return failure(api::exit_remote_failure, "the engine's answer: " + record.error().message);
  }
  return *record;
}

std::string server_path(const std::string& id_or_name) {
  return "/api/servers/" + base::percent_encode(id_or_name);
}

}  // namespace

engine_result<api::server_record> create_server(const std::string& context,
                                                const api::server_create_request& request) {
  return record_call(context, "POST", "/api/servers", api::to_json(request).dump());
}

const std::vector<std::string_view> server_filter_fields{
    "name", "id", "status", "online", "recording_policy", "encryption_policy", "access_policy"};

engine_result<std::vector<api::server_record>> list_servers(const std::string& context,
                                                            const std::string& status,
                                                            const std::string& filter) {
  if (!status.empty() && !api::parse_server_status(status)) {
    return failure(api::exit_usage, "--status: '" + status +
                                        "' is not a status (pending_enrollment, enrolled or "
                                        "suspended)");
  }
  std::string error;
  const auto matching =
      tunnel::tunnel_filter::parse(filter, error, {server_filter_fields, "labels.role=ci"});
  if (!matching) return failure(api::exit_usage, "--filter: " + error);
  auto reply = call_engine_text(context, "GET", "/api/servers", "");
  if (!reply.ok) return refused(reply);
  // Read record by record (10,000 records are 3.8 MB): no document of the whole answer.
  std::vector<api::server_record> records;
  const auto read = api::read_server_list(reply.text, [&](api::server_record&& record) {
    if ((status.empty() || status == api::name_of(record.status)) &&
        (filter.empty() || matching->matches(api::to_json(record)))) {
      records.push_back(std::move(record));
    }
  });
  if (!read) {
    return failure(api::exit_remote_failure, "the engine's answer " + read.error().message);
  }
  return records;
}

engine_result<api::server_record> show_server(const std::string& context,
                                              const std::string& id_or_name) {
  return record_call(context, "GET", server_path(id_or_name), "");
}

engine_result<api::server_record> update_server(const std::string& context,
                                                const std::string& id_or_name,
                                                const api::server_update_request& request) {
  return record_call(context, "PATCH", server_path(id_or_name), api::to_json(request).dump());
}

engine_result<api::server_record> delete_server(const std::string& context,
                                                const std::string& id_or_name) {
  return record_call(context, "DELETE", server_path(id_or_name), "");
}

std::filesystem::path enrollments_dir() { return e2e::default_key_root() / "enrollments"; }

std::filesystem::path enrollment_file(const std::string& server_id) {
  return enrollments_dir() / (server_id + ".json");
}

engine_result<enrolled_host> enroll_this_host(const std::string& context,
                                              const std::string& id_or_name,
                                              const std::string& identity_name) {
  const e2e::key_store keys;
  auto described = keys.describe_identity(identity_name);
  if (!described && described.code() == e2e::errc::not_found) {
    described = keys.create_identity(identity_name);
  }
  if (!described || !described->key) {
    return failure(api::exit_failure, described ? described->problem : described.error().message);
  }
  const std::string host_key = described->key->to_string();
  auto enrolled = record_call(context, "POST", server_path(id_or_name) + "/enrollment",
                              api::to_json(api::server_enroll_request{host_key}).dump());
  if (!enrolled) return enrolled.error();

  enrollment result{enrolled->id,
                    enrolled->name,
                    context,
                    identity_name,
                    host_key,
                    enrolled->enrolled_at,
                    api::name_of(enrolled->encryption)};
  const json file = {{"server_id", result.server_id},
                     {"name", result.name},
                     {"context", result.context},
                     {"identity", result.identity},
                     {"host_key", result.host_key},
                     {"enrolled_at", result.enrolled_at},
                     {"encryption_policy", result.encryption_policy}};
  std::string error;
  const auto path = enrollment_file(result.server_id);
  if (!base::make_private_dir(enrollments_dir(), error) ||
      !base::write_private_file(path, file.dump(2) + "\n", error)) {
    return failure(api::exit_failure, "the engine enrolled this host for " + result.server_id +
                                          ", but the enrollment file cannot be written: " + error);
  }
  return enrolled_host{std::move(*enrolled), std::move(result), path};
}

engine_result<enrollment> read_enrollment(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) {
    return failure(api::exit_usage, "cannot read " + file.string() +
                                        ": enroll this host first with `rstream webtty server "
                                        "enroll ID`");
  }
  std::stringstream text;
  text << in.rdbuf();
  const json j = json::parse(text.str(), nullptr, false);
  enrollment result;
  auto field = [&j](const char* key, std::string& out) {
    const auto at = j.is_object() ? j.find(key) : j.end();
    if (j.is_object() && at != j.end() && at->is_string()) out = at->get<std::string>();
  };
  field("server_id", result.server_id);
  field("name", result.name);
  field("context", result.context);
  field("identity", result.identity);
  field("host_key", result.host_key);
  field("enrolled_at", result.enrolled_at);
  field("encryption_policy", result.encryption_policy);
  if (result.server_id.empty() || result.identity.empty()) {
    return failure(api::exit_usage, file.string() +
                                        " is not an enrollment file (it needs "
                                        "server_id and identity)");
  }
  return result;
}

engine_result<enrollment> enrollment_to_run(const std::string& server_id, const std::string& file) {
  auto enrolled =
      read_enrollment(server_id.empty() ? std::filesystem::path(file) : enrollment_file(server_id));
  if (enrolled && !server_id.empty() && enrolled->server_id != server_id) {
    return failure(api::exit_usage, "the enrollment file of " + server_id + " (" +
                                        enrollment_file(server_id).string() +
                                        ") names another server, " + enrolled->server_id);
  }
  return enrolled;
}

}  // namespace rstream::client
