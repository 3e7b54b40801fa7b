// The recordings part of the SQLite engine_store (see engine_store.hpp): the reads and writes of
// the recordings and recording_events tables (schema version 2, sqlite_store.cpp), each a
// function over one connection.
//
// Thread-safety: none; one connection, one thread.
#pragma once

#include <string>
#include <vector>

#include "rstream/store/engine_store.hpp"
#include "sqlite_statement.hpp"

namespace rstream::store::sqlite {

result<void> begin_recording(connection& db, const api::recording_summary& recording);
result<void> append_recording_events(connection& db, const std::vector<recording_append>& batch);
result<void> end_recording(connection& db, const std::string& session_id, const recording_end& end);
result<std::size_t> end_unfinished_recordings(connection& db, const recording_end& end);
result<std::vector<api::recording_event>> read_recording_events(connection& db,
                                                                const std::string& session_id,
                                                                std::uint64_t from_seq,
                                                                std::size_t limit,
                                                                std::size_t max_bytes);
result<api::recording_summary> find_recording(connection& db, const std::string& session_id);
result<std::vector<api::recording_summary>> list_recordings(connection& db);
result<void> delete_recording(connection& db, const std::string& session_id);

}  // namespace rstream::store::sqlite
