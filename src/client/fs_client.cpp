// The fs client's endpoint, paths, request runner, failure sentences and single-request
// operations (see fs_client.hpp); tree copies are fs_tree_copy.cpp.
#include "rstream/client/fs_client.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include "rstream/base/percent.hpp"
#include "rstream/client/server_url.hpp"
#include "rstream/config/contexts.hpp"

namespace asio = boost::asio;
using boost::system::error_code;

namespace rstream::client {
namespace {

/// Largest PROPFIND answer or error body read into memory.
constexpr std::size_t max_text_body = 256ull * 1024 * 1024;

bool is_success(int status) { return status >= 200 && status < 300; }

std::size_t segments_of(const std::string& path) {
  return static_cast<std::size_t>(std::count(path.begin(), path.end(), '/')) +
         (path == "/" ? 0 : 1);
}

asio::awaitable<void> perform(const fs_endpoint& ep, const transport::http_stream_options& options,
                              const fs_request& request, fs_response& out) {
  auto started = co_await transport::http_stream_start(ep.target, request.http, options);
  if (!started.call) {
    out.error = std::move(started.error);
    co_return;
  }
  out.head = started.call->head();
  out.status = out.head.status;
  if (request.on_head) request.on_head(out.head);
  std::string error;
  const bool success = is_success(out.status);
  if (request.sink && success) {
    error_code sink_error;
    const transport::body_sink& user_sink = *request.sink;
    transport::body_sink guarded = [&user_sink, &sink_error](std::span<const std::uint8_t> b) {
      auto ec = user_sink(b);
      if (ec) sink_error = ec;
      return ec;
    };
    auto [ok, n] = co_await started.call->read_body(guarded, error);
    out.body_bytes = n;
    out.sink_failed = static_cast<bool>(sink_error);
    out.sink_error = sink_error;
    if (!ok) out.error = error;
  } else {
    const bool ok = co_await started.call->read_body_text(max_text_body, out.body, error);
    if (!ok && success) out.error = error;
  }
}

/// The length of what is left to read from `fd` when it is a regular file.
std::optional<std::uint64_t> remaining_length(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  const off_t at = ::lseek(fd, 0, SEEK_CUR);
  if (at < 0 || at > st.st_size) return std::nullopt;
  return static_cast<std::uint64_t>(st.st_size - at);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// where the tree is

std::optional<fs_endpoint> tunnel_fs_endpoint(const std::string& url, const std::string& context,
                                              fs_status& failure) {
  auto tunnel = resolve_tunnel_url(url, context, failure.exit_code, failure.message);
  if (!tunnel) return std::nullopt;
  const auto& engine = tunnel->engine;
  fs_endpoint ep;
  ep.target = {engine.engine.tls, engine.engine.host, engine.engine.port};
  ep.prefix = "/api/tunnels/" + base::percent_encode(tunnel->name) + "/fs";
  ep.token = engine.token;
  ep.display = url + " (through the engine at " + engine.engine.text() + ")";
  return ep;
}

fs_endpoint direct_fs_endpoint(const std::string& url, const transport::http_target& target,
                               const std::string& path, bool http_form, const std::string& origin,
                               const std::string& token) {
  fs_endpoint ep;
  ep.token = token;
  ep.target = target;
  if (http_form) {
    ep.prefix = path.empty() ? "/fs" : path;
    ep.display = url;
  } else {
    ep.prefix = "/fs";
    ep.display = url + " (" + origin + "/fs)";
  }
  return ep;
}

std::optional<fs_endpoint> resolve_fs_endpoint(const std::string& url, const std::string& context,
                                               const std::string& token, fs_status& failure) {
  if (is_tunnel_url(url)) return tunnel_fs_endpoint(url, context, failure);
  std::string error;
  auto direct = parse_direct_server_url(url, error);
  if (!direct) {
    const bool http_form = url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
    failure = {
        api::exit_usage,
        http_form ? error : error + " (fs also takes http://HOST:PORT[/PREFIX] and https://)"};
    return std::nullopt;
  }
  return direct_fs_endpoint(url, direct->target, direct->path, direct->http_form, direct->origin(),
                            token);
}

// ---------------------------------------------------------------------------------------------
// remote paths

std::optional<std::string> normalize_remote_path(std::string_view text, std::string& error) {
  if (text.find('\0') != std::string_view::npos) {
    error = "remote paths cannot contain NUL bytes";
    return std::nullopt;
  }
  std::string out = "/";
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('/', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view segment = text.substr(start, end - start);
    start = end + 1;
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      error = "'..' is not allowed in remote paths: " + std::string(text);
      return std::nullopt;
    }
    if (out.size() > 1) out += '/';
    out += segment;
  }
  return out;
}

std::optional<fs_status> normalize_into(const std::string& text, std::string& path) {
  std::string error;
  auto normalized = normalize_remote_path(text, error);
  if (!normalized) return fs_status{api::exit_usage, error};
  path = std::move(*normalized);
  return std::nullopt;
}

std::string join_remote(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

std::string remote_basename(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

nlohmann::ordered_json to_json(const fs_entry& entry) {
  nlohmann::ordered_json j = {{"path", entry.path},
                              {"kind", entry.directory ? "directory" : "file"},
                              {"size", entry.size},
                              {"modified", nullptr}};
  if (entry.modified) j["modified"] = api::rfc3339_date(*entry.modified);
  return j;
}

std::string modified_text(const fs_entry& entry) {
  return entry.modified ? api::rfc3339_date(*entry.modified) : std::string("-");
}

fs_entry select_entries(const std::string& path, const std::vector<api::dav_entry>& entries,
                        std::vector<fs_entry>* children) {
  // The entry itself has the shortest href; children are one segment deeper.
  const auto self_it = std::min_element(
      entries.begin(), entries.end(), [](const api::dav_entry& a, const api::dav_entry& b) {
        return segments_of(a.href_path) < segments_of(b.href_path);
      });
  fs_entry self{path, self_it->directory, self_it->directory ? 0 : self_it->size,
                self_it->modified};
  if (children) {
    const std::size_t depth_of_self = segments_of(self_it->href_path);
    for (auto it = entries.begin(); it != entries.end(); ++it) {
      if (it == self_it || segments_of(it->href_path) != depth_of_self + 1) continue;
      const std::string name = remote_basename(it->href_path);
      if (name.empty() || name == "." || name == ".." || name.find('\0') != std::string::npos) {
        continue;
      }
      children->push_back(
          {join_remote(path, name), it->directory, it->directory ? 0 : it->size, it->modified});
    }
    std::sort(children->begin(), children->end(),
              [](const fs_entry& a, const fs_entry& b) { return a.path < b.path; });
  }
  return self;
}

// ---------------------------------------------------------------------------------------------
// one request

fs_status describe_failure(const fs_endpoint& ep, const fs_response& r, const std::string& path) {
  if (r.status == 0) {
    return {api::exit_remote_failure,
            "cannot reach the file server at " + ep.display + ": " + r.error};
  }
  if (is_success(r.status)) return {api::exit_remote_failure, path + ": " + r.error};
  auto [code, message] = api::parse_error_reply(r.body);
  const std::string detail = message.empty() ? "HTTP " + std::to_string(r.status) : message;
  switch (r.status) {
    case 401:
      return {api::exit_denied,
              "the server at " + ep.display + " refused the token: " +
                  (ep.token.empty() ? "it requires one (--token or RSTREAM_WEBTTY_TOKEN)"
                                    : "it is missing or invalid") +
                  " (" + detail + ")"};
    case 403:
      if (code == "read_only") return {api::exit_denied, path + ": read-only filesystem"};
      return {api::exit_denied, path + ": permission denied (" + detail + ")"};
    case 404:
      if (code == "fs_disabled" || code == "no_route") {
        return {api::exit_failure,
                "the server at " + ep.display + " serves no files (" + detail + ")"};
      }
      if (code.empty() || code == "not_found" || code == "not_directory") {
        return {api::exit_not_found, "no such file or directory: " + path};
      }
      return {api::exit_not_found, path + ": " + detail};
    case 409:
      if (code == "parent_missing") {
        return {api::exit_not_found, "no such file or directory: the parent of " + path};
      }
      break;
    case 405:
      if (code == "is_directory") return {api::exit_failure, path + ": is a directory"};
      if (code == "exists") return {api::exit_failure, path + ": already exists"};
      break;
    case 412:
      return {api::exit_failure, path + ": already exists (and --no-clobber was given)"};
    case 413:
      return {api::exit_failure, path + ": too large for the server's upload limit (" + detail +
                                     "; see its --fs-max-upload)"};
    default:
      break;
  }
  // What is left (401, 403 and 404 were handled above) is a plain failure.
  return {api::exit_code_for_status(r.status),
          path + ": " + detail + " (HTTP " + std::to_string(r.status) + ")"};
}

// ---------------------------------------------------------------------------------------------
// the client

fs_client::fs_client(fs_endpoint endpoint, fs_client_options options)
    : endpoint_(std::move(endpoint)), options_(std::move(options)) {}

std::string fs_client::target_of(const std::string& path) const {
  return endpoint_.prefix + base::percent_encode_path(path);
}

fs_response fs_client::run(fs_request& request) {
  request.http.token = endpoint_.token;
  fs_response out;
  asio::io_context io{1};
  asio::co_spawn(io, perform(endpoint_, options_.http, request, out), [&out](std::exception_ptr e) {
    if (e) out.error = "internal error";
  });
  io.run();
  spdlog::debug("{} {} -> {}", request.http.method, request.http.target, out.status);
  return out;
}

fs_response fs_client::call(std::string method, const std::string& path,
                            std::vector<transport::http_header> headers, std::string body) {
  fs_request request;
  request.http.method = std::move(method);
  request.http.target = target_of(path);
  request.http.headers = std::move(headers);
  request.http.body = std::move(body);
  return run(request);
}

fs_status fs_client::stat(const std::string& text, fs_entry& self) {
  std::string path;
  if (auto bad = normalize_into(text, path)) return *bad;
  return propfind(path, 0, self, nullptr);
}

fs_status fs_client::list(const std::string& text, fs_entry& self,
                          std::vector<fs_entry>& children) {
  std::string path;
  if (auto bad = normalize_into(text, path)) return *bad;
  return propfind(path, 1, self, &children);
}

fs_status fs_client::propfind(const std::string& path, int depth, fs_entry& self,
                              std::vector<fs_entry>* children, bool report_not_found,
                              bool* not_found) {
  static const std::string body =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<D:propfind xmlns:D=\"DAV:\"><D:prop><D:resourcetype/><D:getcontentlength/>"
      "<D:getlastmodified/></D:prop></D:propfind>\n";
  auto r = call(
      "PROPFIND", path,
      {{"Depth", std::to_string(depth)}, {"Content-Type", "application/xml; charset=utf-8"}}, body);
  if (r.status == 404 && not_found) *not_found = true;
  if (r.status != 207 || !r.error.empty()) {
    if (r.status == 404 && !report_not_found) return {api::exit_not_found, {}};
    if (is_success(r.status) && r.status != 207 && r.error.empty()) {
      return {api::exit_failure, path + ": the server answered PROPFIND with HTTP " +
                                     std::to_string(r.status) + " instead of 207 (is " +
                                     endpoint_.display + " a WebDAV endpoint?)"};
    }
    return describe_failure(endpoint_, r, path);
  }
  const auto reading = api::parse_multistatus(r.body);
  if (!reading.ok() || reading.entries.empty()) {
    return {api::exit_failure,
            path + ": cannot read the server's PROPFIND answer: " +
                (reading.error.empty() ? std::string("no entries") : reading.error)};
  }
  self = select_entries(path, reading.entries, children);
  return {};
}

fs_status fs_client::finish_download(const fs_response& r, const std::string& path,
                                     const std::string& local_what) const {
  if (!is_success(r.status)) return describe_failure(endpoint_, r, path);
  if (r.sink_failed) {
    if (r.sink_error == boost::system::errc::broken_pipe) return {api::exit_broken_pipe, {}};
    return {api::exit_failure, "writing " + local_what + " failed: " + r.sink_error.message()};
  }
  if (!r.error.empty()) {
    return {api::exit_remote_failure, path + ": the transfer broke off: " + r.error};
  }
  return {};
}

fs_status fs_client::read(const std::string& text, std::optional<std::uint64_t> offset,
                          std::optional<std::uint64_t> length, const transport::body_sink& out) {
  std::string path;
  if (auto bad = normalize_into(text, path)) return *bad;
  const std::uint64_t first = offset.value_or(0);
  const bool ranged = offset.has_value() || length.has_value();
  if (length && *length == 0) {
    // Nothing to read: only check that the file is there.
    fs_entry self;
    return stat(path, self);
  }
  fs_request request;
  request.http.method = "GET";
  request.http.target = target_of(path);
  if (ranged) {
    std::string range = "bytes=" + std::to_string(first) + "-";
    if (length) range += std::to_string(first + *length - 1);
    request.http.headers.push_back({"Range", range});
  }
  // A server that ignores Range answers 200 with everything: the range is cut out here.
  bool whole = false;
  request.on_head = [&whole](const transport::http_stream_head& head) {
    whole = head.status == 200;
  };
  std::uint64_t position = 0;
  const transport::body_sink sink = [&](std::span<const std::uint8_t> bytes) -> error_code {
    if (!whole || !ranged) return out(bytes);
    const std::uint64_t begin = position, end = position + bytes.size();
    position = end;
    const std::uint64_t from = std::max(begin, first);
    const std::uint64_t to = length ? std::min(end, first + *length) : end;
    if (from >= to) return {};
    return out(bytes.subspan(from - begin, to - from));
  };
  request.sink = &sink;
  auto r = run(request);
  if (r.status == 416) return {};  // the range starts at or past the end: nothing to read
  return finish_download(r, path, "to stdout");
}

fs_status fs_client::put_from_fd(int fd, const std::string& remote, const std::string& label) {
  const auto length = remaining_length(fd);
  std::unique_ptr<fs_progress> progress;
  if (!label.empty() && options_.progress) progress = options_.progress(label, length);
  const transport::body_source from_fd = transport::fd_source(fd);
  fs_request request;
  request.http.method = "PUT";
  request.http.target = target_of(remote);
  request.http.headers.push_back({"Content-Type", "application/octet-stream"});
  request.http.source = [&](std::span<std::uint8_t> into) {
    auto got = from_fd(into);
    if (progress) progress->add(got.second);
    return got;
  };
  request.http.source_length = length;
  auto r = run(request);
  if (progress) progress->finish();
  if (r.status == 0 && r.error.rfind("reading the data to send failed", 0) == 0) {
    return {api::exit_failure, label + ": " + r.error};
  }
  if (!is_success(r.status)) return describe_failure(endpoint_, r, remote);
  return {};
}

fs_status fs_client::write_stdin(const std::string& text) {
  std::string path;
  if (auto bad = normalize_into(text, path)) return *bad;
  if (path == "/") return {api::exit_usage, "write needs a file path, not the root"};
  return put_from_fd(STDIN_FILENO, path, "");
}

fs_status fs_client::make_collection(const std::string& path, bool exist_ok) {
  auto r = call("MKCOL", path);
  if (is_success(r.status)) return {};
  if (r.status == 405 && exist_ok) {
    fs_entry self;
    if (auto status = stat(path, self); !status.ok()) return status;
    if (self.directory) return {};
    return {api::exit_failure, path + ": exists and is not a directory"};
  }
  return describe_failure(endpoint_, r, path);
}

fs_status fs_client::mkdir(const std::string& text, bool parents) {
  std::string path;
  if (auto bad = normalize_into(text, path)) return *bad;
  if (!parents) return make_collection(path, false);
  std::string prefix = "/";
  std::size_t start = 1;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    prefix = path.substr(0, end);
    start = end + 1;
    if (prefix.empty() || prefix == "/") continue;
    if (auto status = make_collection(prefix, true); !status.ok()) return status;
  }
  return {};
}

fs_status fs_client::remove(const std::string& text, bool recursive) {
  std::string path;
  if (auto bad = normalize_into(text, path)) return *bad;
  if (!recursive) {
    fs_entry self;
    if (auto status = stat(path, self); !status.ok()) return status;
    if (self.directory) return {api::exit_failure, path + " is a directory (use -r)"};
  }
  auto r = call("DELETE", path);
  if (is_success(r.status)) return {};
  return describe_failure(endpoint_, r, path);
}

fs_status fs_client::move(const std::string& from_text, const std::string& to_text,
                          bool no_clobber) {
  std::string from, to;
  if (auto bad = normalize_into(from_text, from)) return *bad;
  if (auto bad = normalize_into(to_text, to)) return *bad;
  std::vector<transport::http_header> headers{{"Destination", target_of(to)},
                                              {"Overwrite", no_clobber ? "F" : "T"}};
  auto r = call("MOVE", from, std::move(headers));
  if (is_success(r.status)) return {};
  return describe_failure(endpoint_, r, r.status == 412 ? to : from);
}

void fs_client::warn(const std::string& message) const {
  if (options_.warn) options_.warn(message);
}

}  // namespace rstream::client
