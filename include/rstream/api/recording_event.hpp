// A managed session's recording (docs/api.md, "Recordings"), typed once for the engine that
// writes it and the clients that read and check it: the events, their canonical bytes, the
// SHA-256 chain that links each event to the one before, the verifier that names the first
// broken event, and the JSON forms of the events API. Pure: no I/O.
//
// An event is (seq, time_us, kind, stream, payload). seq counts 1, 2, ... within a session;
// time_us is the monotonic time since the session opened, in microseconds. Output and input
// events carry the data bytes as they passed (for an end-to-end encrypted session: the sealed
// frames, ciphertext); every other kind carries its fields as canonical JSON text (api::
// json_text of an object: sorted keys, no spaces, valid UTF-8), built by the *_payload functions
// below and read back by the read_* ones.
//
// The chain: hash(0) = SHA-256("rstream-recording-v1" 0x00 session_id), and
// hash(n) = SHA-256(hash(n-1) || canonical_head(event n) || payload(n)), where the head is
// seq (8 bytes, big-endian), time_us (8, big-endian two's complement), kind (1 byte), stream
// (1 byte) and the payload's length (8, big-endian). Seeding with the session id means an event
// cannot be moved to another session's log without breaking it.
//
// Thread-safety: plain values, stateless functions; a chain or verifier object belongs to one
// thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rstream/api/server_record.hpp"
#include "rstream/base/sha256.hpp"

namespace rstream::api {

/// What an event records. The numbers are part of the canonical bytes: never renumber.
enum class recording_kind : std::uint8_t {
  unknown = 0,  ///< read from a store or a peer with a word this build does not know
  open = 1,     ///< the session opened: recording_open
  output = 2,   ///< bytes from the server: stream stdout or stderr
  input = 3,    ///< bytes to the server: stream stdin
  resize = 4,   ///< {"cols","rows"}
  participant_joined = 5,
  participant_left = 6,
  control = 7,  ///< a control event of the live session ({"type": ..., ...})
  close = 8,    ///< recording_close
};

/// The direction and stream of data. The numbers are part of the canonical bytes.
enum class recording_stream : std::uint8_t {
  none = 0,  ///< every kind but output and input
  standard_input = 1,
  standard_output = 2,
  standard_error = 3,
  unknown = 255,  ///< a word this build does not know
};

/// "open", "output", ...; "unknown" for unknown.
const char* name_of(recording_kind kind);
/// The kind a word names; unknown for any other word.
recording_kind parse_recording_kind(std::string_view word);
/// "none", "stdin", "stdout", "stderr"; "unknown" for unknown.
const char* name_of(recording_stream stream);
/// The stream a word names; unknown for any other word.
recording_stream parse_recording_stream(std::string_view word);
/// True for output and input (their payload is data, not fields).
bool carries_data(recording_kind kind);

struct recording_event {
  std::uint64_t seq = 0;
  std::int64_t time_us = 0;
  recording_kind kind = recording_kind::unknown;
  recording_stream stream = recording_stream::none;
  std::string payload;
  std::string hash;  ///< 64 lower-case hex digits

  bool operator==(const recording_event&) const = default;
};

/// The fields of the open event: what the engine knew when the session started.
struct recording_open {
  std::string server_id;
  std::string server_name;
  std::vector<std::string> argv;  ///< empty: the server's default (a login shell)
  std::uint16_t cols = 80;
  std::uint16_t rows = 24;
  std::string who;     ///< the name of the token that opened it
  std::string origin;  ///< human, ci, agent, api, automation, scheduled-job
  std::string group;   ///< empty: none
  bool e2e = false;    ///< end to end encrypted: data events hold ciphertext
  /// Ran on a terminal (a PTY, which turns each newline of the output into CR LF); without one
  /// (exec's pipes) a bare LF means a new line. Recordings made before the field: true.
  bool tty = true;
  std::string started_at;      ///< ISO 8601 UTC, milliseconds
  std::int64_t timestamp = 0;  ///< the same as Unix seconds (asciicast's header wants it)

  bool operator==(const recording_open&) const = default;
};

/// The fields of the close event.
struct recording_close {
  std::optional<int> exit_code;
  std::optional<int> signal;
  /// Why the recording ended: "exited" (the command), "engine_stopped", "recording_failed",
  /// "interrupted" (found open when the engine started), or what the engine said.
  std::string reason = "exited";

