// engine_server's side of registered servers (docs/protocol.md, "Registered servers"): the
// admission of a server that claims a record (TunnelHello with server_id → TunnelChallenge →
// TunnelProof → TunnelWelcome under the record's name), closing a tunnel whose record no longer
// admits it, and the merged inventory. The decisions are server_admission.hpp's.
#include <spdlog/spdlog.h>

#include "rstream/api/json_text.hpp"
#include "rstream/base/utc_time.hpp"
#include "rstream/e2e/admission_proof.hpp"
#include "rstream/e2e/identity.hpp"
#include "rstream/engine/engine_server.hpp"
#include "rstream/engine/inventory_view.hpp"
#include "tunnel_link.hpp"

namespace asio = boost::asio;

namespace rstream::engine {
std::vector<api::tunnel_entry> engine_server::entries() const {
  return inventory_entries(inventory_, servers_, base_url());
}

std::shared_ptr<const std::string> engine_server::tunnels_answer() {
  if (entries_listing_.fresh(servers_.last_revision(), inventory_.changes())) {
    return entries_listing_.answer;
  }
  const std::string base = base_url();
  std::vector<std::pair<std::string_view, const std::string*>> listed;
  // Built per request: they change with every connection. Reserved, so the pointers hold.
  std::vector<std::string> lightweight;
  lightweight.reserve(inventory_.size());
  for (const auto& [id, tunnel] : inventory_.all()) {
    if (!tunnel.server_id.empty()) continue;
    lightweight.push_back(api::json_text(entry_json(tunnel, base)));
    listed.emplace_back(tunnel.name, &lightweight.back());
  }
  for (const api::server_record* record : servers_.all()) {
    const tunnel_record* online = inventory_.find_server(record->id);
    const std::string variant = online ? online->id : std::string();
    const std::string& text = entry_texts_.text(
        record->id, servers_.revision(record->id), variant,
        [&] { return api::json_text(api::to_json(registered_entry_of(*record, online, base))); });
    listed.emplace_back(record->name, &text);
  }
  std::stable_sort(listed.begin(), listed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<const std::string*> texts;
  texts.reserve(listed.size());
  for (const auto& [name, text] : listed) texts.push_back(text);
  entries_listing_ = {servers_.last_revision(), inventory_.changes(),
                      json_array_answer("", texts, "\n")};
  return entries_listing_.answer;
}

std::shared_ptr<const std::string> engine_server::servers_answer() {
  if (records_listing_.fresh(servers_.last_revision(), inventory_.changes())) {
    return records_listing_.answer;
  }
  std::vector<const std::string*> texts;
  texts.reserve(servers_.size());
  for (const api::server_record* record : servers_.all()) {
    const bool online = inventory_.find_server(record->id) != nullptr;
    texts.push_back(&record_texts_.text(record->id, servers_.revision(record->id),
                                        online ? "online" : "",
                                        [&] { return api::json_text(record_json(*record)); }));
  }
  records_listing_ = {servers_.last_revision(), inventory_.changes(),
                      json_array_answer("{\"servers\":", texts, "}\n")};
  return records_listing_.answer;
}

nlohmann::json engine_server::record_json(const api::server_record& record) const {
  api::server_record shown = record;
  shown.online = inventory_.find_server(record.id) != nullptr;
  return api::to_json(shown);
}

const api::server_record* engine_server::registered_target(const std::string& name_or_id) const {
  if (const api::server_record* record = servers_.find(name_or_id)) return record;
  // A tunnel id of a registered server's tunnel names it too.
  const tunnel_record* tunnel = inventory_.find_id(name_or_id);
  return tunnel && !tunnel->server_id.empty() ? servers_.find(tunnel->server_id) : nullptr;
}

void engine_server::enforce_record(const std::string& server_id) {
  const tunnel_record* online = inventory_.find_server(server_id);
  if (!online) return;
  const api::server_record* record = servers_.find(server_id);
  std::string why;
  if (!record) {
    why = "its registered server record was deleted";
  } else if (record->status == api::server_status::suspended) {
    why = "its registered server was suspended";
  } else if (record->status == api::server_status::pending_enrollment) {
    why = "its registered server's enrollment was reset";
  } else {
    return;
  }
  if (auto link = links_.find(online->id); link != links_.end()) {
    const auto closing = link->second;  // a copy: closing takes it out of links_
    closing->close(why);
  }
}

asio::awaitable<void> engine_server::admit_registered(
    std::shared_ptr<transport::frame_channel> channel, tunnel::tunnel_hello hello, token_info who) {
  const std::string server_id = hello.server_id;
  if (auto refused = check_registered_hello(servers_.find(server_id), server_id, hello.labels)) {
    spdlog::info("registered server {} from {} refused: {}", server_id, channel->peer(),
                 refused->message);
    co_await transport::refuse(*channel, refusal_frame(*refused));
    co_return;
  }
  const e2e::admission_challenge challenge = e2e::new_admission_challenge();
  const codec::frame ask =
      tunnel::to_message(tunnel::tunnel_challenge{server_id, e2e::base64url(challenge)});
  if (auto ec = co_await channel->write(ask)) co_return;

  // The proof must come promptly, like the first frame.
  auto answer = co_await transport::read_frame_within(channel, config_.first_frame_timeout);
  if (answer.what != transport::read_result::kind::frame) co_return;
  const auto* message = std::get_if<codec::control_message>(&answer.frame);
  tunnel::tunnel_proof proof;
  std::string error;
  if (!message || !tunnel::parse(*message, proof, error)) {
    const refusal malformed{"malformed", "expected TunnelProof after TunnelChallenge" +
                                             (error.empty() ? std::string() : ": " + error)};
    co_await transport::refuse(*channel, refusal_frame(malformed));
    co_return;
  }
  // The record may have changed while the proof was on its way: check it again.
  const api::server_record* record = servers_.find(server_id);
  std::optional<refusal> refused = check_registered_hello(record, server_id, hello.labels);
  if (!refused) refused = check_admission_proof(*record, challenge, hello.labels, proof.signature);
  if (!refused) {
    const admission admitted = inventory_.admit_registered(server_id, record->name);
    if (admitted.what == admission::verdict::replace) {
      const auto stale = links_.at(admitted.replaced_id);  // a copy: closing erases it
      stale->close("replaced by a new connection from the same registered server");
    } else if (admitted.what != admission::verdict::admit) {
      const char* code =
          admitted.what == admission::verdict::full ? "too_many_tunnels" : "name_conflict";
      refused = refusal{code, admitted.message};
    }
  }
  if (refused) {
    spdlog::info("registered server {} from {} refused: {}", server_id, channel->peer(),
                 refused->message);
    co_await transport::refuse(*channel, refusal_frame(*refused));
    co_return;
  }
  hello.name = record->name;  // the record's name, whatever the server believed
  const std::string now = utc_now_iso8601();
  if (auto noted = servers_.seen(server_id, now); !noted) {
    spdlog::warn("server {}: last_seen not stored: {}", server_id, noted.error().message);
  }
  add_tunnel(std::move(channel), hello, who, server_id);
}

}  // namespace rstream::engine
