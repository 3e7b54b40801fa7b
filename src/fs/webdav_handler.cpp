// webdav_handler: WebDAV methods on top of confined_root and transport::http_exchange.
#include "rstream/fs/webdav_handler.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <span>
#include <nlohmann/json.hpp>
#include <vector>

#include "rstream/fs/webdav_parse.hpp"
#include "rstream/api/error_reply.hpp"
#include "rstream/base/percent.hpp"

namespace asio = boost::asio;

namespace rstream::fs {
namespace {

using transport::http_exchange;
using transport::http_header;

/// Size of one piece of a streamed file, both ways.
constexpr std::size_t stream_piece = 256 * 1024;

constexpr std::string_view all_methods = "OPTIONS, PROPFIND, GET, HEAD, PUT, MKCOL, DELETE, MOVE";
constexpr std::string_view read_methods = "OPTIONS, PROPFIND, GET, HEAD";

bool is_write_method(std::string_view method) {
  return method == "PUT" || method == "MKCOL" || method == "DELETE" || method == "MOVE";
}

bool is_read_method(std::string_view method) {
  return method == "OPTIONS" || method == "PROPFIND" || method == "GET" || method == "HEAD";
}

bool has_body(const transport::http_request& request) {
  return request.chunked || (request.content_length && *request.content_length > 0);
}

/// The status for a refused path or operation (methods override a few).
int status_for(errc code) {
  switch (code) {
    case errc::ok:
      return 200;
    case errc::invalid_path:
      return 400;
    case errc::escapes_root:
    case errc::forbidden:
    case errc::symlink_loop:
      return 403;
    case errc::not_found:
    case errc::not_directory:
      return 404;
    case errc::is_directory:
      return 405;
    case errc::parent_missing:
      return 409;
    case errc::exists:
      return 412;
    case errc::too_large:
      return 413;
    case errc::no_space:
      return 507;
    case errc::io_error:
      return 500;
  }
  return 500;
}

/// Answers an error; the connection closes when the request body was left unread (it may be
/// large, and draining it would only delay the answer's effect).
asio::awaitable<void> refuse(http_exchange& exchange, int status, std::string_view code,
                             std::string_view message) {
  if (has_body(exchange.request())) exchange.close_after_response();
  co_await exchange.respond_error(status, code, message);
}

asio::awaitable<void> refuse(http_exchange& exchange, const error& e) {
  co_await refuse(exchange, status_for(e.code), to_string(e.code), e.message);
}

asio::awaitable<void> refuse_with_allow(http_exchange& exchange, int status, std::string_view code,
                                        std::string_view message, std::string_view allow) {
  if (has_body(exchange.request())) exchange.close_after_response();
  const std::string body = api::error_envelope(code, message);
  std::vector<http_header> extra{{"Allow", std::string(allow)}};
  co_await exchange.respond(status, "application/json", body, std::move(extra));
}

std::string etag_for(const entry_info& info) {
  char text[80];
  const auto modified_ns =
      static_cast<std::uint64_t>(info.modified_seconds) * 1000000000ULL + info.modified_nanoseconds;
  std::snprintf(
      text, sizeof text, "\"%llx-%llx-%llx\"", static_cast<unsigned long long>(info.inode),
      static_cast<unsigned long long>(info.size), static_cast<unsigned long long>(modified_ns));
  return text;
}

std::string leaf_of(const std::string& relative) {
  const auto slash = relative.rfind('/');
  return slash == std::string::npos ? relative : relative.substr(slash + 1);
}

/// The live properties this server knows, in allprop order.
constexpr std::array<std::string_view, 6> live_properties = {"displayname",      "resourcetype",
                                                             "getcontentlength", "getlastmodified",
                                                             "creationdate",     "getetag"};

/// The value of a DAV: property for one entry, as XML ("" content allowed); nullopt when the
/// entry does not have it (getcontentlength of a directory, creationdate without birth time).
std::optional<std::string> property_value(std::string_view name, const std::string& relative,
                                          const entry_info& info) {
  const bool directory = info.kind == entry_kind::directory;
  if (name == "displayname") return xml_escape(leaf_of(relative));
  if (name == "resourcetype") return directory ? std::string("<D:collection/>") : std::string();
  if (name == "getcontentlength") {
    if (directory) return std::nullopt;
    return std::to_string(info.size);
  }
  if (name == "getlastmodified") return http_date(info.modified_seconds);
  if (name == "creationdate") {
    if (!info.created_seconds) return std::nullopt;
    return rfc3339_date(*info.created_seconds);
  }
  if (name == "getetag") return xml_escape(etag_for(info));
  return std::nullopt;
}

/// An empty element for a property name, in its own namespace.
std::string property_element(const property_name& property) {
  if (property.ns == "DAV:") return "<D:" + property.name + "/>";
  if (property.ns.empty()) return "<" + property.name + " xmlns=\"\"/>";
  return "<R:" + property.name + " xmlns:R=\"" + xml_escape(property.ns) + "\"/>";
}

/// One <D:response> of a multistatus.
void append_response(std::string& out, const std::string& href, const std::string& relative,
                     const entry_info& info, const propfind_request& request) {
  std::string found, missing;
  const auto add = [&](const property_name& property) {
    std::optional<std::string> value;
    if (property.ns == "DAV:") value = property_value(property.name, relative, info);
    if (!value) {
      missing += property_element(property);
    } else {
      found += api::dav_property(property.name, *value);
    }
  };
  switch (request.what) {
    case propfind_request::kind::allprop:
      for (auto name : live_properties) {
        const property_name property{"DAV:", std::string(name)};
        if (property_value(name, relative, info)) add(property);
      }
      break;
    case propfind_request::kind::propname:
      for (auto name : live_properties) {
        if (property_value(name, relative, info)) found += api::dav_property(name, {});
      }
      break;
    case propfind_request::kind::prop:
      for (const auto& property : request.props) add(property);
      break;
  }
  api::append_multistatus_response(out, href, found, missing,
                                   request.what != propfind_request::kind::prop);
}

std::span<const std::uint8_t> as_bytes(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

/// Decodes and normalises a percent-encoded path below the prefix.
result<std::string> relative_path(std::string_view encoded) {
  std::string decoded;
  if (!base::percent_decode(encoded, decoded)) {
    return fail(errc::invalid_path, "malformed percent-encoding in the path");
  }
  return normalize_path(decoded);
}

}  // namespace

webdav_handler::webdav_handler(fs_options options) : options_(std::move(options)) {
  while (options_.url_prefix.size() > 1 && options_.url_prefix.back() == '/') {
    options_.url_prefix.pop_back();
  }
  if (options_.url_prefix == "/") options_.url_prefix.clear();
  auto root = confined_root::open(options_.root, options_.resolution);
  if (root) {
    root_.emplace(std::move(root.value()));
  } else {
    open_error_ = root.error().message;
  }
}

std::string webdav_handler::href(const std::string& relative, bool directory,
                                 std::string_view external_prefix) const {
  std::string out = std::string(external_prefix) + options_.url_prefix + "/" +
                    base::percent_encode_path(relative);
  if (directory && out.back() != '/') out += '/';
  return out;
}

asio::awaitable<void> webdav_handler::handle(http_exchange& exchange,
                                             std::string_view path_below_prefix) const {
  const std::string& method = exchange.request().method;
  if (!root_) {
    co_await refuse(exchange, 500, "unavailable", "the served root could not be opened");
    co_return;
  }
  if (!is_read_method(method) && !is_write_method(method)) {
    const std::string message = "method " + method + " is not supported here";
    co_await refuse_with_allow(exchange, 405, "method_not_allowed", message,
                               options_.read_only ? read_methods : all_methods);
    co_return;
  }
  if (options_.read_only && is_write_method(method)) {
    co_await refuse(exchange, 403, "read_only", "read-only filesystem");
    co_return;
  }
  if (method == "OPTIONS") {
    co_await options_method(exchange);
    co_return;
  }
  auto path = relative_path(path_below_prefix);
  if (!path) {
    co_await refuse(exchange, path.error());
    co_return;
  }
  if (method == "PROPFIND") {
    co_await propfind(exchange, path.value());
  } else if (method == "GET" || method == "HEAD") {
    co_await get(exchange, path.value(), method == "HEAD");
  } else if (method == "PUT") {
    co_await put(exchange, path.value());
  } else if (method == "MKCOL") {
    co_await mkcol(exchange, path.value());
  } else if (method == "DELETE") {
    co_await remove(exchange, path.value());
  } else {
    co_await move(exchange, path.value());
  }
}

asio::awaitable<void> webdav_handler::options_method(http_exchange& exchange) const {
  std::vector<http_header> headers{
      {"DAV", "1"},
      {"Allow", std::string(options_.read_only ? read_methods : all_methods)},
      {"MS-Author-Via", "DAV"},
      {"Accept-Ranges", "bytes"},
  };
  co_await exchange.write_head(200, headers, 0);
}

asio::awaitable<void> webdav_handler::propfind(http_exchange& exchange,
                                               const std::string& path) const {
  // RFC 4918 §9.1 makes a missing Depth mean infinity; infinity is not served, so a missing
  // Depth is answered as Depth 1 (what clients that omit it expect from a listing).
  depth requested = depth::one;
  if (const std::string* header = exchange.request().header("Depth")) {
    const auto parsed = parse_depth(*header);
    if (!parsed) {
      co_await refuse(exchange, 400, "invalid_depth", "Depth must be 0, 1 or infinity");
      co_return;
    }
    requested = *parsed;
  }
  if (requested == depth::infinity) {
    co_await refuse(exchange, 403, "depth_infinity",
                    "PROPFIND with Depth: infinity is not supported; use Depth 0 or 1");
    co_return;
  }

  auto body = co_await exchange.read_body(max_propfind_body);
  if (body.what == transport::body_result::kind::too_large) {
    co_await refuse(exchange, 413, "too_large", "the PROPFIND body is too large");
    co_return;
  }
  if (body.what == transport::body_result::kind::failed) {
    exchange.close_after_response();
    co_await exchange.respond_error(400, "bad_body", body.error);
    co_return;
  }
  propfind_request request;
  std::string parse_error;
  if (!parse_propfind(body.body, request, parse_error)) {
    co_await refuse(exchange, 400, "malformed_xml", parse_error);
    co_return;
  }

  auto info = root_->stat(path);
  if (!info) {
    co_await refuse(exchange, info.error());
    co_return;
  }
  if (info->kind == entry_kind::other) {
    co_await refuse(exchange, 403, "forbidden", "not a regular file or directory");
    co_return;
  }
  std::vector<directory_entry> children;
  if (info->kind == entry_kind::directory && requested == depth::one) {
    auto listed = root_->list(path);
    if (!listed) {
      co_await refuse(exchange, listed.error());
      co_return;
    }
    children = std::move(listed.value());
  }

  // Streamed in pieces: a large directory never becomes one large string.
  std::vector<http_header> headers{{"Content-Type", "application/xml; charset=utf-8"},
                                   {"Cache-Control", "no-store"}};
  auto ec = co_await exchange.write_head(207, headers, std::nullopt);
  if (ec) co_return;
  std::string out(api::multistatus_open);
  const bool self_is_directory = info->kind == entry_kind::directory;
  append_response(out, href(path, self_is_directory, exchange.request().external_prefix), path,
                  info.value(), request);
  for (const auto& child : children) {
    const std::string child_path = path.empty() ? child.name : path + "/" + child.name;
    const bool child_is_directory = child.info.kind == entry_kind::directory;
    append_response(out, href(child_path, child_is_directory, exchange.request().external_prefix),
                    child_path, child.info, request);
    if (out.size() >= stream_piece) {
      const auto piece = as_bytes(out);
      ec = co_await exchange.write_body(piece);
      if (ec) co_return;
      out.clear();
    }
  }
  out += api::multistatus_close;
  const auto last_piece = as_bytes(out);
  ec = co_await exchange.write_body(last_piece);
  if (ec) co_return;
  co_await exchange.end_body();
}

asio::awaitable<void> webdav_handler::get(http_exchange& exchange, const std::string& path,
                                          bool head) const {
  auto file = root_->open_file(path);
  if (!file) {
    if (file.code() == errc::is_directory) {
      co_await refuse_with_allow(exchange, 405, "is_directory",
                                 "is a directory: list it with PROPFIND",
                                 "OPTIONS, PROPFIND, MKCOL, DELETE, MOVE");
    } else {
      co_await refuse(exchange, file.error());
    }
    co_return;
  }
  auto info = stat_descriptor(file->get());
  if (!info) {
    co_await refuse(exchange, info.error());
    co_return;
  }
  const std::string etag = etag_for(info.value());
  range_decision range;
  if (const std::string* header = exchange.request().header("Range")) {
    range = parse_range(*header, info->size);
    // If-Range with a validator that no longer matches: the whole file, as RFC 9110 asks.
    const std::string* if_range = exchange.request().header("If-Range");
    if (if_range && *if_range != etag && *if_range != http_date(info->modified_seconds)) {
      range = range_decision{};
    }
  }
  std::vector<http_header> headers{{"Content-Type", "application/octet-stream"},
                                   {"Accept-Ranges", "bytes"},
                                   {"ETag", etag},
                                   {"Last-Modified", http_date(info->modified_seconds)}};
  if (range.what == range_decision::kind::unsatisfiable) {
    const std::string message =
        "the range is outside the file (" + std::to_string(info->size) + " bytes)";
    const std::string body = api::error_envelope("range_not_satisfiable", message);
    std::vector<http_header> extra{{"Content-Range", "bytes */" + std::to_string(info->size)}};
    co_await exchange.respond(416, "application/json", body, std::move(extra));
    co_return;
  }
  std::uint64_t offset = 0;
  std::uint64_t remaining = info->size;
  int status = 200;
  if (range.what == range_decision::kind::partial) {
    status = 206;
    offset = range.range.first;
    remaining = range.range.length;
    headers.push_back({"Content-Range", "bytes " + std::to_string(offset) + "-" +
                                            std::to_string(offset + remaining - 1) + "/" +
                                            std::to_string(info->size)});
  }
  auto ec = co_await exchange.write_head(status, headers, remaining);
  if (ec || head) co_return;

  std::vector<std::uint8_t> buffer(stream_piece);
  while (remaining > 0) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, buffer.size()));
    const auto n = ::pread(file->get(), buffer.data(), want, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // The file shrank or failed under us: the promised length cannot be kept, so the
      // connection ends and the client sees a short body.
      exchange.close_after_response();
      co_return;
    }
    const std::span<const std::uint8_t> piece(buffer.data(), static_cast<std::size_t>(n));
    ec = co_await exchange.write_body(piece);
    if (ec) co_return;
    offset += static_cast<std::uint64_t>(n);
    remaining -= static_cast<std::uint64_t>(n);
  }
}

