// confined_root: openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) resolution with a
// component-walk fallback, and the *at operations of the sidecar on top of it.
#include "rstream/fs/confined_root.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <random>

#include "rstream/fs/webdav_parse.hpp"

namespace rstream::fs {
namespace {

constexpr int max_symlinks = 40;        // as the kernel's MAXSYMLINKS
constexpr int max_remove_depth = 1024;  // nesting that remove() descends into
constexpr int openat2_retries = 16;     // EAGAIN: a concurrent rename raced the lookup

error from_errno(int code, std::string_view what) {
  std::string message = std::string(what) + ": " + std::strerror(code);
  switch (code) {
    case ENOENT:
      return fail(errc::not_found, std::move(message));
    case ENOTDIR:
      return fail(errc::not_directory, std::move(message));
    case EXDEV:
      return fail(errc::escapes_root, std::string(what) + ": leaves the served root");
    case ELOOP:
      return fail(errc::symlink_loop,
                  std::string(what) + ": symbolic link loop, magic link or refused link");
    case EACCES:
    case EPERM:
    case EROFS:
    case EBUSY:
      return fail(errc::forbidden, std::move(message));
    case ENAMETOOLONG:
      return fail(errc::invalid_path, std::move(message));
    case EEXIST:
    case ENOTEMPTY:
      return fail(errc::exists, std::move(message));
    case EISDIR:
      return fail(errc::is_directory, std::move(message));
    case ENOSPC:
    case EDQUOT:
      return fail(errc::no_space, std::move(message));
    default:
      return fail(errc::io_error, std::move(message));
  }
}

long raw_openat2(int dirfd, const char* path, std::uint64_t flags, std::uint64_t resolve) {
  open_how how{};
  how.flags = flags;
  how.resolve = resolve;
  if (flags & O_CREAT) how.mode = 0600;
  return ::syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

entry_kind kind_of(mode_t mode) {
  if (S_ISREG(mode)) return entry_kind::file;
  if (S_ISDIR(mode)) return entry_kind::directory;
  return entry_kind::other;
}

result<entry_info> stat_fd_impl(int fd) {
  struct statx sx {};
  if (::statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_BTIME, &sx) != 0) {
    return from_errno(errno, "statx");
  }
  entry_info info;
  info.kind = kind_of(sx.stx_mode);
  info.size = info.kind == entry_kind::file ? sx.stx_size : 0;
  info.modified_seconds = sx.stx_mtime.tv_sec;
  info.modified_nanoseconds = sx.stx_mtime.tv_nsec;
  if (sx.stx_mask & STATX_BTIME) info.created_seconds = sx.stx_btime.tv_sec;
  info.device = (static_cast<std::uint64_t>(sx.stx_dev_major) << 32) | sx.stx_dev_minor;
  info.inode = sx.stx_ino;
  return info;
}

/// Splits "a/b/c" into its names (empty names skipped).
std::deque<std::string> split_names(std::string_view path) {
  std::deque<std::string> names;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) names.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return names;
}

/// normalize_path once more: confined_root never trusts that its caller did.
result<std::string> checked(std::string_view relative) { return normalize_path(relative); }

std::string temporary_name_for_upload() {
  static constexpr char hex[] = "0123456789abcdef";
  std::random_device random;
  std::string name = ".rstream-upload-";
  for (int i = 0; i < 4; ++i) {
    auto word = random();
    for (int k = 0; k < 4; ++k) {
      name += hex[word & 0xF];
      word >>= 4;
    }
  }
  return name;
}

/// Deletes `name` in `directory` (not following it); directories with their contents.
result<void> remove_entry(int directory, const std::string& name, int depth) {
  struct stat st {};
  if (::fstatat(directory, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return from_errno(errno, "stat " + name);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlinkat(directory, name.c_str(), 0) != 0) return from_errno(errno, "unlink " + name);
    return {};
  }
  if (depth > max_remove_depth) return fail(errc::forbidden, "directories nested too deeply");
  const int fd = ::openat(directory, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return from_errno(errno, "open " + name);
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    const int code = errno;
    ::close(fd);
    return from_errno(code, "read " + name);
  }
  std::vector<std::string> children;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view child = entry->d_name;
    if (child != "." && child != "..") children.emplace_back(child);
  }
  result<void> outcome;
  for (const auto& child : children) {
    outcome = remove_entry(::dirfd(dir), child, depth + 1);
    if (!outcome) break;
  }
  ::closedir(dir);
  if (!outcome) return outcome;
  if (::unlinkat(directory, name.c_str(), AT_REMOVEDIR) != 0) {
    return from_errno(errno, "remove " + name);
  }
  return {};
}

