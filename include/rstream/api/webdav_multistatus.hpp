// The WebDAV multistatus body (RFC 4918 §13), the answer to PROPFIND, written and read in one
// place: the server's WebDAV handler writes it with the writer below, the fs client reads a
// server's answer (untrusted bytes) with parse_multistatus(). Also the two text forms of a date
// the body carries and the XML escaping of its text.
//
// The reader is a small hand-written XML scanner, not a general parser: it matches elements by
// local name only (our server uses DAV: throughout), refuses a DOCTYPE, bounds nesting, and keeps
// of each <D:response> only the properties the fs client needs (resourcetype, getcontentlength,
// getlastmodified) from propstats whose status is 200.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rstream::api {

// ---------------------------------------------------------------------------------------------
// writer

/// What opens a multistatus body: the XML declaration and <D:multistatus xmlns:D="DAV:">.
inline constexpr std::string_view multistatus_open =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:multistatus xmlns:D=\"DAV:\">\n";
/// What closes it.
inline constexpr std::string_view multistatus_close = "</D:multistatus>\n";

/// Escapes &, <, >, " and ' for XML text and attribute values.
std::string xml_escape(std::string_view text);

/// One DAV: property element: <D:NAME/> when `value_xml` is empty, else <D:NAME>VALUE</D:NAME>.
/// `value_xml` is XML already (escape text with xml_escape).
std::string dav_property(std::string_view name, std::string_view value_xml);

/// Appends one <D:response> for `href` (escaped here) and a newline: a 200 propstat holding
/// `found` (property elements) when it is not empty or `always_found`, then a 404 propstat
/// holding `missing` when that is not empty.
void append_multistatus_response(std::string& out, std::string_view href, std::string_view found,
                                 std::string_view missing, bool always_found);

/// "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 1123 / IMF-fixdate) for seconds since the epoch; the
/// form of DAV:getlastmodified and of Last-Modified.
std::string http_date(std::int64_t unix_seconds);
/// "1994-11-06T08:49:37Z" (RFC 3339), for DAV:creationdate.
std::string rfc3339_date(std::int64_t unix_seconds);

// ---------------------------------------------------------------------------------------------
// reader

/// Longest nesting of elements the reader follows.
inline constexpr std::size_t max_multistatus_depth = 64;

/// One <D:response> with a 200 propstat.
struct dav_entry {
  std::string href_path;  ///< the href's percent-decoded path, without trailing slashes
  bool directory = false;
  std::uint64_t size = 0;
  std::optional<std::int64_t> modified;  ///< seconds since the epoch
};

/// What parse_multistatus() read: the entries, or why the body could not be read.
struct multistatus_reading {
  std::vector<dav_entry> entries;
  std::string error;  ///< empty when the body was read
  bool ok() const { return error.empty(); }
};

/// Reads a DAV:multistatus: one entry per response with an href and a 200 propstat, in body
/// order. An error (with a sentence about "the server's answer") for a DOCTYPE, a tag that does
/// not end, mismatched or unclosed elements, or nesting past max_multistatus_depth.
multistatus_reading parse_multistatus(std::string_view body);

/// Reads an http_date() ("Sun, 06 Nov 1994 08:49:37" and anything after); nullopt otherwise.
std::optional<std::int64_t> parse_http_date(const std::string& text);

/// Replaces the five named XML entities and numeric references (&#N; &#xH;, as UTF-8); an
/// unknown or unterminated reference stays as it is.
std::string decode_xml_entities(std::string_view text);

}  // namespace rstream::api
