// Private directories and atomic 0600 files (see private_files.hpp).
#include "rstream/base/private_files.hpp"

#include "rstream/base/write_all.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace rstream::base {
namespace {

std::string errno_text(int e) { return std::strerror(e); }

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

bool make_missing_dirs(const std::filesystem::path& dir, std::string& error) {
  std::vector<std::filesystem::path> missing;
  for (std::filesystem::path p = dir; !p.empty(); p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) {
        error = p.string() + " exists and is not a directory";
        return false;
      }
      break;
    }
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0700) != 0 && errno != EEXIST) {
      error = "cannot create directory " + it->string() + ": " + errno_text(errno);
      return false;
    }
  }
  return true;
}

bool make_private_dir(const std::filesystem::path& dir, std::string& error) {
  if (!make_missing_dirs(dir, error)) return false;
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    error = "cannot read " + dir.string() + ": " + errno_text(errno);
    return false;
  }
  if (st.st_uid != ::geteuid()) {
    error = dir.string() + " belongs to another user (uid " + std::to_string(st.st_uid) +
            "): use a directory of your own";
    return false;
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    error = dir.string() + " is writable by other users (mode " + mode +
            "): others could replace its files. Use a private directory (chmod 700 it "
            "yourself if that is what you want)";
    return false;
  }
  return true;
}

namespace {

/// mkstemp beside `file` (exclusive, mode 0600 whatever the umask), write, fsync, then rename
/// over `file` (replace) or link to it (create: EEXIST when it exists), then fsync the directory.
private_write write_private(const std::filesystem::path& file, std::string_view content,
                            bool replace, std::string& error) {
  const std::filesystem::path dir =
      file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  std::string tmp = file.string() + ".tmp-XXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) {
    error = "cannot create a file in " + dir.string() + ": " + errno_text(errno);
    return private_write::failed;
  }
  auto fail = [&](const std::string& what) {
    error = what + ": " + errno_text(errno);
    close_fd(fd);
    ::unlink(tmp.c_str());
    return private_write::failed;
  };
  if (!write_all(fd, content)) return fail("cannot write " + tmp);
  if (::fsync(fd) != 0) return fail("cannot write " + tmp);
  close_fd(fd);
  if (replace) {
    if (::rename(tmp.c_str(), file.c_str()) != 0) return fail("cannot replace " + file.string());
  } else {
    if (::link(tmp.c_str(), file.c_str()) != 0) {
      const bool exists = errno == EEXIST;
      const auto outcome = fail("cannot create " + file.string());
      if (exists) error = file.string() + " exists";
      return exists ? private_write::exists : outcome;
    }
    ::unlink(tmp.c_str());
  }
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);  // the rename or link itself survives a crash
    ::close(dir_fd);
  }
  return private_write::written;
}

}  // namespace

bool write_private_file(const std::filesystem::path& file, std::string_view content,
                        std::string& error) {
  return write_private(file, content, true, error) == private_write::written;
}

private_write create_private_file(const std::filesystem::path& file, std::string_view content,
                                  std::string& error) {
  return write_private(file, content, false, error);
}

unique_fd lock_exclusive(const std::filesystem::path& lock_path, std::string& error) {
  unique_fd fd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) {
    error = "cannot open lock file " + lock_path.string() + ": " + errno_text(errno);
    return fd;
  }
  // Writers hold a lock for one small read-modify-write, so waiting for it is short.
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) {
      error = "cannot lock " + lock_path.string() + ": " + errno_text(errno);
      return unique_fd();
    }
  }
  return fd;
}

}  // namespace rstream::base
