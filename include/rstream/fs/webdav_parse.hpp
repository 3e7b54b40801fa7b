// The pure parts of the WebDAV sidecar, free of Asio and of the filesystem so that a fuzz target
// can drive them: URL path normalisation into a path under the served root, the PROPFIND body
// (a small hand-written XML reader that refuses DTDs) and the Depth, Range and Destination
// headers. The multistatus writer, XML escaping and dates are api/webdav_multistatus.hpp's.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rstream/api/webdav_multistatus.hpp"
#include "rstream/base/utf8.hpp"
#include "rstream/fs/fs_error.hpp"

namespace rstream::fs {

/// Longest path (after decoding) and longest single name that normalize_path accepts.
inline constexpr std::size_t max_path_bytes = 4096;
inline constexpr std::size_t max_name_bytes = 255;

/// Strict UTF-8 (base/utf8.hpp).
using base::is_valid_utf8;

/// Turns a percent-decoded URL path below the prefix ("/a//b/./c", "", "/") into a path relative
/// to the root: "" for the root itself, else "a/b/c" (no empty, "." or ".." segments). Repeated
/// and trailing slashes and "." segments collapse; a leading slash is optional. Refused:
/// NUL bytes and invalid UTF-8 (invalid_path), names or paths that are too long (invalid_path),
/// and any ".." segment (escapes_root), even one that would stay inside the root.
result<std::string> normalize_path(std::string_view decoded);

/// Escapes &, <, >, " and ' for XML text and attribute values (api/webdav_multistatus.hpp).
using api::xml_escape;

/// The Depth header of a PROPFIND.
enum class depth { zero, one, infinity };
/// "0", "1" or "infinity" (case-insensitive, surrounding blanks allowed); nullopt otherwise.
std::optional<depth> parse_depth(std::string_view value);

/// A property named in a PROPFIND body: its namespace URI (may be empty) and local name.
struct property_name {
  std::string ns;
  std::string name;
  bool operator==(const property_name&) const = default;
};

/// What a PROPFIND asks for.
struct propfind_request {
  enum class kind { allprop, propname, prop };
  kind what = kind::allprop;
  std::vector<property_name> props;  ///< for kind::prop, in request order
};

/// Longest PROPFIND body read; longer bodies are answered 413.
inline constexpr std::size_t max_propfind_body = 64 * 1024;

/// Parses a PROPFIND body. An empty (or all-blank) body means allprop (RFC 4918 §9.1). False
/// with a message for malformed XML (unbalanced tags, unbound prefixes, bad references, a
/// DOCTYPE, nesting past 32 levels, ...) and for a well-formed body that is not a DAV:propfind
/// with exactly one of allprop, propname or prop.
bool parse_propfind(std::string_view body, propfind_request& out, std::string& error);

/// One satisfiable byte range of a representation of known size.
struct byte_range {
  std::uint64_t first = 0;
  std::uint64_t length = 0;
};

/// What a Range header asks of a representation of `size` bytes.
struct range_decision {
  enum class kind { whole, partial, unsatisfiable };
  kind what = kind::whole;
  byte_range range;  ///< for partial
};

/// Parses "bytes=a-b", "bytes=a-" and "bytes=-n" against `size`. Syntax that is not one of
/// those (other units, several ranges, garbage, b < a) is ignored as RFC 9110 allows: whole.
/// A first byte at or past the end, or a zero-length suffix, is unsatisfiable (416).
range_decision parse_range(std::string_view header, std::uint64_t size);

/// The part of a Destination header (an absolute URL or an absolute path) below `prefix`, still
/// percent-encoded and without query or fragment: "http://h:1/fs/a%20b" with prefix "/fs" gives
/// "/a%20b". nullopt when the path is not `prefix` itself or below it.
std::optional<std::string> destination_below_prefix(std::string_view destination,
                                                    std::string_view prefix);

/// The dates of responses: RFC 1123 (getlastmodified, Last-Modified) and RFC 3339
/// (creationdate), written by the multistatus writer (api/webdav_multistatus.hpp).
using api::http_date;
using api::rfc3339_date;

}  // namespace rstream::fs
