// `fs upload` and `fs download` (see fs_tree_copy.hpp).
#include "rstream/client/fs_tree_copy.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

namespace stdfs = std::filesystem;

namespace rstream::client {
namespace {

/// PUTs the local regular file `local` (opened with `extra_flags`) to `remote`.
fs_status put_file(fs_client& client, const stdfs::path& local, const std::string& remote,
                   int extra_flags) {
  const int fd = ::open(local.c_str(), O_RDONLY | O_CLOEXEC | extra_flags);
  if (fd < 0) {
    return {api::exit_failure, "cannot open " + local.string() + ": " + std::strerror(errno)};
  }
  auto status = client.put_from_fd(fd, remote, local.string());
  ::close(fd);
  return status;
}

fs_status upload_tree(fs_client& client, const stdfs::path& local, const std::string& remote) {
  if (auto status = client.make_collection(remote, true); !status.ok()) return status;
  std::error_code ec;
  std::vector<stdfs::directory_entry> entries;
  for (stdfs::directory_iterator it(local, ec), end; !ec && it != end; it.increment(ec)) {
    entries.push_back(*it);
  }
  if (ec) {
    return {api::exit_failure, "cannot read the directory " + local.string() + ": " + ec.message()};
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.path().filename() < b.path().filename(); });
  for (const auto& entry : entries) {
    const std::string name = entry.path().filename().string();
    const std::string target = join_remote(remote, name);
    const auto status = entry.symlink_status(ec);
    if (ec)
      return {api::exit_failure, "cannot read " + entry.path().string() + ": " + ec.message()};
    if (stdfs::is_symlink(status)) {
      client.warn("skipping the symlink " + entry.path().string());
    } else if (stdfs::is_directory(status)) {
      if (auto copied = upload_tree(client, entry.path(), target); !copied.ok()) return copied;
    } else if (stdfs::is_regular_file(status)) {
      if (auto put = put_file(client, entry.path(), target, O_NOFOLLOW); !put.ok()) return put;
    } else {
      client.warn("skipping " + entry.path().string() + " (not a regular file or directory)");
    }
  }
  return {};
}

fs_status download_tree(fs_client& client, const std::string& remote, const stdfs::path& local) {
  if (::mkdir(local.c_str(), 0777) != 0) {
    const int err = errno;
    struct stat st {};
    if (err != EEXIST || ::stat(local.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return {err == ENOENT ? api::exit_not_found : api::exit_failure,
              "cannot create the directory " + local.string() + ": " + std::strerror(err)};
    }
  }
  fs_entry self;
  std::vector<fs_entry> children;
  if (auto status = client.list(remote, self, children); !status.ok()) return status;
  for (const auto& child : children) {
    const stdfs::path to = local / remote_basename(child.path);
    auto status = child.directory ? download_tree(client, child.path, to)
                                  : get_to_file(client, child.path, to);
    if (!status.ok()) return status;
  }
  return {};
}

/// The name an upload of `local_text` takes inside a remote directory.
std::string upload_name(const std::string& local_text) {
  std::string name = stdfs::path(local_text).lexically_normal().filename().string();
  if (name.empty() || name == "." || name == "..") {
    name = stdfs::absolute(local_text).lexically_normal().filename().string();
  }
  if (name.empty()) {
    name = stdfs::absolute(local_text).lexically_normal().parent_path().filename().string();
  }
  return name;
}

}  // namespace

fs_status upload(fs_client& client, const std::string& local_text, const std::string& remote_text,
                 bool recursive) {
  std::string remote;
  if (auto bad = normalize_into(remote_text, remote)) return *bad;
  struct stat st {};
  if (::stat(local_text.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT) return {api::exit_not_found, "no such file or directory: " + local_text};
    return {api::exit_failure, "cannot read " + local_text + ": " + std::strerror(err)};
  }
  const bool is_dir = S_ISDIR(st.st_mode);
  if (is_dir && !recursive) return {api::exit_usage, local_text + " is a directory (use -r)"};
  if (!is_dir && !S_ISREG(st.st_mode)) {
    return {api::exit_failure, local_text + " is not a regular file or directory"};
  }
  // Like cp: into REMOTE when it is an existing directory (or ends with '/').
  std::string target = remote;
  fs_entry existing;
  bool missing = false;
  auto status = client.propfind(remote, 0, existing, nullptr, false, &missing);
  if (!status.ok() && !missing) return status;
  const bool into = !missing && existing.directory;
  if (missing && remote_text.ends_with("/")) {
    return {api::exit_not_found, "no such directory: " + remote};
  }
  if (into) target = join_remote(remote, upload_name(local_text));
  if (is_dir) return upload_tree(client, local_text, target);
  return put_file(client, local_text, target, 0);
}

fs_status download(fs_client& client, const std::string& remote_text, const std::string& local_text,
                   bool recursive) {
  std::string remote;
  if (auto bad = normalize_into(remote_text, remote)) return *bad;
  fs_entry self;
  if (auto status = client.stat(remote, self); !status.ok()) return status;
  if (self.directory && !recursive) {
    return {api::exit_usage, remote + " is a directory (use -r)"};
  }
  // Like cp: into LOCAL when it is an existing directory.
  stdfs::path target = local_text;
  struct stat st {};
  if (::stat(local_text.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && remote != "/") {
    target = stdfs::path(local_text) / remote_basename(remote);
  } else if (local_text.ends_with("/") && remote != "/" && !self.directory) {
    return {api::exit_not_found, "no such directory: " + local_text};
  }
  if (self.directory) return download_tree(client, remote, target);
  return get_to_file(client, remote, target);
}

fs_status get_to_file(fs_client& client, const std::string& remote, const stdfs::path& local) {
  const stdfs::path parent = local.has_parent_path() ? local.parent_path() : stdfs::path(".");
  std::string temp = (parent / ("." + local.filename().string() + ".rstream-XXXXXX")).string();
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) {
    const int err = errno;
    return {err == ENOENT ? api::exit_not_found : api::exit_failure,
            "cannot create a file in " + parent.string() + ": " + std::strerror(err)};
  }
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);

  std::unique_ptr<fs_progress> progress;
  fs_request request;
  request.http.method = "GET";
  request.http.target = client.target_of(remote);
  request.on_head = [&](const transport::http_stream_head& head) {
    if (head.status == 200 && client.options().progress) {
      progress = client.options().progress(remote_basename(remote), head.content_length);
    }
  };
  const transport::body_sink to_file = transport::fd_sink(fd);
  const transport::body_sink sink = [&](std::span<const std::uint8_t> bytes) {
    auto ec = to_file(bytes);
    if (!ec && progress) progress->add(bytes.size());
    return ec;
  };
  request.sink = &sink;
  auto r = client.run(request);
  if (progress) progress->finish();
  auto status = client.finish_download(r, remote, local.string());
  if (status.ok() && ::close(fd) != 0) {
    status = {api::exit_failure, "writing " + local.string() + " failed: " + std::strerror(errno)};
  } else if (!status.ok()) {
    ::close(fd);
  }
  if (status.ok() && ::rename(temp.c_str(), local.c_str()) != 0) {
    status = {api::exit_failure, "cannot create " + local.string() + ": " + std::strerror(errno)};
  }
  if (!status.ok()) ::unlink(temp.c_str());
  return status;
}

}  // namespace rstream::client
