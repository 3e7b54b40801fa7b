// Private state on disk: directories that only their owner can enter, and files written
// atomically with mode 0600 (docs/security.md, "Files").
//
//   - make_private_dir creates every missing directory with mode 0700 and never changes the
//     mode of one that exists: an existing directory that others may write to (group or world
//     writable), or that another user owns, is refused with a message instead.
//   - write_private_file creates an exclusive temp file with mode 0600 beside the target,
//     writes, fsyncs, renames it over the target and fsyncs the directory: the file is never
//     seen half-written nor, for an instant, with looser permissions. create_private_file links
//     the temp file instead, so that a file that exists is never replaced.
//
// Thread-safety: functions over the file system; callers serialise writes to one file (for
// example with lock_exclusive on a lock file beside it).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "rstream/common/unique_fd.hpp"

namespace rstream::base {

/// Creates `dir` and its missing parents, each with mode 0700; existing ones are left as they
/// are. False with a message for users when one cannot be made.
bool make_missing_dirs(const std::filesystem::path& dir, std::string& error);

/// make_missing_dirs, then checks `dir` itself. False with a message for users when
/// it cannot, or when `dir` exists but is group/world-writable or owned by another user.
bool make_private_dir(const std::filesystem::path& dir, std::string& error);

/// Writes `content` to `file` atomically with mode 0600 (see above), replacing it.
bool write_private_file(const std::filesystem::path& file, std::string_view content,
                        std::string& error);

enum class private_write { written, exists, failed };

/// The same, but only when `file` does not exist yet (the temp file is linked, not renamed, so
/// an existing file is never replaced): `exists` then, and nothing is written.
private_write create_private_file(const std::filesystem::path& file, std::string_view content,
                                  std::string& error);

/// An exclusive flock on `lock_path` (created with mode 0600 when missing, never through a
/// symlink), waited for; closing the returned descriptor releases it. Writers of one file in
/// any process serialise on its lock file this way. An invalid descriptor and a message naming
/// the lock file when it cannot be opened or locked.
unique_fd lock_exclusive(const std::filesystem::path& lock_path, std::string& error);

}  // namespace rstream::base