asio::awaitable<void> webdav_handler::put(http_exchange& exchange, const std::string& path) const {
  const auto& request = exchange.request();
  if (request.content_length && *request.content_length > options_.max_upload) {
    const std::string message =
        "the upload is larger than the limit of " + std::to_string(options_.max_upload) + " bytes";
    co_await refuse(exchange, 413, "too_large", message);
    co_return;
  }
  if (path.empty()) {
    co_await refuse_with_allow(exchange, 405, "is_directory", "cannot PUT the served root",
                               "OPTIONS, PROPFIND, MKCOL");
    co_return;
  }
  auto pending = root_->create_pending(path);
  if (!pending) {
    if (pending.code() == errc::is_directory) {
      co_await refuse_with_allow(exchange, 405, "is_directory", pending.error().message,
                                 "OPTIONS, PROPFIND, MKCOL, DELETE, MOVE");
    } else {
      co_await refuse(exchange, pending.error());
    }
    co_return;
  }
  std::vector<std::uint8_t> buffer(stream_piece);
  std::uint64_t received = 0;
  while (true) {
    const std::span<std::uint8_t> into(buffer);
    auto [ec, n] = co_await exchange.read_body_some(into);
    if (ec) {
      // The temporary file goes before the answer; the target is untouched.
      pending->discard();
      const std::string message = "the upload failed: " + ec.message();
      exchange.close_after_response();
      co_await exchange.respond_error(400, "upload_failed", message);
      co_return;
    }
    if (n == 0) break;
    received += n;
    if (received > options_.max_upload) {
      pending->discard();  // before the answer: a client that sees 413 sees nothing on disk
      const std::string message = "the upload is larger than the limit of " +
                                  std::to_string(options_.max_upload) + " bytes";
      exchange.close_after_response();
      co_await exchange.respond_error(413, "too_large", message);
      co_return;
    }
    auto written = pending->write(std::span<const std::uint8_t>(buffer.data(), n));
    if (!written) {
      pending->discard();
      exchange.close_after_response();
      co_await refuse(exchange, written.error());
      co_return;
    }
  }
  auto committed = pending->commit();
  if (!committed) {
    co_await refuse(exchange, committed.error());
    co_return;
  }
  const std::vector<http_header> headers;
  co_await exchange.write_head(committed.value() ? 204 : 201, headers, 0);
}