/// Whether `name` exists in `directory` (without following it), and its type.
std::optional<mode_t> entry_type(int directory, const std::string& name) {
  struct stat st {};
  if (::fstatat(directory, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return std::nullopt;
  return st.st_mode & S_IFMT;
}

/// rename(2) failures: EINVAL is a directory moved into itself (through a symlink).
error move_error(int code) {
  if (code == EINVAL) return fail(errc::forbidden, "cannot move a directory into itself");
  return from_errno(code, "move");
}

/// Maps a failure to open a parent directory to what it means for a path to be created.
error parent_error(error e) {
  if (e.code == errc::not_found || e.code == errc::not_directory) e.code = errc::parent_missing;
  return e;
}

}  // namespace

result<entry_info> stat_descriptor(int fd) { return stat_fd_impl(fd); }

// ---- pending_file ----

pending_file::pending_file(unique_fd directory, unique_fd file, std::string temporary_name,
                           std::string target_name)
    : directory_(std::move(directory)),
      file_(std::move(file)),
      temporary_name_(std::move(temporary_name)),
      target_name_(std::move(target_name)) {}

pending_file& pending_file::operator=(pending_file&& other) noexcept {
  if (this != &other) {
    discard();
    directory_ = std::move(other.directory_);
    file_ = std::move(other.file_);
    temporary_name_ = std::move(other.temporary_name_);
    target_name_ = std::move(other.target_name_);
  }
  return *this;
}

pending_file::~pending_file() { discard(); }

void pending_file::discard() {
  if (file_ && directory_) ::unlinkat(directory_.get(), temporary_name_.c_str(), 0);
  file_.reset();
}

result<void> pending_file::write(std::span<const std::uint8_t> bytes) {
  if (!file_) return fail(errc::io_error, "the upload was already finished");
  while (!bytes.empty()) {
    const auto n = ::write(file_.get(), bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return from_errno(errno, "write");
    }
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return {};
}

result<bool> pending_file::commit() {
  if (!file_) return fail(errc::io_error, "the upload was already finished");
  if (::fsync(file_.get()) != 0) {
    auto e = from_errno(errno, "fsync");
    discard();
    return e;
  }
  const bool replaced = entry_type(directory_.get(), target_name_).has_value();
  if (::renameat(directory_.get(), temporary_name_.c_str(), directory_.get(),
                 target_name_.c_str()) != 0) {
    auto e = from_errno(errno, "rename");
    discard();
    return e;
  }
  file_.reset();              // renamed: nothing left to remove
  ::fsync(directory_.get());  // the rename is durable once the directory is
  return replaced;
}

// ---- confined_root ----

result<confined_root> confined_root::open(const std::filesystem::path& root, resolve_mode mode) {
  unique_fd fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return from_errno(errno, "open root " + root.string());
  bool use_openat2 = mode != resolve_mode::component_walk;
  if (use_openat2) {
    const long probe = raw_openat2(fd.get(), ".", O_PATH | O_DIRECTORY | O_CLOEXEC,
                                   RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
    if (probe >= 0) {
      ::close(static_cast<int>(probe));
    } else if (errno == ENOSYS || errno == EPERM) {
      // ENOSYS: Linux < 5.6; EPERM: a seccomp filter that does not know the system call.
      if (mode == resolve_mode::kernel_openat2) {
        return fail(errc::io_error, "openat2 is not available on this kernel");
      }
      use_openat2 = false;
    } else {
      return from_errno(errno, "open root " + root.string());
    }
  }
  return confined_root(std::move(fd), use_openat2);
}

result<unique_fd> confined_root::resolve(std::string_view relative, int flags,
                                         bool follow_final) const {
  auto path = checked(relative);
  if (!path) return path.error();
  return use_openat2_ ? resolve_openat2(path.value(), flags, follow_final)
                      : resolve_walk(path.value(), flags, follow_final);
}

result<unique_fd> confined_root::resolve_openat2(std::string_view relative, int flags,
                                                 bool follow_final) const {
  const std::string path = relative.empty() ? std::string(".") : std::string(relative);
  const auto open_flags =
      static_cast<std::uint64_t>(flags | O_CLOEXEC | (follow_final ? 0 : O_NOFOLLOW));
  for (int attempt = 0;; ++attempt) {
    const long fd =
        raw_openat2(root_.get(), path.c_str(), open_flags, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
    if (fd >= 0) return unique_fd(static_cast<int>(fd));
    if ((errno == EAGAIN || errno == EINTR) && attempt < openat2_retries) continue;
    return from_errno(errno, path);
  }
}

result<unique_fd> confined_root::resolve_walk(std::string_view relative, int flags,
                                              bool follow_final) const {
  // Descriptors of the directories from the root down to the current one: ".." pops one.
  std::vector<unique_fd> stack;
  stack.emplace_back(::fcntl(root_.get(), F_DUPFD_CLOEXEC, 0));
  if (!stack.back()) return from_errno(errno, "dup root");
  auto pending = split_names(relative);
  int links_followed = 0;
  const std::string shown(relative.empty() ? "." : relative);

  while (!pending.empty()) {
    const std::string name = std::move(pending.front());
    pending.pop_front();
    if (name == ".") continue;
    if (name == "..") {
      if (stack.size() == 1) return fail(errc::escapes_root, shown + ": leaves the served root");
      stack.pop_back();
      continue;
    }
    const bool last = pending.empty();
    const int parent = stack.back().get();
    unique_fd fd(::openat(parent, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return from_errno(errno, shown);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return from_errno(errno, shown);

    if (S_ISLNK(st.st_mode) && (!last || follow_final)) {
      if (++links_followed > max_symlinks) return from_errno(ELOOP, shown);
      std::string target(4096, '\0');
      const auto n = ::readlinkat(fd.get(), "", target.data(), target.size());
      if (n < 0) return from_errno(errno, shown);
      if (static_cast<std::size_t>(n) >= target.size()) {
        return fail(errc::invalid_path, shown + ": symbolic link target too long");
      }
      target.resize(static_cast<std::size_t>(n));
      if (target.empty() || target.front() == '/') {
        return fail(errc::escapes_root, shown + ": symbolic link to an absolute path");
      }
      auto names = split_names(target);
      pending.insert(pending.begin(), names.begin(), names.end());
      continue;
    }
    if (last) {
      if (flags & O_PATH) {
        if ((flags & O_DIRECTORY) && !S_ISDIR(st.st_mode)) return from_errno(ENOTDIR, shown);
        return fd;
      }
      // O_NOFOLLOW: if the name became a symlink since the fstat, this fails with ELOOP.
      unique_fd opened(::openat(parent, name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC));
      if (!opened) return from_errno(errno, shown);
      return opened;
    }
    if (!S_ISDIR(st.st_mode)) return from_errno(ENOTDIR, shown);
    stack.push_back(std::move(fd));
  }
  // The path ended on a directory already held (the root, "a/.." through a symlink, ...).
  unique_fd opened(::openat(stack.back().get(), ".", flags | O_CLOEXEC));
  if (!opened) return from_errno(errno, shown);
  return opened;
}

result<unique_fd> confined_root::open_parent(std::string_view relative, std::string& leaf) const {
  auto path = checked(relative);
  if (!path) return path.error();
  const std::string& p = path.value();
  if (p.empty()) return fail(errc::forbidden, "the served root itself");
  const auto slash = p.rfind('/');
  leaf = slash == std::string::npos ? p : p.substr(slash + 1);
  const std::string parent = slash == std::string::npos ? std::string() : p.substr(0, slash);
  return resolve(parent, O_RDONLY | O_DIRECTORY, true);
}

result<entry_info> confined_root::stat(std::string_view relative) const {
  auto fd = resolve(relative, O_PATH, true);
  if (!fd) return fd.error();
  return stat_descriptor(fd->get());
}

result<unique_fd> confined_root::open_file(std::string_view relative) const {
  auto path_fd = resolve(relative, O_PATH, true);
  if (!path_fd) return path_fd.error();
  auto info = stat_descriptor(path_fd->get());
  if (!info) return info.error();
  if (info->kind == entry_kind::directory) {
    return fail(errc::is_directory, std::string(relative) + ": is a directory");
  }
  if (info->kind != entry_kind::file) {
    return fail(errc::forbidden, std::string(relative) + ": not a regular file");
  }
  // Reopened for reading by name (an O_PATH descriptor cannot be reopened without /proc). With
  // O_NONBLOCK a FIFO swapped in meanwhile cannot block us; the inode check catches the swap.
  auto fd = resolve(relative, O_RDONLY | O_NONBLOCK | O_NOCTTY, true);
  if (!fd) return fd.error();
  auto reopened = stat_descriptor(fd->get());
  if (!reopened) return reopened.error();
  if (reopened->inode != info->inode || reopened->device != info->device) {
    return fail(errc::io_error, std::string(relative) + ": changed while being opened");
  }
  const int status = ::fcntl(fd->get(), F_GETFL);
  if (status >= 0) ::fcntl(fd->get(), F_SETFL, status & ~O_NONBLOCK);
  return fd;
}

result<std::vector<directory_entry>> confined_root::list(std::string_view relative) const {
  auto path = checked(relative);
  if (!path) return path.error();
  auto fd = resolve(path.value(), O_RDONLY | O_DIRECTORY, true);
  if (!fd) return fd.error();
  DIR* dir = ::fdopendir(fd->get());
  if (!dir) return from_errno(errno, "read directory");
  fd->release();  // the DIR owns it now
  std::vector<directory_entry> entries;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (::fstatat(::dirfd(dir), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    result<entry_info> info = fail(errc::not_found, "");
    if (S_ISLNK(st.st_mode)) {
      // Listed as what it points to, only when that resolves below the root.
      const std::string child = path->empty() ? name : *path + "/" + name;
      info = this->stat(child);
    } else {
      unique_fd child_fd(::openat(::dirfd(dir), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
      if (child_fd) info = stat_descriptor(child_fd.get());
    }
    if (!info || info->kind == entry_kind::other) continue;
    entries.push_back({name, info.value()});
  }
  ::closedir(dir);
  std::sort(entries.begin(), entries.end(),
            [](const directory_entry& a, const directory_entry& b) { return a.name < b.name; });
  return entries;
}

result<pending_file> confined_root::create_pending(std::string_view relative) const {
  std::string leaf;
  auto parent = open_parent(relative, leaf);
  if (!parent) return parent_error(parent.error());
  mode_t mode = 0666;  // narrowed by the umask
  struct stat st {};
  if (::fstatat(parent->get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISDIR(st.st_mode))
      return fail(errc::is_directory, std::string(relative) + ": is a directory");
    if (S_ISREG(st.st_mode)) mode = st.st_mode & 07777;  // a replaced file keeps its mode
  }
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string temporary = temporary_name_for_upload();
    unique_fd file(::openat(parent->get(), temporary.c_str(),
                            O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!file) {
      if (errno == EEXIST) continue;
      return from_errno(errno, "create a temporary file");
    }
    if (mode != 0666) {
      ::fchmod(file.get(), mode);
    } else {
      const mode_t mask = ::umask(0);  // read the umask (process-wide; restored at once)
      ::umask(mask);
      ::fchmod(file.get(), 0666 & ~mask);
    }
    return pending_file(std::move(parent.value()), std::move(file), std::move(temporary),
                        std::move(leaf));
  }
  return fail(errc::io_error, "could not pick a temporary file name");
}

result<void> confined_root::make_directory(std::string_view relative) const {
  std::string leaf;
  auto parent = open_parent(relative, leaf);
  if (!parent) {
    if (parent.code() == errc::forbidden && checked(relative).ok()) {
      return fail(errc::exists, "the served root already exists");
    }
    return parent_error(parent.error());
  }
  if (::mkdirat(parent->get(), leaf.c_str(), 0777) != 0) {
    return from_errno(errno, std::string(relative));
  }
  return {};
}

result<void> confined_root::remove(std::string_view relative) const {
  std::string leaf;
  auto parent = open_parent(relative, leaf);
  if (!parent) {
    if (parent.code() == errc::forbidden)
      return fail(errc::forbidden, "the served root cannot be deleted");
    return parent.error();
  }
  return remove_entry(parent->get(), leaf, 0);
}

result<bool> confined_root::move(std::string_view from, std::string_view to, bool overwrite) const {
  auto source = checked(from);
  if (!source) return source.error();
  auto target = checked(to);
  if (!target) return target.error();
  if (source->empty()) return fail(errc::forbidden, "the served root cannot be moved");
  if (target->empty()) return fail(errc::forbidden, "cannot move onto the served root");
  if (*source == *target) return fail(errc::forbidden, "source and destination are the same");
  if (target->size() > source->size() && target->compare(0, source->size(), *source) == 0 &&
      (*target)[source->size()] == '/') {
    return fail(errc::forbidden, "cannot move a directory into itself");
  }

  std::string source_leaf, target_leaf;
  auto source_parent = open_parent(*source, source_leaf);
  if (!source_parent) return source_parent.error();
  const auto source_type = entry_type(source_parent->get(), source_leaf);
  if (!source_type) return fail(errc::not_found, std::string(from) + ": not found");
  auto target_parent = open_parent(*target, target_leaf);
  if (!target_parent) return parent_error(target_parent.error());

  const auto target_type = entry_type(target_parent->get(), target_leaf);
  if (target_type && !overwrite) return fail(errc::exists, std::string(to) + ": already exists");
  if (!target_type) {
    // RENAME_NOREPLACE closes the window between the check above and the rename.
    if (::renameat2(source_parent->get(), source_leaf.c_str(), target_parent->get(),
                    target_leaf.c_str(), RENAME_NOREPLACE) == 0) {
      return false;
    }
    if (errno != EINVAL && errno != ENOSYS) {
      return errno == EEXIST ? fail(errc::exists, std::string(to) + ": already exists")
                             : move_error(errno);
    }
    // The filesystem does not support RENAME_NOREPLACE: a plain rename below.
  } else if (*target_type == S_IFDIR || *source_type == S_IFDIR) {
    // rename(2) only replaces an empty directory with a directory: the target is renamed aside,
    // the source takes its place, then the set-aside tree is deleted (or restored on failure).
    const std::string aside = temporary_name_for_upload();
    if (::renameat2(target_parent->get(), target_leaf.c_str(), target_parent->get(), aside.c_str(),
                    RENAME_NOREPLACE) != 0) {
      return from_errno(errno, "move the replaced entry aside");
    }
    if (::renameat(source_parent->get(), source_leaf.c_str(), target_parent->get(),
                   target_leaf.c_str()) != 0) {
      const int code = errno;
      ::renameat(target_parent->get(), aside.c_str(), target_parent->get(), target_leaf.c_str());
      return move_error(code);
    }
    auto removed = remove_entry(target_parent->get(), aside, 0);
    if (!removed) return removed.error();
    return true;
  }
  if (::renameat(source_parent->get(), source_leaf.c_str(), target_parent->get(),
                 target_leaf.c_str()) != 0) {
    return move_error(errno);
  }
  return target_type.has_value();
}

}  // namespace rstream::fs
