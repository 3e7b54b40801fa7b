// confined_root: every filesystem operation of the sidecar, confined under one directory.
//
// The root is held as an O_PATH directory descriptor; paths below it are resolved with
// openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS), so "..", absolute symlinks, symlinks that
// leave the root and /proc magic links are refused by the kernel, with no window between a check
// and the open. Where the kernel lacks openat2 (ENOSYS, Linux < 5.6, or a seccomp filter that
// answers EPERM), paths are walked one component at a time with openat(O_NOFOLLOW) from the root
// descriptor: symlinks are read with readlinkat and followed only when relative, ".." pops a
// stack of descriptors already held (never the kernel's ".."), and a ".." above the root or an
// absolute target is refused. Magic links read as absolute paths or as names that do not exist,
// so the walk never lets the kernel follow one.
//
// Operations that act on a name (create, mkdir, delete, move) resolve the parent directory that
// way and then use the *at system calls on the last name, which never follow it: deleting or
// moving a symlink acts on the link. Writes go to a temporary file in the target's directory,
// are fsynced, then renamed over the target (pending_file), so readers see the old file or the
// new one, never a partial one.
//
// Relative paths are those of normalize_path (webdav_parse.hpp): "" is the root, "a/b" below it;
// every operation re-checks its path with normalize_path and refuses ".." itself.
// Thread-safety: a confined_root is immutable after open(); its methods may run concurrently
// (each one uses its own descriptors). pending_file is a plain value with one owner.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rstream/common/unique_fd.hpp"
#include "rstream/fs/fs_error.hpp"

namespace rstream::fs {

enum class entry_kind { file, directory, other };

/// What stat() tells about a file or directory.
struct entry_info {
  entry_kind kind = entry_kind::other;
  std::uint64_t size = 0;
  std::int64_t modified_seconds = 0;  ///< since the epoch
  std::uint32_t modified_nanoseconds = 0;
  std::optional<std::int64_t> created_seconds;  ///< birth time, when the filesystem records it
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
};

/// One entry of a directory listing.
struct directory_entry {
  std::string name;
  entry_info info;
};

/// stat of an open descriptor (any kind, O_PATH included).
result<entry_info> stat_descriptor(int fd);

/// How paths are resolved below the root.
enum class resolve_mode {
  automatic,       ///< openat2 when the kernel has it, else component_walk
  kernel_openat2,  ///< openat2 only (open() fails when the kernel lacks it)
  component_walk,  ///< the openat(O_NOFOLLOW) walk, even where openat2 exists (tests)
};

/// A temporary file next to its target, written by the caller and then renamed over the target
/// by commit(). Destroyed without commit(), the temporary file is removed and the target is left
/// as it was.
class pending_file {
 public:
  pending_file(pending_file&& other) noexcept = default;
  pending_file& operator=(pending_file&& other) noexcept;
  pending_file(const pending_file&) = delete;
  pending_file& operator=(const pending_file&) = delete;
  ~pending_file();

  /// Appends bytes to the temporary file.
  result<void> write(std::span<const std::uint8_t> bytes);
  /// fsync, rename over the target, fsync the directory. True when it replaced an existing
  /// entry, false when it created one. On failure the temporary file is removed.
  result<bool> commit();
  /// Removes the temporary file now (the destructor does the same).
  void discard();

  /// The temporary file's name in the target's directory (for tests and logs).
  const std::string& temporary_name() const { return temporary_name_; }

 private:
  friend class confined_root;
  pending_file(unique_fd directory, unique_fd file, std::string temporary_name,
               std::string target_name);

  unique_fd directory_;
  unique_fd file_;
  std::string temporary_name_;
  std::string target_name_;
};

class confined_root {
 public:
  /// Opens `root` (which must be a directory; symlinks in its own path are followed).
  static result<confined_root> open(const std::filesystem::path& root,
                                    resolve_mode mode = resolve_mode::automatic);

  /// True when paths are resolved with openat2, false for the component walk.
  bool uses_openat2() const { return use_openat2_; }

  /// Follows symlinks (confined). Regular files and directories; other types are kind::other.
  result<entry_info> stat(std::string_view relative) const;
  /// A regular file opened for reading; is_directory for a directory, forbidden for other
  /// types (FIFOs, devices, sockets are never opened for reading).
  result<unique_fd> open_file(std::string_view relative) const;
  /// The entries of a directory, sorted by name. Symlinks are listed as what they point to
  /// when that stays below the root; dangling or escaping symlinks and special files are left
  /// out.
  result<std::vector<directory_entry>> list(std::string_view relative) const;
  /// Starts an atomic write of a file: parent_missing / not_directory when the parent is not a
  /// directory, is_directory when the target is one, forbidden for the root.
  result<pending_file> create_pending(std::string_view relative) const;
  /// mkdir: exists when something is already there, parent_missing when the parent is not.
  result<void> make_directory(std::string_view relative) const;
  /// Deletes a file, a symlink (not its target) or a directory with everything in it; the root
  /// itself is forbidden.
  result<void> remove(std::string_view relative) const;
  /// Renames `from` to `to`. Without `overwrite` an existing target is errc::exists; with it, the
  /// target is replaced (a directory target is deleted first). True when something was
  /// replaced. Moving the root, onto the root, onto itself or into itself is forbidden.
  result<bool> move(std::string_view from, std::string_view to, bool overwrite) const;

 private:
  confined_root(unique_fd root, bool use_openat2)
      : root_(std::move(root)), use_openat2_(use_openat2) {}

  /// Opens `relative` with `flags` (O_CLOEXEC is added); follows a final symlink only when
  /// `follow_final`.
  result<unique_fd> resolve(std::string_view relative, int flags, bool follow_final) const;
  result<unique_fd> resolve_openat2(std::string_view relative, int flags, bool follow_final) const;
  result<unique_fd> resolve_walk(std::string_view relative, int flags, bool follow_final) const;
  /// The directory holding `relative`'s last name (opened O_RDONLY|O_DIRECTORY), and that name.
  result<unique_fd> open_parent(std::string_view relative, std::string& leaf) const;

  unique_fd root_;
  bool use_openat2_ = true;
};

}  // namespace rstream::fs
