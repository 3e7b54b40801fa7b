// Percent-encoding (RFC 3986 §2.1) for URL paths, query values and cookie values, and its
// decoding. The one implementation: the CLI's URL building, the WebDAV hrefs, the login cookie
// and every server-side path and query parser use these.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace rstream::base {

/// Every byte but the unreserved ones (ALPHA DIGIT - . _ ~) as %XX (upper-case hex): a path
/// segment, a query value or a cookie value.
std::string percent_encode(std::string_view text);

/// The same, but '/' is kept: a whole path whose segments are already separated.
std::string percent_encode_path(std::string_view path);

/// Decodes %XX sequences (other bytes are copied as they are; '+' is not a space). False when a
/// '%' is not followed by two hex digits; `out` is then unspecified.
bool percent_decode(std::string_view in, std::string& out);

}  // namespace rstream::base