asio::awaitable<void> webdav_handler::mkcol(http_exchange& exchange,
                                            const std::string& path) const {
  if (has_body(exchange.request())) {
    co_await refuse(exchange, 415, "unsupported_body",
                    "MKCOL with a request body is not supported");
    co_return;
  }
  auto made = root_->make_directory(path);
  if (!made) {
    if (made.code() == errc::exists) {
      co_await refuse_with_allow(exchange, 405, "exists", "something already exists there",
                                 "OPTIONS, PROPFIND, GET, HEAD, PUT, DELETE, MOVE");
    } else {
      co_await refuse(exchange, made.error());
    }
    co_return;
  }
  const std::vector<http_header> headers;
  co_await exchange.write_head(201, headers, 0);
}

asio::awaitable<void> webdav_handler::remove(http_exchange& exchange,
                                             const std::string& path) const {
  if (path.empty()) {
    co_await refuse(exchange, 403, "forbidden", "the served root cannot be deleted");
    co_return;
  }
  auto removed = root_->remove(path);
  if (!removed) {
    co_await refuse(exchange, removed.error());
    co_return;
  }
  const std::vector<http_header> headers;
  co_await exchange.write_head(204, headers, 0);
}

asio::awaitable<void> webdav_handler::move(http_exchange& exchange, const std::string& path) const {
  const auto& request = exchange.request();
  const std::string* destination_header = request.header("Destination");
  if (!destination_header) {
    co_await refuse(exchange, 400, "missing_destination", "MOVE needs a Destination header");
    co_return;
  }
  // Through an engine the client names the destination as it sees it (external prefix).
  const std::string seen_prefix = request.external_prefix + options_.url_prefix;
  const auto below = destination_below_prefix(*destination_header, seen_prefix);
  if (!below) {
    const std::string message = "the Destination must be a URL or path below " +
                                (seen_prefix.empty() ? std::string("/") : seen_prefix);
    co_await refuse(exchange, 400, "bad_destination", message);
    co_return;
  }
  auto destination = relative_path(*below);
  if (!destination) {
    co_await refuse(exchange, destination.error());
    co_return;
  }
  bool overwrite = true;
  if (const std::string* header = request.header("Overwrite")) {
    if (*header == "T" || *header == "t") {
      overwrite = true;
    } else if (*header == "F" || *header == "f") {
      overwrite = false;
    } else {
      co_await refuse(exchange, 400, "bad_overwrite", "Overwrite must be T or F");
      co_return;
    }
  }
  if (path.empty()) {
    co_await refuse(exchange, 403, "forbidden", "the served root cannot be moved");
    co_return;
  }
  auto moved = root_->move(path, destination.value(), overwrite);
  if (!moved) {
    co_await refuse(exchange, moved.error());
    co_return;
  }
  const std::vector<http_header> headers;
  co_await exchange.write_head(moved.value() ? 204 : 201, headers, 0);
}

}  // namespace rstream::fs
