// engine_store: the engine's durable state (API tokens, registered servers, recordings of
// managed sessions) behind one
// interface, so that the embedded SQLite store (sqlite_store.hpp) and a PostgreSQL store for a
// cluster of engines can both serve it. The interface speaks in records, never in SQL; every
// call is one transaction, so a crash leaves either all of a change or none of it.
//
// The engine keeps tokens and servers in memory and writes through: reads at startup (load_*),
// one write per change. Recordings are written by the engine's session_recorder on a
// connection of its own (open_companion) and read by the API in pages.
//
// Thread-safety: none; one owner per connection (the engine's io_context thread for the store
// it opened, the recorder's writer thread for its companion).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rstream/api/recording_event.hpp"
#include "rstream/api/server_record.hpp"
#include "rstream/base/result.hpp"

namespace rstream::store {

struct error {
  enum class errc {
    ok,
    unreadable,  ///< the file cannot be opened or read (permissions, I/O)
    corrupt,     ///< not a database, or one that fails its integrity check
    too_new,     ///< written by a newer rstream whose schema this build does not know
    locked,      ///< another engine has it open
    name_taken,  ///< a unique name is held by another record
    not_found,   ///< no record with that id
    failed,      ///< any other failure of the database (the message says which)
  };
  errc code = errc::ok;
  std::string message;
};

const char* code_name(error::errc code);

template <typename T>
using result = base::result<T, error>;

/// One API token as stored: only a SHA-256 of its secret (docs/security.md).
struct token_row {
  std::string id;
  std::string name;
  std::string role;  ///< "read-only" | "read-write" | "admin"
  std::string sha256_hex;
  std::string created_at;

  bool operator==(const token_row&) const = default;
};

/// Events to add to one recording: sealed (seq and hash set), in order after its last event.
struct recording_append {
  std::string session_id;
  std::vector<api::recording_event> events;
};

/// How a recording ended: when, and the close event's fields.
struct recording_end {
  std::string ended_at;  ///< ISO 8601 UTC
  api::recording_close close;
};

class engine_store {
 public:
  virtual ~engine_store() = default;

  /// What and where, for logs and messages: e.g. "/var/lib/rstream/engine.db".
  virtual std::string location() const = 0;

  virtual result<std::vector<token_row>> load_tokens() = 0;
  /// Adds tokens, all or none (the one-time import of tokens.json adds several).
  virtual result<void> insert_tokens(const std::vector<token_row>& tokens) = 0;
  /// Deletes a token, and with it its place in every server's allowed tokens.
  virtual result<void> delete_token(const std::string& id) = 0;

  /// Every registered server, sorted by name.
  virtual result<std::vector<api::server_record>> load_servers() = 0;
  /// Adds a record; name_taken when another record has its name.
  virtual result<void> insert_server(const api::server_record& record) = 0;
  /// Replaces the record with the same id (labels and allowed tokens included); not_found
  /// when there is none, name_taken when the new name is another record's.
  virtual result<void> update_server(const api::server_record& record) = 0;
  /// Deletes a record; not_found when there is none.
  virtual result<void> delete_server(const std::string& id) = 0;
  /// Sets when the server was last online (written when its tunnel comes and goes).
  virtual result<void> set_last_seen(const std::string& id, const std::string& when) = 0;

  // ---- recordings (api/recording_event.hpp) ----

  /// Adds a running recording (its summary with no events yet); name_taken when the session id
  /// has one already.
  virtual result<void> begin_recording(const api::recording_summary& recording) = 0;
  /// Adds the events of several recordings in one transaction, and moves each recording's
  /// bytes, event count and last hash along. not_found for an unknown or ended recording;
  /// failed for a data event (output, input) of a private recording: its policy keeps
  /// metadata and the non-data events only.
  virtual result<void> append_recording_events(const std::vector<recording_append>& batch) = 0;
  /// Marks a running recording ended; not_found when there is no running one with that id.
  virtual result<void> end_recording(const std::string& session_id, const recording_end& end) = 0;
  /// Marks every recording still running ended (a previous engine stopped without ending
  /// them); how many there were.
  virtual result<std::size_t> end_unfinished_recordings(const recording_end& end) = 0;
  /// The events of a recording from seq `from_seq` on, in order: at most `limit` events, and
  /// no more once their payloads reach `max_bytes` (at least one event when there is one).
  virtual result<std::vector<api::recording_event>> read_recording_events(
      const std::string& session_id, std::uint64_t from_seq, std::size_t limit,
      std::size_t max_bytes) = 0;
  /// One recording's summary; not_found when there is none.
  virtual result<api::recording_summary> find_recording(const std::string& session_id) = 0;
  /// Every recording's summary, oldest start first.
  virtual result<std::vector<api::recording_summary>> list_recordings() = 0;
  /// Deletes a recording and its events; not_found when there is none.
  virtual result<void> delete_recording(const std::string& session_id) = 0;

  /// How many more bytes the store can take (for SQLite: what the filesystem holding the file
  /// has available); nullopt when it cannot tell.
  virtual std::optional<std::uint64_t> room() = 0;

  /// Another connection to the same store, for another thread (the recorder's writer): same
  /// file, same settings, and the lock stays held while either is open.
  virtual result<std::unique_ptr<engine_store>> open_companion() = 0;
};

}  // namespace rstream::store
