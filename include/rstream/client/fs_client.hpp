// The fs client: files under a WebTTY server's --fs-root, spoken to as WebDAV (docs/fs.md) over
// transport::http_stream_start, directly (http(s)://, and tcp://, ws://, tls://, wss:// taken as
// the same host) or through the engine (rstrm://NAME). Bodies stream both ways in bounded pieces.
// Every operation returns an fs_status: an exit code (api::exit_*) and the sentence to print for
// it; the CLI prints, renders listings and draws progress (through fs_progress).
//
// Thread-safety: an fs_client is used by one thread at a time; each request runs its own
// io_context on the calling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rstream/api/error_reply.hpp"
#include "rstream/api/webdav_multistatus.hpp"
#include "rstream/transport/http.hpp"
#include "rstream/transport/http_stream_client.hpp"

namespace rstream::client {

/// How an fs operation ended: exit_ok, or an exit code and why (the message may be empty when
/// there is nothing to say, e.g. stdout was closed under a read).
struct fs_status {
  int exit_code = api::exit_ok;
  std::string message;
  bool ok() const { return exit_code == api::exit_ok; }
};

// ---------------------------------------------------------------------------------------------
// where the tree is

/// Where the WebDAV tree is: a host, a percent-encoded path prefix, and the token to send.
struct fs_endpoint {
  transport::http_target target;
  std::string prefix;  ///< "/fs", "/api/tunnels/NAME/fs": no trailing slash
  std::string token;
  std::string display;  ///< for messages: the URL the user gave (and what it maps to)
};

/// rstrm://NAME: the tunnel's tree through the engine of `context` (/api/tunnels/NAME/fs, the
/// context's token). nullopt with `failure` set (usage for a bad URL, remote failure when no
/// engine is configured).
std::optional<fs_endpoint> tunnel_fs_endpoint(const std::string& url, const std::string& context,
                                              fs_status& failure);

/// A server reached directly: an http(s):// URL's path is the prefix (none: /fs); the WebTTY
/// forms (tcp://, ws://, tls://, wss://) mean `origin` + /fs.
fs_endpoint direct_fs_endpoint(const std::string& url, const transport::http_target& target,
                               const std::string& path, bool http_form, const std::string& origin,
                               const std::string& token);

/// --url as the fs commands take it: rstrm://NAME (tunnel_fs_endpoint), or a direct server URL
/// (direct_fs_endpoint, with `token`). nullopt with `failure` set (usage for a bad URL).
std::optional<fs_endpoint> resolve_fs_endpoint(const std::string& url, const std::string& context,
                                               const std::string& token, fs_status& failure);

// ---------------------------------------------------------------------------------------------
// remote paths

/// Normalizes a remote path to "/a/b" ("/" for the root); nullopt with `error` for NUL or "..".
std::optional<std::string> normalize_remote_path(std::string_view text, std::string& error);
/// normalize_remote_path of `text` into `path`; nullopt, or the exit_usage status that says why
/// the path is refused.
std::optional<fs_status> normalize_into(const std::string& text, std::string& path);
/// "dir/name" ("/name" in the root).
std::string join_remote(const std::string& dir, const std::string& name);
/// The last segment of a path.
std::string remote_basename(const std::string& path);

/// A file or directory as the commands show it.
struct fs_entry {
  std::string path;  ///< normalized remote path
  bool directory = false;
  std::uint64_t size = 0;  ///< 0 for directories
  std::optional<std::int64_t> modified;
};

/// `fs ls|stat -o json`: {"path","kind":"file|directory","size","modified": RFC 3339 or null}.
nlohmann::ordered_json to_json(const fs_entry& entry);
/// The modification time as RFC 3339, or "-" when the server did not say.
std::string modified_text(const fs_entry& entry);

/// Picks out of a PROPFIND answer for `path` (entries not empty) the entry itself (the shortest
/// href) and, when `children` is given, the entries one segment deeper, named by their last
/// segment under `path` and sorted by path ("", ".", ".." and names with NUL are skipped).
fs_entry select_entries(const std::string& path, const std::vector<api::dav_entry>& entries,
                        std::vector<fs_entry>* children);

// ---------------------------------------------------------------------------------------------
// one request

/// What came back from one request.
struct fs_response {
  int status = 0;     ///< 0: no response, see error
  std::string error;  ///< transport failure (no response, or the body broke off)
  transport::http_stream_head head;
  std::string body;  ///< the text body when no sink took it
  bool sink_failed = false;
  boost::system::error_code sink_error;  ///< what the sink failed with
  std::uint64_t body_bytes = 0;
};

/// One request to run; `sink` (when set) takes a 2xx body, else the body is read as text.
struct fs_request {
  transport::http_stream_request http;
  const transport::body_sink* sink = nullptr;
  /// Called with the response head before any body byte goes to `sink`.
  std::function<void(const transport::http_stream_head&)> on_head;
};

/// Why a request failed, as a sentence about `path` and an exit code: no answer (255), a body
/// that broke off (255), 401/403 (4), 404 (3, or 1 when the server serves no files), ...
fs_status describe_failure(const fs_endpoint& endpoint, const fs_response& response,
                           const std::string& path);

// ---------------------------------------------------------------------------------------------
// the client

/// Progress of one transfer (the CLI draws it).
class fs_progress {
 public:
  virtual ~fs_progress() = default;
  virtual void add(std::uint64_t bytes) = 0;
  virtual void finish() = 0;
};

struct fs_client_options {
  transport::http_stream_options http;
  /// Makes the progress of a transfer of `label` (`total` bytes when known); unset or returning
  /// null: none.
  std::function<std::unique_ptr<fs_progress>(const std::string& label,
                                             std::optional<std::uint64_t> total)>
      progress;
  /// Told what a tree copy skips (symlinks, special files); unset: quiet.
  std::function<void(const std::string&)> warn;
};

class fs_client {
 public:
  fs_client(fs_endpoint endpoint, fs_client_options options);

