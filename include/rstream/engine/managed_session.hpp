// managed_session: one session to a registered server through the engine (docs/architecture.md,
// "Managed sessions"). The engine stands between the client that opened it (the origin) and the
// server: it reads every frame it relays, keeps the session's live::live_session_state
// (scrollback, participants, control, events) and is its live_io::live_host, so WebSocket
// participants (`sessions join` through the engine, the dashboard) join it like a server's own
// live session.
//
//   origin ──Open, Data(stdin), Resize, Signal──▶ [control gate] ──▶ server writer ──▶ server
//   server ──Ack, Data(stdout|stderr), Close──▶ server reader ──▶ origin (as relayed, awaited)
//                                                           └──▶ state.on_output (spectators)
//
// * The origin is participant one and the first controller. Its frames reach the server only
//   while it controls; a spectator's are dropped. Its output is written frame by frame and
//   awaited, exactly as without an engine: a client that stops reading pauses the command
//   (what `exec` relies on to lose nothing). Other participants are never waited for: each has
//   its own bounded queue in the live state and is resynced from the scrollback when it lags.
// * Input of a WebSocket controller goes through the same bounded queue to the one server
//   writer as the origin's.
// * An interactive terminal session (Open with interactive and tty) outlives its origin: when the
//   origin goes, the engine keeps the server side open (and answers its heartbeats) until the
//   command exits, is killed, or has had no participant for `detached_timeout`. Anything else
//   ends when its origin goes, as without an engine.
// * The Ack the engine passes on carries the session's id (codec::ack::session_id).
// * An end-to-end encrypted session is relayed as it is (relay_frames: the engine cannot read
//   it) and only listed: it has no participants but its client. A recorded server's E2E
//   session records each sealed frame (ciphertext) as it passes, held while the recorder is
//   behind, ended with recording_failed if the recording breaks.
//
// Thread-safety: one single-threaded io_context; everything on its thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "rstream/codec/frame.hpp"
#include "rstream/engine/session_recorder.hpp"
#include "rstream/common/async_queue.hpp"
#include "rstream/live_io/live_host.hpp"
#include "rstream/transport/frame_channel.hpp"

namespace rstream::engine {

/// Who started a managed session, on which server, and how it is labelled.
struct managed_session_info {
  std::string server_id;
  std::string server_name;
  std::string started_by;  ///< the token's name
  std::string started_by_token_id;
  std::string origin;  ///< human, ci, agent, api, automation, scheduled-job
  std::string group;   ///< empty: none
  bool end_to_end = false;
  std::string started_at;  ///< UTC ISO 8601
};

struct managed_session_settings {
  /// An interactive session with no participant at all ends after this long.
  std::chrono::milliseconds detached_timeout{std::chrono::hours(1)};
  /// How long a killed session's command has to end after SIGHUP before its stream is cut.
  std::chrono::milliseconds kill_grace{std::chrono::seconds(5)};
  /// Bytes of input waiting for the server (the origin's and a WebSocket controller's).
  std::size_t input_queue_bytes = 1024 * 1024;
};

class managed_session : public live_io::live_host {
 public:
  /// A session that starts with `open` (plaintext) or, when `open` is empty, an end-to-end
  /// encrypted one whose frames the engine cannot read.
  managed_session(const boost::asio::any_io_executor& executor, std::string id,
                  managed_session_info info, std::optional<codec::open_request> open,
                  managed_session_settings settings);

  /// Relays between the origin and the server until the origin is done with it (it left, or
  /// the session ended and everything reached it); the session itself may go on (detached).
  /// `open` is the plaintext session's Open, already read from the origin, that must reach the
  /// server first (nothing for an end-to-end session, whose probe was relayed already).
  boost::asio::awaitable<void> run(std::shared_ptr<transport::frame_channel> origin,
                                   std::shared_ptr<transport::frame_channel> server,
                                   std::optional<codec::frame> open);

  live::live_session_state& state() override { return state_; }
  const live::live_session_state& state() const override { return state_; }
  boost::asio::awaitable<void> write_input(std::span<const std::uint8_t> bytes) override;
  void apply_size() override;
  void send_signal(int signal) override;

  /// Records the session (its server's policy is recorded or private): output, input, resizes,
  /// participants and control as they happen, and how it ended. Call before run(). When the
  /// recording can no longer be written, the session ends (a recorded server's session never
  /// runs unrecorded).
  void record_to(std::shared_ptr<session_recording> recording) {
    recording_ = std::move(recording);
  }

  /// How long kill() waits after its SIGHUP before it cuts the stream.
  std::chrono::milliseconds kill_grace() const { return settings_.kill_grace; }
  /// Ends the command: SIGHUP through the server, and the stream cut after kill_grace.
  void kill();

  const managed_session_info& info() const { return info_; }
  bool end_to_end() const { return info_.end_to_end; }
  /// Whether it outlives its origin (interactive, on a terminal, not end-to-end).
  bool detachable() const;
  /// Whether the origin client is still connected.
  bool origin_attached() const { return origin_ != nullptr; }
  /// Called once when the session has terminated (the directory keeps it listed a while).
  void on_terminated(std::function<void()> callback) { on_terminated_ = std::move(callback); }

  /// The listing entry: the live state's JSON plus the server, who, origin, group, end_to_end,
  /// mode ("interactive" or "command") and status ("active" or "terminated").
  nlohmann::json to_json() const;

 private:
  boost::asio::awaitable<void> read_origin();
  boost::asio::awaitable<void> read_server();
  boost::asio::awaitable<void> write_server();
  boost::asio::awaitable<void> watch_detached();
  /// Passes the live log's participant and control events on to the recording.
  boost::asio::awaitable<void> record_events();
  boost::asio::awaitable<void> send_heartbeats(std::chrono::milliseconds interval);
  boost::asio::awaitable<void> relay_opaque(std::shared_ptr<transport::frame_channel> origin,
                                            std::shared_ptr<transport::frame_channel> server);
  /// Queues a frame for the server (waits for room). False once the server side is closed.
  boost::asio::awaitable<bool> to_server(codec::frame frame);
  /// The origin left: detach it (a detachable session goes on) or end the session.
  void origin_left(const char* why);
  /// The server side ended (Close, Error or a lost stream): the session is over.
  /// `recording_end` is the recording's close reason ("exited", "recording_failed").
  void finish(int exit_code, int signal, const std::string& why,
              const char* recording_end = "exited");
  void close_server();

  std::string origin_participant_;
  managed_session_info info_;
  std::optional<codec::open_request> open_;
  managed_session_settings settings_;
  live::live_session_state state_;
  std::shared_ptr<transport::frame_channel> origin_;
  std::shared_ptr<transport::frame_channel> server_;
  async_queue<codec::frame> to_server_;
  boost::asio::steady_timer kill_timer_;
  async_event origin_done_;
  std::function<void()> on_terminated_;
  std::shared_ptr<session_recording> recording_;
  bool server_closed_ = false;
};

/// "ses_" and 20 lower-case hex digits.
std::string new_session_id();

}  // namespace rstream::engine
