// Recordings in the SQLite store (see sqlite_recordings.hpp): one row per recording in
// `recordings`, one per event in `recording_events` (payloads as BLOBs, compressed when that
// pays with their encoding beside them (store/payload_compression.hpp), kinds and streams as
// their words, hashes as hex).
#include "sqlite_recordings.hpp"

#include <nlohmann/json.hpp>

#include "rstream/api/json_text.hpp"
#include "rstream/store/payload_compression.hpp"

namespace rstream::store::sqlite {
namespace {

constexpr const char* summary_columns =
    "session_id, server_id, server_name, argv, width, height, who, origin, group_name, e2e, "
    "policy, started_at, started_timestamp, ended_at, exit_code, exit_signal, end_reason, "
    "payload_bytes, event_count, last_hash";

error make_error(error::errc code, std::string message) { return error{code, std::move(message)}; }

error no_recording(const std::string& session_id, const char* state = "") {
  return make_error(error::errc::not_found,
                    std::string("no ") + state + "recording of session " + session_id);
}

void bind_optional(statement& s, int index, const std::optional<int>& value) {
  if (value) {
    s.bind(index, static_cast<std::int64_t>(*value));
  } else {
    s.bind_null(index);
  }
}

std::optional<int> optional_int(const statement& s, int column) {
  if (s.is_null(column)) return std::nullopt;
  return static_cast<int>(s.integer(column));
}

result<api::recording_summary> summary_from_row(const statement& q) {
  api::recording_summary r;
  r.session_id = q.text(0);
  r.open.server_id = q.text(1);
  r.open.server_name = q.text(2);
  const auto argv = nlohmann::json::parse(q.text(3), nullptr, false);
  if (!argv.is_array()) {
    return make_error(error::errc::corrupt, "recording " + r.session_id + " has a damaged argv");
  }
  for (const auto& word : argv) {
    if (word.is_string()) r.open.argv.push_back(word.get<std::string>());
  }
  r.open.cols = static_cast<std::uint16_t>(q.integer(4));
  r.open.rows = static_cast<std::uint16_t>(q.integer(5));
  r.open.who = q.text(6);
  r.open.origin = q.text(7);
  r.open.group = q.text(8);
  r.open.e2e = q.integer(9) != 0;
  const auto policy = api::parse_recording_policy(q.text(10));
  if (!policy) {
    return make_error(error::errc::corrupt, "recording " + r.session_id + " has a policy ('" +
                                                q.text(10) + "') this build does not know");
  }
  r.policy = *policy;
  r.open.started_at = q.text(11);
  r.open.timestamp = q.integer(12);
  r.ended_at = q.text(13);
  r.exit_code = optional_int(q, 14);
  r.signal = optional_int(q, 15);
  r.end_reason = q.text(16);
  r.bytes = static_cast<std::uint64_t>(q.integer(17));
  r.events = static_cast<std::uint64_t>(q.integer(18));
  r.last_hash = q.text(19);
  return r;
}

/// The payload a row holds. Bytes that cannot be decoded (damaged, or an encoding this build
/// does not know) are returned as stored: the chain then names their event as broken
/// (`sessions verify`), as it does for a damaged uncompressed payload.
std::string stored_payload(std::string stored, const std::string& encoding_word) {
  const auto encoding = parse_payload_encoding(encoding_word);
  if (!encoding || *encoding == payload_encoding::identity) return stored;
  auto decoded = decompress_payload(*encoding, stored);
  return decoded ? std::move(*decoded) : stored;
}

/// The state `append` checks before adding events to a recording.
struct append_target {
  api::recording_policy policy = api::recording_policy::recorded;
  std::uint64_t events = 0;
};

result<append_target> running_recording(connection& db, const std::string& session_id) {
  statement query(db,
                  "SELECT policy, event_count FROM recordings WHERE session_id = ? AND "
                  "ended_at IS NULL");
  query.bind(1, session_id);
  auto row = query.step("reading recording " + session_id);
  if (!row) return row.error();
  if (!*row) return no_recording(session_id, "running ");
  append_target target;
  target.policy =
      api::parse_recording_policy(query.text(0)).value_or(api::recording_policy::private_metadata);
  target.events = static_cast<std::uint64_t>(query.integer(1));
  return target;
}

/// Why `events` cannot follow `target` (out of order, or data of a private recording).
std::optional<error> refused_append(const recording_append& append, const append_target& target) {
  std::uint64_t expected = target.events + 1;
  for (const auto& event : append.events) {
    if (event.seq != expected++) {
      return make_error(error::errc::failed, "event " + std::to_string(event.seq) +
                                                 " does not follow the recording of session " +
                                                 append.session_id);
    }
    if (target.policy == api::recording_policy::private_metadata && api::carries_data(event.kind)) {
      return make_error(error::errc::failed,
                        "session " + append.session_id +
                            " is private: its recording keeps no output or input data");
    }
  }
  return std::nullopt;
}

/// Ends the running recordings that `condition` (with `session_id` bound, when not empty)
/// selects; how many.
result<std::size_t> end_where(connection& db, const char* condition, const std::string& session_id,
                              const recording_end& end) {
  const std::string sql = std::string(
                              "UPDATE recordings SET ended_at = ?, exit_code = ?, exit_signal = ?, "
                              "end_reason = ? WHERE ended_at IS NULL AND ") +
                          condition;
  statement update(db, sql.c_str());
  update.bind(1, end.ended_at);
  bind_optional(update, 2, end.close.exit_code);
  bind_optional(update, 3, end.close.signal);
  update.bind(4, end.close.reason);
  if (!session_id.empty()) update.bind(5, session_id);
  if (auto done = update.run("ending recordings"); !done) return done.error();
  return static_cast<std::size_t>(db.changes());
}

}  // namespace

result<void> begin_recording(connection& db, const api::recording_summary& r) {
  statement insert(db,
                   "INSERT INTO recordings (session_id, server_id, server_name, argv, width, "
                   "height, who, origin, group_name, e2e, policy, started_at, started_timestamp, "
                   "ended_at, exit_code, exit_signal, end_reason, payload_bytes, event_count, "
                   "last_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, "
                   "'', 0, 0, ?)");
  insert.bind(1, r.session_id)
      .bind(2, r.open.server_id)
      .bind(3, r.open.server_name)
      .bind(4, api::json_text(nlohmann::json(r.open.argv)))
      .bind(5, static_cast<std::int64_t>(r.open.cols))
      .bind(6, static_cast<std::int64_t>(r.open.rows))
      .bind(7, r.open.who)
      .bind(8, r.open.origin)
      .bind(9, r.open.group)
      .bind(10, static_cast<std::int64_t>(r.open.e2e ? 1 : 0))
      .bind(11, api::name_of(r.policy))
      .bind(12, r.open.started_at)
      .bind(13, r.open.timestamp)
      .bind(14, r.last_hash);
  auto done = insert.run("adding the recording of session " + r.session_id);
  if (!done && (sqlite3_extended_errcode(db.get()) == SQLITE_CONSTRAINT_PRIMARYKEY ||
                sqlite3_extended_errcode(db.get()) == SQLITE_CONSTRAINT_UNIQUE)) {
    return make_error(error::errc::name_taken,
                      "session " + r.session_id + " has a recording already");
  }
  return done;
}

result<void> append_recording_events(connection& db, const std::vector<recording_append>& batch) {
  transaction tx(db);
  if (auto begun = tx.begin(); !begun) return begun;
  statement insert(db,
                   "INSERT INTO recording_events (session_id, seq, time_us, kind, stream, "
                   "payload, hash, encoding) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  statement advance(db,
                    "UPDATE recordings SET payload_bytes = payload_bytes + ?, event_count = ?, "
                    "last_hash = ? WHERE session_id = ?");
  for (const auto& append : batch) {
    if (append.events.empty()) continue;
    auto target = running_recording(db, append.session_id);
    if (!target) return target.error();
    if (auto refusal = refused_append(append, *target)) return *refusal;
    const std::string doing = "adding events to the recording of session " + append.session_id;
    std::uint64_t bytes = 0;
    for (const auto& event : append.events) {
      const auto compressed = compress_payload(event.payload);
      insert.reset();
      insert.bind(1, append.session_id)
          .bind(2, static_cast<std::int64_t>(event.seq))
          .bind(3, event.time_us)
          .bind(4, api::name_of(event.kind))
          .bind(5, api::name_of(event.stream))
          .bind_blob(6, compressed ? *compressed : event.payload)
          .bind(7, event.hash)
          .bind(8, name_of(compressed ? payload_encoding::zstd : payload_encoding::identity));
      if (auto done = insert.run(doing); !done) return done;
      bytes += event.payload.size();
    }
    advance.reset();
    advance.bind(1, static_cast<std::int64_t>(bytes))
        .bind(2, static_cast<std::int64_t>(append.events.back().seq))
        .bind(3, append.events.back().hash)
        .bind(4, append.session_id);
    if (auto done = advance.run(doing); !done) return done;
  }
  return tx.commit();
}

result<void> end_recording(connection& db, const std::string& session_id,
                           const recording_end& end) {
  auto ended = end_where(db, "session_id = ?", session_id, end);
  if (!ended) return ended.error();
  if (*ended == 0) return no_recording(session_id, "running ");
  return {};
}

result<std::size_t> end_unfinished_recordings(connection& db, const recording_end& end) {
  return end_where(db, "1 = 1", {}, end);
}

result<std::vector<api::recording_event>> read_recording_events(connection& db,
                                                                const std::string& session_id,
                                                                std::uint64_t from_seq,
                                                                std::size_t limit,
                                                                std::size_t max_bytes) {
  statement query(db,
                  "SELECT seq, time_us, kind, stream, payload, hash, encoding FROM "
                  "recording_events "
                  "WHERE session_id = ? AND seq >= ? ORDER BY seq LIMIT ?");
  query.bind(1, session_id)
      .bind(2, static_cast<std::int64_t>(from_seq))
      .bind(3, static_cast<std::int64_t>(limit));
  std::vector<api::recording_event> events;
  std::size_t bytes = 0;
  while (bytes < max_bytes || events.empty()) {
    auto row = query.step("reading the recording of session " + session_id);
    if (!row) return row.error();
    if (!*row) break;
    api::recording_event event;
    event.seq = static_cast<std::uint64_t>(query.integer(0));
    event.time_us = query.integer(1);
    event.kind = api::parse_recording_kind(query.text(2));
    event.stream = api::parse_recording_stream(query.text(3));
    event.payload = stored_payload(query.blob(4), query.text(6));
    event.hash = query.text(5);
    bytes += event.payload.size();
    events.push_back(std::move(event));
  }
  return events;
}

result<api::recording_summary> find_recording(connection& db, const std::string& session_id) {
  const std::string sql =
      std::string("SELECT ") + summary_columns + " FROM recordings WHERE session_id = ?";
  statement query(db, sql.c_str());
  query.bind(1, session_id);
  auto row = query.step("reading the recording of session " + session_id);
  if (!row) return row.error();
  if (!*row) return no_recording(session_id);
  return summary_from_row(query);
}

result<std::vector<api::recording_summary>> list_recordings(connection& db) {
  const std::string sql =
      std::string("SELECT ") + summary_columns + " FROM recordings ORDER BY started_at, session_id";
  statement query(db, sql.c_str());
  std::vector<api::recording_summary> recordings;
  for (;;) {
    auto row = query.step("listing recordings");
    if (!row) return row.error();
    if (!*row) return recordings;
    auto summary = summary_from_row(query);
    if (!summary) return summary.error();
    recordings.push_back(std::move(*summary));
  }
}

result<void> delete_recording(connection& db, const std::string& session_id) {
  transaction tx(db);
  if (auto begun = tx.begin(); !begun) return begun;
  const std::string doing = "deleting the recording of session " + session_id;
  for (const char* sql : {"DELETE FROM recording_events WHERE session_id = ?",
                          "DELETE FROM recordings WHERE session_id = ?"}) {
    statement remove(db, sql);
    remove.bind(1, session_id);
    if (auto done = remove.run(doing); !done) return done;
  }
  if (db.changes() == 0) return no_recording(session_id);
  return tx.commit();
}

}  // namespace rstream::store::sqlite