  const fs_endpoint& endpoint() const { return endpoint_; }
  const fs_client_options& options() const { return options_; }

  /// The request target for a normalized remote path.
  std::string target_of(const std::string& path) const;
  /// Runs one request to completion (the token is added here).
  fs_response run(fs_request& request);
  /// A request with a small (or no) body; the response body is read as text.
  fs_response call(std::string method, const std::string& path,
                   std::vector<transport::http_header> headers = {}, std::string body = {});

  // stat, list, read, write_stdin, mkdir, remove and move take remote paths as users type them:
  // normalized first (normalize_into), a refused one ends the operation with exit_usage.

  /// PROPFIND Depth 0: the entry itself.
  fs_status stat(const std::string& path, fs_entry& self);
  /// PROPFIND Depth 1: the entry and (a directory's) children sorted by name.
  fs_status list(const std::string& path, fs_entry& self, std::vector<fs_entry>& children);
  /// PROPFIND with Depth 0 or 1. A 404 sets `*not_found`; with `report_not_found` false it is
  /// exit_not_found without a message.
  fs_status propfind(const std::string& path, int depth, fs_entry& self,
                     std::vector<fs_entry>* children, bool report_not_found = true,
                     bool* not_found = nullptr);

  /// GET a file (or the byte range from `offset`, at most `length` bytes) into `out`. A server
  /// that ignores Range is cut down here; a range past the end reads nothing.
  fs_status read(const std::string& path, std::optional<std::uint64_t> offset,
                 std::optional<std::uint64_t> length, const transport::body_sink& out);
  /// PUT what is left to read from `fd` (Content-Length when it is a regular file, chunked
  /// otherwise). `label` names the source in messages and progress ("": no progress).
  fs_status put_from_fd(int fd, const std::string& remote, const std::string& label);
  /// `fs write`: PUT stdin to `path` (not the root).
  fs_status write_stdin(const std::string& path);
  /// MKCOL; with `parents` each missing ancestor too and an existing directory is fine.
  fs_status mkdir(const std::string& path, bool parents);
  /// MKCOL of one collection; an existing directory is fine when `exist_ok`.
  fs_status make_collection(const std::string& path, bool exist_ok);
  /// DELETE; a directory only when `recursive`.
  fs_status remove(const std::string& path, bool recursive);
  /// MOVE `from` to `to`; `no_clobber`: fail when `to` exists.
  fs_status move(const std::string& from, const std::string& to, bool no_clobber);

  /// The status for a response whose body went to a local sink (`local_what` names it).
  fs_status finish_download(const fs_response& r, const std::string& path,
                            const std::string& local_what) const;
  /// Tells options().warn, if set.
  void warn(const std::string& message) const;

 private:
  fs_endpoint endpoint_;
  fs_client_options options_;
};

}  // namespace rstream::client
