// /api/servers (docs/api.md, "Registered servers"): the engine's registered servers over HTTP.
// Reading needs any token; creating, changing and deleting a record needs an admin token;
// enrolling a host needs a read-write token (the record must be pending: an id is enrolled once).
// Bodies are api/server_record.hpp's; the registry checks and stores each change.
#include <spdlog/spdlog.h>

#include "rstream/api/json_text.hpp"
#include "rstream/api/server_record.hpp"
#include "rstream/engine/engine_server.hpp"

namespace asio = boost::asio;
using json = nlohmann::json;

namespace rstream::engine {
namespace {

int status_of(registry_error::errc code) {
  switch (code) {
    case registry_error::errc::invalid:
      return 400;
    case registry_error::errc::not_found:
      return 404;
    case registry_error::errc::conflict:
      return 409;
    case registry_error::errc::ok:
    case registry_error::errc::store_failed:
      break;
  }
  return 500;
}

const char* code_of(registry_error::errc code) {
  switch (code) {
    case registry_error::errc::invalid:
      return "bad_request";
    case registry_error::errc::not_found:
      return "server_not_found";
    case registry_error::errc::conflict:
      return "conflict";
    case registry_error::errc::ok:
    case registry_error::errc::store_failed:
      break;
  }
  return "store_failed";
}

/// The parsed request, or nullopt after answering 400 with the reader's message.
template <typename Request>
asio::awaitable<std::optional<Request>> accepted(transport::http_exchange& ex,
                                                 api::body_result<Request> request) {
  if (request) co_return std::move(*request);
  co_await ex.respond_error(400, "bad_request", request.error().message);
  co_return std::nullopt;
}

/// For the log line of a change ("created", ...).
const char* past_tense(server_records_route route) {
  switch (route) {
    case server_records_route::create:
      return "created";
    case server_records_route::update:
      return "updated";
    case server_records_route::remove:
      return "deleted";
    case server_records_route::enroll:
      return "enrolled";
    case server_records_route::list:
    case server_records_route::show:
      break;
  }
  return "read";
}

}  // namespace

asio::awaitable<void> engine_server::api_server_records(transport::http_exchange& ex,
                                                        const token_info& who,
                                                        server_records_route route,
                                                        std::string id_or_name) {
  using records = server_records_route;
  const bool changes_record =
      route == records::create || route == records::update || route == records::remove;
  if (changes_record && who.role != token_role::admin) {
    co_await ex.respond_error(403, "forbidden",
                              "creating, changing or deleting a registered server needs an admin "
                              "token; token '" +
                                  who.name + "' is " + role_name(who.role));
    co_return;
  }
  if (route == records::enroll && who.role == token_role::read_only) {
    co_await ex.respond_error(
        403, "forbidden",
        "enrolling a host needs a read-write token; token '" + who.name + "' is read-only");
    co_return;
  }
  if (route == records::list) {
    const std::shared_ptr<const std::string> answer = servers_answer();
    co_await ex.respond(200, "application/json", *answer);
    co_return;
  }
  if (route == records::show) {
    const api::server_record* record = servers_.find(id_or_name);
    if (!record) {
      const registry_error missing = server_registry::not_found(id_or_name);
      co_await ex.respond_error(404, code_of(missing.code), missing.message);
      co_return;
    }
    co_await ex.respond_json(200, api::json_text(record_json(*record)));
    co_return;
  }

  registry_result<api::server_record> done = registry_error{};
  const std::string now = utc_now_iso8601();
  const token_lookup token_id = [this](const std::string& name_or_id) {
    return tokens_.find_id(name_or_id);
  };
  if (route == records::remove) {
    done = servers_.remove(id_or_name);
  } else {
    auto body = co_await read_api_body(ex);
    if (!body) co_return;
    if (body->is_discarded()) {
      co_await ex.respond_error(400, "bad_request", "the request body is not JSON");
      co_return;
    }
    if (route == records::create) {
      auto request = co_await accepted(ex, api::parse_server_create_request(*body));
      if (!request) co_return;
      done = servers_.create(*request, token_id, now);
    } else if (route == records::update) {
      auto request = co_await accepted(ex, api::parse_server_update_request(*body));
      if (!request) co_return;
      done = servers_.update(id_or_name, *request, token_id, now);
    } else {
      auto request = co_await accepted(ex, api::parse_server_enroll_request(*body));
      if (!request) co_return;
      done = servers_.enroll(id_or_name, request->host_key, now);
    }
  }
  if (!done) {
    co_await ex.respond_error(status_of(done.code()), code_of(done.code()), done.error().message);
    co_return;
  }
  spdlog::info("registered server '{}' ({}) {} by token '{}'", done->name, done->id,
               past_tense(route), who.name);
  enforce_record(done->id);  // a deleted, suspended or reset record takes its tunnel offline
  if (route == records::remove) {
    entry_texts_.forget(done->id);
    record_texts_.forget(done->id);
  }
  co_await ex.respond_json(route == records::create ? 201 : 200,
                           api::json_text(record_json(*done)));
}

}  // namespace rstream::engine
