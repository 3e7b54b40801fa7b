// The sans-I/O state of one live session: lifecycle (starting → running → terminated), the
// scrollback, the terminal model, the participants with their output queues and control, and
// the event log. The server (daemon mode) and the engine (managed sessions) drive it: they feed
// it the process's output and lifecycle, ask it whether a participant may write/resize/signal,
// and pull each participant's output for that participant's writer.
//
// Output offsets, and why a participant sees no gap and no duplicate:
//   every output byte has a stream offset (scrollback_ring::total_written() counts them). Each
//   participant has a cursor: the offset of the next byte its writer will get. It is in one of
//   two modes:
//   - catching up: its next bytes are not in its queue. A new participant starts here with no
//     cursor.
//     * Raw sessions (options.terminal false): take_output() copies from the scrollback at the
//       cursor. The first take_output() sets the cursor to the scrollback's safe_start(), so a
//       replay never begins inside a UTF-8 or escape sequence. If the cursor fell out of the
//       scrollback (older than begin_offset()), it jumps to safe_start() and an output_skipped
//       event says how many bytes were lost. When the cursor reaches total_written(), the
//       participant switches to live mode.
//     * Terminal sessions (options.terminal true): the participant gets the terminal model's
//       repaint (screen_model::repaint(): the history lines, then the screen as it is, its
//       modes and the sequence in progress), which stands for the stream up to
//       total_written(); its cursor jumps there and it switches to live mode at once. A
//       participant that had a cursor (it lagged) gets an output_skipped event with the bytes
//       the repaint replaced ("repainted": true). Participants that start at the same offset
//       share one repaint. One that joins before any output starts live at offset 0 (the
//       stream itself, byte for byte).
//   - live: on_output() pushes each new chunk into its queue, whose bytes are exactly
//     [cursor, total_written()). If a chunk does not fit, the queue drops what it holds and the
//     participant goes back to catching up from its unchanged cursor: the bytes it missed are
//     usually still in the scrollback (then nothing is skipped at all), or, in a terminal
//     session, replaced by a repaint.
//   So a participant receives the stream from its start offset onwards, each byte once, in
//   order, apart from explicitly reported skips; in a terminal session, what it receives before
//   each live stretch is a repaint that leaves its terminal as the stream up to that offset
//   would. Nothing here blocks or grows without bound: the process is never slowed by a
//   participant.
// Memory: scrollback capacity + per participant at most queue_limit_bytes (+ one chunk being
// popped) + event_capacity events + bounded control requests; a terminal session adds its
// screen_model (cells, and history of at most scrollback_bytes) and, per participant, the rest
// of a repaint not sent yet (shared by participants that started at the same offset).
// Thread-safety: none; owned by one thread (the session's io_context thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "rstream/live/control_state.hpp"
#include "rstream/live/event_log.hpp"
#include "rstream/live/participant_queue.hpp"
#include "rstream/live/result.hpp"
#include "rstream/live/screen_model.hpp"
#include "rstream/live/scrollback_ring.hpp"

