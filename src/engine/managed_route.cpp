// engine_server::route_managed: how a session to a registered server starts (see
// managed_session.hpp). Every client opens with an E2E probe (client/e2e_negotiation.hpp): the
// engine passes the ClientHello to the server and reads its answer. An empty answer ("no E2E
// here") means plaintext: the client's next frame is its Open, and the session is a
// managed_session the engine reads. Anything else is an end-to-end session: relayed as it is,
// listed, never readable. A client that sends Open at once (the browser page) is plaintext too.
#include <spdlog/spdlog.h>

#include "rstream/base/utc_time.hpp"
#include "rstream/engine/engine_server.hpp"
#include "rstream/engine/managed_session.hpp"

namespace asio = boost::asio;

namespace rstream::engine {
namespace {

bool is_handshake(const codec::frame& f) {
  const auto* message = std::get_if<codec::e2e_message>(&f);
  return message && message->type == codec::frame_type::e2e_handshake;
}

bool is_empty_handshake(const codec::frame& f) {
  return is_handshake(f) && std::get<codec::e2e_message>(f).bytes.empty();
}

codec::frame protocol_refusal(const std::string& what) {
  return codec::error_frame{"protocol_error",
                            "a session starts with an E2E handshake or Open, not " + what};
}

}  // namespace

asio::awaitable<void> engine_server::route_managed(std::shared_ptr<transport::frame_channel> client,
                                                   api::server_record record, std::string tunnel_id,
                                                   std::string name, const token_info& who,
                                                   std::optional<codec::frame> first) {
  if (!first) {
    auto read = co_await transport::read_frame_within(client, config_.first_frame_timeout);
    if (read.what != transport::read_result::kind::frame) co_return;
    first = std::move(read.frame);
  }
  if (!is_handshake(*first) && !std::holds_alternative<codec::open_request>(*first)) {
    const codec::frame refusal = protocol_refusal(codec::type_name(codec::type_of(*first)));
    co_await transport::refuse(*client, refusal);
    co_return;
  }
  auto server = co_await open_session_stream(client, tunnel_id, name);
  if (!server) co_return;
  bool end_to_end = false;
  if (is_handshake(*first)) {
    if (auto ec = co_await server->write(*first)) co_return;
    auto answer = co_await transport::read_frame_within(server, config_.first_frame_timeout);
    if (answer.what != transport::read_result::kind::frame) {
      const codec::frame refusal =
          codec::error_frame{"server_unavailable", "server '" + name + "' did not answer"};
      co_await transport::refuse(*client, refusal);
      co_return;
    }
    end_to_end = !is_empty_handshake(answer.frame);
    if (!end_to_end && record.encryption == api::encryption_policy::explicit_key) {
      // Its signed labels said E2E is required; a server that answers in plaintext lies.
      const codec::frame refusal = refusal_frame(plaintext_refusal(record));
      server->close();
      co_await transport::refuse(*client, refusal);
      co_return;
    }
    if (auto ec = co_await client->write(answer.frame)) co_return;
    if (!end_to_end) {
      auto open = co_await transport::read_frame_within(client, config_.first_frame_timeout);
      if (open.what != transport::read_result::kind::frame) co_return;
      if (!std::holds_alternative<codec::open_request>(open.frame)) {
        const codec::frame refusal = protocol_refusal(codec::type_name(codec::type_of(open.frame)));
        server->close();
        co_await transport::refuse(*client, refusal);
        co_return;
      }
      first = std::move(open.frame);
    }
  }
  std::optional<codec::open_request> open;
  if (!end_to_end) open = std::get<codec::open_request>(*first);
  managed_session_info info;
  info.server_id = record.id;
  info.server_name = name;
  info.started_by = who.name;
  info.started_by_token_id = who.id;
  info.end_to_end = end_to_end;
  info.started_at = base::utc_iso8601(std::chrono::system_clock::now(), true);
  if (open) {
    info.origin = open->origin;
    info.group = open->group;
    open->origin.clear();  // the engine's business, not the server's
    open->group.clear();
    *first = *open;
  }
  if (info.origin.empty()) {
    info.origin = open && open->interactive && open->allocate_tty ? "human" : "api";
  }
  const std::string id = new_session_id();
  // A recorded (or private) server's session starts only once its recording has begun.
  std::shared_ptr<session_recording> recording;
  if (recorder_) {
    recording_start start;
    start.session_id = id;
    start.policy = record.recording;
    start.open.server_id = info.server_id;
    start.open.server_name = name;
    start.open.who = who.name;
    start.open.origin = info.origin;
    start.open.group = info.group;
    start.open.e2e = end_to_end;
    if (open) {
      start.open.argv = open->argv;
      start.open.cols = open->cols;
      start.open.rows = open->rows;
      start.open.tty = open->allocate_tty;
    }
    auto begun = co_await recorder_->begin(std::move(start));
    if (!begun.recording) {
      const codec::frame refusal = codec::error_frame{
          "recording_failed", "server '" + name +
                                  "' records its sessions and the engine cannot record now (" +
                                  begun.refusal + "): the session was not started"};
      server->close();
      co_await transport::refuse(*client, refusal);
      co_return;
    }
    recording = std::move(begun.recording);
  }
  managed_session_settings settings;
  settings.detached_timeout = config_.detached_session_timeout;
  auto session = std::make_shared<managed_session>(io_.get_executor(), id, std::move(info),
                                                   std::move(open), settings);
  session->on_terminated([this, id] { sessions_.terminated(id); });
  if (recording) session->record_to(std::move(recording));
  sessions_.add(session);
  spdlog::info("managed session {} on '{}' started by '{}'{}", id, name, who.name,
               end_to_end ? " (end-to-end: relayed, not readable)" : "");
  std::optional<codec::frame> opening;  // an end-to-end session's probe was relayed already
  if (!end_to_end) opening = std::move(*first);
  co_await session->run(client, server, std::move(opening));
}

}  // namespace rstream::engine
