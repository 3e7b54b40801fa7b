// The embedded engine_store: one SQLite database file (DATA_DIR/engine.db) in WAL mode, with
// the schema versioned by numbered migrations (table schema_migrations), foreign keys on, a
// busy timeout, and one writer: the engine holds an exclusive lock on DATA_DIR/engine.db.lock
// while it has the store open, so a second engine on the same directory is refused.
//
// Durability: every change is one transaction committed in WAL mode with synchronous=NORMAL,
// which survives the process being killed at any instant (kill -9); a power loss may lose the
// last commits but never corrupts the file. Opening checks the file (quick_check): a file that
// is not a database, fails the check, or has a schema newer than this build is an error that
// says so, never a silent reset.
//
// Thread-safety: none; one owner.
#pragma once

#include <filesystem>
#include <memory>

#include "rstream/store/engine_store.hpp"

namespace rstream::store {

/// The schema version this build writes (the number of migrations it knows).
int sqlite_schema_version();

/// Opens `file` (created with mode 0600 when missing; its directory must exist and be private)
/// and brings its schema up to date.
result<std::unique_ptr<engine_store>> open_sqlite_store(const std::filesystem::path& file);

}  // namespace rstream::store