namespace rstream::live {

enum class session_state : std::uint8_t { starting, running, terminated };
/// "starting" | "running" | "terminated".
const char* to_string(session_state s);

/// Largest terminal dimension (same as the WebTTY protocol's).
inline constexpr std::uint16_t max_dimension = 4096;

struct session_options {
  std::string id;                    ///< required; [A-Za-z0-9._:-], 1..64 characters
  std::string name;                  ///< empty: the id
  std::vector<std::string> command;  ///< argv (empty: the login shell)
  std::string working_dir;
  std::uint16_t cols = 80;  ///< 1..max_dimension
  std::uint16_t rows = 24;  ///< 1..max_dimension
  std::size_t scrollback_bytes = default_scrollback_bytes;
  std::size_t queue_limit_bytes = default_queue_limit;
  std::size_t event_capacity = default_event_capacity;
  control_policy control;
  /// The output is a terminal's (the server's live sessions run on a PTY): the session keeps a
  /// terminal model, fed the output and resized with the terminal, and a participant starts
  /// from its repaint rather than from raw scrollback (see above). Its history holds at most
  /// scrollback_bytes. False: raw output (an exec session's pipes).
  bool terminal = false;
};

/// What take_output() produced.
struct output_batch {
  std::size_t bytes = 0;      ///< appended to the caller's buffer
  std::uint64_t offset = 0;   ///< stream offset of the first of those bytes
  std::uint64_t skipped = 0;  ///< bytes lost just before them (an output_skipped event was logged)
  /// The bytes are (part of) a repaint standing for the stream up to `offset`, not stream bytes.
  bool repaint = false;
};

class live_session_state {
 public:
  /// Checks options the way the constructor does (for the API layer's 4xx answers).
  static result<void> validate(const session_options& options);

  /// Starts in state starting. Options must pass validate() (a bug otherwise: throws
  /// std::invalid_argument).
  live_session_state(session_options options, time_point now);
  live_session_state(const live_session_state&) = delete;
  live_session_state& operator=(const live_session_state&) = delete;

  // ---- lifecycle ----

  /// starting → running, with the process id. Logs state_changed. Errors: invalid_state.
  result<void> set_running(std::int64_t pid, time_point now);
  /// starting|running → terminated. signal != 0: killed by it. Logs state_changed with the exit
  /// code. Participants stay attached and can still drain their output. Errors: invalid_state.
  result<void> terminate(int exit_code, time_point now, int signal = 0);

  // ---- output ----

  /// The process's output: appended to the scrollback, fed to the terminal model and queued for
  /// every live participant. Never blocks; lagging participants are switched to catching up
  /// (see above).
  void on_output(std::span<const std::uint8_t> bytes);
  /// Appends up to max_bytes of the participant's next output to `out` (see the offset logic
  /// above); bytes == 0 means nothing to send now. May log output_skipped.
  /// Errors: unknown_participant.
  result<output_batch> take_output(const std::string& participant_id,
                                   std::vector<std::uint8_t>& out, std::size_t max_bytes,
                                   time_point now);
  /// The same bytes without copying live output: appends pieces that reference the queued
  /// chunks to `pieces`. Catching up, the bytes are copied from the scrollback into `scratch`
  /// (cleared first) and the one piece points there. Same errors as take_output().
  result<output_batch> take_output_pieces(const std::string& participant_id,
                                          std::vector<output_piece>& pieces,
                                          std::vector<std::uint8_t>& scratch, std::size_t max_bytes,
                                          time_point now);
  /// Whether take_output() would return bytes now (a writer waits when it would not).
  bool has_output(const std::string& participant_id) const;

  // ---- participants ----

  /// Adds a participant (see control_state::join). An empty id gets a fresh one ("p1", "p2",
  /// ...). The participant first receives the scrollback, then live output.
  result<participant> attach(std::string participant_id, std::string name, bool spectator_only,
                             time_point now);
  /// Removes a participant and its queue (see control_state::leave).
  result<void> detach(const std::string& participant_id, time_point now);

  /// Input gate: ok only for the controller. Errors: unknown_participant, not_controller.
  result<void> authorize_input(const std::string& participant_id) const;
  /// Signal gate: same rule as input.
  result<void> authorize_signal(const std::string& participant_id) const;
  /// The controller resizes: checks the gate and 1..max_dimension, then records the size (the
  /// driver applies it to the PTY) and resizes the terminal model. Errors: unknown_participant,
  /// not_controller, invalid_argument.
  result<void> resize(const std::string& participant_id, std::uint16_t cols, std::uint16_t rows);

  // ---- control (see control_state) ----