  bool operator==(const recording_close&) const = default;
};

std::string open_payload(const recording_open& open);
std::optional<recording_open> read_open(std::string_view payload);
std::string resize_payload(std::uint16_t cols, std::uint16_t rows);
/// {cols, rows} of a resize payload; nullopt when it is not one (or a size is 0 or > 65535).
std::optional<std::pair<std::uint16_t, std::uint16_t>> read_resize(std::string_view payload);
std::string close_payload(const recording_close& close);
std::optional<recording_close> read_close(std::string_view payload);
/// Fields (participants, control events) as canonical JSON text; `fields` must be an object.
std::string fields_payload(const nlohmann::json& fields);

// ---- the chain ----

/// hash(0) of `session_id`'s chain.
base::sha256::digest chain_seed(std::string_view session_id);
/// hash(n) from hash(n-1) and event n (its seq, time, kind, stream and payload).
base::sha256::digest chain_next(const base::sha256::digest& previous, const recording_event& event);

/// The producer's side: numbers and hashes the events of one session in order.
class recording_chain {
 public:
  explicit recording_chain(std::string_view session_id) : last_(chain_seed(session_id)) {}
  /// Sets `event`'s seq (the next one) and hash.
  void seal(recording_event& event);
  std::uint64_t last_seq() const { return last_seq_; }
  /// The hash of the last sealed event (of the seed before any).
  std::string last_hash() const { return base::hex_of(last_); }

 private:
  base::sha256::digest last_;
  std::uint64_t last_seq_ = 0;
};

/// The first event that breaks a recording, and how.
struct chain_break {
  std::uint64_t seq = 0;  ///< the event's place (the seq expected there when its own is wrong)
  std::string reason;     ///< e.g. "its hash does not match its contents or the events before it"

  /// "event N: REASON".
  std::string describe() const;
};

/// The reader's side: recomputes the chain over the events as they come (memory stays flat),
/// and stops at the first event that breaks it: a seq out of order, an unknown kind, a stream
/// that does not fit the kind, a first event that is not open, an event after close, or a hash
/// that does not match.
class chain_verifier {
 public:
  explicit chain_verifier(std::string_view session_id) : last_(chain_seed(session_id)) {}
  /// False once the chain is broken (this event or an earlier one); broken() says where.
  bool add(const recording_event& event);
  /// Checks the end against what the recording's summary says (its event count and last
  /// hash, when it has ended): missing events at the end break the chain too.
  bool finish(std::uint64_t expected_count, std::string_view expected_last_hash);
  const std::optional<chain_break>& broken() const { return broken_; }
  std::uint64_t events() const { return seq_; }

 private:
  bool fail(std::uint64_t seq, std::string reason);

  base::sha256::digest last_;
  std::uint64_t seq_ = 0;
  bool closed_ = false;
  std::optional<chain_break> broken_;
};

/// Verifies a whole recording held in memory (tests, small recordings).
std::optional<chain_break> verify(std::string_view session_id,
                                  const std::vector<recording_event>& events);

// ---- JSON ----

/// {"seq","time_us","kind","stream"?,"text"|"base64"|"fields","hash"}: data as "text" when it
/// is valid UTF-8 (JSON strings keep every such byte) that is not mostly control bytes (their
/// escapes would outgrow base64), else "base64"; the fields of other kinds
/// as the object "fields" (their canonical text is json_text of it), or "base64" when a stored
/// payload is not such an object. "stream" unless it is none (only output and input have one).
nlohmann::json to_json(const recording_event& event);
/// One line a person reads: "SEQ  +SECONDS  KIND  [STREAM  ]DETAIL", the detail being the
/// byte count and the first bytes (control bytes escaped) of data, the fields of other kinds.
std::string event_line(const recording_event& event);
/// Reads to_json's form strictly: the exact payload bytes back, unknown words kept as unknown
/// (the verifier reports them), anything else malformed refused.
body_result<recording_event> read_recording_event(const nlohmann::json& json);

/// What the store keeps about one recording besides its events (its JSON flattens `open`).
struct recording_summary {
  std::string session_id;
  recording_policy policy = recording_policy::recorded;
  recording_open open;   ///< the open event's fields
  std::string ended_at;  ///< ISO 8601 UTC; empty while the session runs
  std::optional<int> exit_code;
  std::optional<int> signal;
  std::string end_reason;    ///< recording_close's reason; empty while running
  std::uint64_t bytes = 0;   ///< payload bytes of the stored events
  std::uint64_t events = 0;  ///< stored events (the last one's seq)
  std::string last_hash;     ///< the last stored event's hash (the seed's before any)

  bool operator==(const recording_summary&) const = default;
};

nlohmann::json to_json(const recording_summary& summary);
body_result<recording_summary> read_recording_summary(const nlohmann::json& json);

/// GET /api/webtty/sessions/{id}/events: the recording's summary and up to `limit` events from
/// `from_seq`; `next_seq` is where the next page starts, `more` whether events were left.
struct recording_page {
  recording_summary recording;
  std::vector<recording_event> events;
  std::uint64_t next_seq = 1;
  bool more = false;
};

nlohmann::json to_json(const recording_page& page);
body_result<recording_page> read_recording_page(const nlohmann::json& json);

}  // namespace rstream::api
