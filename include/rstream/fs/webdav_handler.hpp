// webdav_handler: the filesystem sidecar's HTTP side. Serves a WebDAV subset (OPTIONS, PROPFIND
// with Depth 0 and 1, GET with a single Range, HEAD, PUT, MKCOL, DELETE, MOVE) for one root,
// over transport::http_exchange, with every path confined by confined_root. Files stream in
// 64 KiB pieces both ways; uploads are atomic (temporary file, fsync, rename) and bounded by
// max_upload. Errors are answered as {"error":{"code":...,"message":...}} with a 4xx/5xx status;
// a refused request never changes anything on disk. See docs/fs.md.
//
// Thread-safety: one handler may serve many exchanges at once, on any threads (its state is
// immutable after construction). File I/O is blocking and runs on the caller's thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "rstream/fs/confined_root.hpp"
#include "rstream/transport/http.hpp"

namespace rstream::fs {

struct fs_options {
  std::filesystem::path root;                         ///< the served directory
  bool read_only = false;                             ///< every write method answers 403
  std::uint64_t max_upload = 64 * 1024 * 1024;        ///< PUT bodies beyond this answer 413
  std::string url_prefix = "/fs";                     ///< where the root appears in URLs (hrefs)
  resolve_mode resolution = resolve_mode::automatic;  ///< tests force the component walk
};

class webdav_handler {
 public:
  /// Does not touch the filesystem; ready() / open_error() tell whether the root opened.
  explicit webdav_handler(fs_options options);

  /// True when the root was opened; otherwise every request answers 500 with open_error().
  bool ready() const { return root_.has_value(); }
  const std::string& open_error() const { return open_error_; }
  const fs_options& options() const { return options_; }

  /// Answers one request. `path_below_prefix` is the request path after url_prefix, still
  /// percent-encoded, without the query: "" or "/" for the root, "/dir/a%20b.txt" below it.
  /// The handler, the exchange and the text behind `path_below_prefix` must outlive the
  /// returned awaitable.
  boost::asio::awaitable<void> handle(transport::http_exchange& exchange,
                                      std::string_view path_below_prefix) const;

 private:
  boost::asio::awaitable<void> options_method(transport::http_exchange& exchange) const;
  boost::asio::awaitable<void> propfind(transport::http_exchange& exchange,
                                        const std::string& path) const;
  boost::asio::awaitable<void> get(transport::http_exchange& exchange, const std::string& path,
                                   bool head) const;
  boost::asio::awaitable<void> put(transport::http_exchange& exchange,
                                   const std::string& path) const;
  boost::asio::awaitable<void> mkcol(transport::http_exchange& exchange,
                                     const std::string& path) const;
  boost::asio::awaitable<void> remove(transport::http_exchange& exchange,
                                      const std::string& path) const;
  boost::asio::awaitable<void> move(transport::http_exchange& exchange,
                                    const std::string& path) const;

  /// external prefix (where a proxy shows this server, usually empty) + "/fs" +
  /// percent-encoded relative path (+ "/" for directories).
  std::string href(const std::string& relative, bool directory,
                   std::string_view external_prefix) const;

  fs_options options_;
  std::optional<confined_root> root_;
  std::string open_error_;
};

}  // namespace rstream::fs