  result<control_request> request_control(const std::string& participant_id, std::string reason,
                                          time_point now) {
    return control_.request_control(participant_id, std::move(reason), now);
  }
  result<control_request> resolve(std::uint64_t request_id, decision d, const actor& resolver,
                                  time_point now) {
    return control_.resolve(request_id, d, resolver, now);
  }
  result<void> revoke(const actor& by, time_point now) { return control_.revoke(by, now); }
  result<control_request> revoke_request(std::uint64_t request_id, const actor& by,
                                         time_point now) {
    return control_.revoke_request(request_id, by, now);
  }
  std::size_t expire_pending(time_point now, clock::duration ttl) {
    return control_.expire_pending(now, ttl);
  }

  // ---- observation ----

  const std::string& id() const { return options_.id; }
  const std::string& name() const { return options_.name; }
  session_state state() const { return state_; }
  std::optional<std::int64_t> pid() const { return pid_; }
  /// Set once terminated.
  std::optional<int> exit_code() const { return exit_code_; }
  int signal() const { return signal_; }
  std::uint16_t cols() const { return cols_; }
  std::uint16_t rows() const { return rows_; }
  const std::vector<std::string>& command() const { return options_.command; }
  const std::string& working_dir() const { return options_.working_dir; }
  time_point created_at() const { return created_at_; }
  std::optional<time_point> terminated_at() const { return terminated_at_; }

  const control_state& control() const { return control_; }
  const event_log& events() const { return events_; }
  const scrollback_ring& scrollback() const { return scrollback_; }
  /// The terminal model of a terminal session (nullptr otherwise): what a person sees now, for
  /// a text export (render_text) or a repaint.
  screen_model* screen() { return screen_.get(); }
  const screen_model* screen() const { return screen_.get(); }
  /// Output bytes queued for a participant (0 when catching up or unknown).
  std::size_t queued_bytes(const std::string& participant_id) const;
  /// Whether a participant is catching up from the scrollback (false when unknown).
  bool catching_up(const std::string& participant_id) const;
  /// Memory held for output: scrollback storage, the terminal model, every queue's charge and
  /// every pending repaint.
  std::size_t memory_bytes() const;

  /// {id, name, state, pid, cols, rows, clients, created_at, terminated_at, exit_code, signal,
  ///  working_dir, command, controller, participants, scrollback_bytes, output_bytes,
  ///  last_event_seq}; null for what is not known yet. Strings are as given (may be invalid
  /// UTF-8: dump with error_handler_t::replace).
  nlohmann::json to_json() const;

 private:
  struct participant_output {
    explicit participant_output(std::size_t limit) : queue(limit) {}
    participant_queue queue;
    std::optional<std::uint64_t> cursor;  ///< next offset for the writer; unset: not started
    bool catching_up = true;
    shared_bytes repaint;          ///< terminal sessions: a repaint being sent, before the queue
    std::size_t repaint_sent = 0;  ///< bytes of it already taken
  };

  participant_output* find_output(const std::string& participant_id);
  const participant_output* find_output(const std::string& participant_id) const;
  result<void> authorize_controller(const std::string& participant_id, const char* what) const;
  void log_state(time_point now);
  void start_from_repaint(const std::string& participant_id, participant_output& o,
                          output_batch& batch, time_point now);
  shared_bytes current_repaint();

  session_options options_;
  time_point created_at_;
  std::optional<time_point> terminated_at_;
  session_state state_ = session_state::starting;
  std::optional<std::int64_t> pid_;
  std::optional<int> exit_code_;
  int signal_ = 0;
  std::uint16_t cols_;
  std::uint16_t rows_;
  scrollback_ring scrollback_;
  std::unique_ptr<screen_model> screen_;  ///< terminal sessions only
  shared_bytes repaint_now_;  ///< the repaint of the screen as it is (shared; dropped on change)
  event_log events_;
  control_state control_;  // after events_: it appends to it
  std::map<std::string, participant_output> outputs_;
  std::uint64_t next_participant_number_ = 1;
};

}  // namespace rstream::live
