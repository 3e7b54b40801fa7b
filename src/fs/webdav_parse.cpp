// The pure parts of the WebDAV sidecar: path normalisation, the PROPFIND body reader, the
// Depth / Range / Destination headers. No Asio, no filesystem.
#include "rstream/fs/webdav_parse.hpp"

namespace rstream::fs {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  return text;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// Digits only, at least one; false on anything else. `overflow` is set past UINT64_MAX.
bool parse_u64(std::string_view text, std::uint64_t& value, bool& overflow) {
  if (text.empty()) return false;
  value = 0;
  overflow = false;
  for (char c : text) {
    if (!is_digit(c)) return false;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) {
      overflow = true;
      value = UINT64_MAX;
    } else if (!overflow) {
      value = value * 10 + digit;
    }
  }
  return true;
}

// ---- the PROPFIND XML reader ----

constexpr std::string_view dav_ns = "DAV:";
constexpr std::string_view xml_ns = "http://www.w3.org/XML/1998/namespace";
constexpr int max_xml_depth = 32;
constexpr std::size_t max_xml_elements = 4096;

struct xml_element {
  std::string ns;
  std::string local;
  std::vector<xml_element> children;
};

/// A non-validating reader for the subset of XML a PROPFIND body uses: elements, attributes,
/// namespaces, text, comments, processing instructions and CDATA. DOCTYPEs (and with them
/// entity definitions) are refused.
class xml_reader {
 public:
  explicit xml_reader(std::string_view text) : text_(text) {}

  bool read_document(xml_element& root, std::string& error) {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
    if (!is_valid_utf8(text_)) return fail(error, "the body is not valid UTF-8");
    if (!skip_misc(error)) return false;
    if (at_end() || text_[pos_] != '<') return fail(error, "expected the root element");
    if (!read_element(root, 1, error)) return false;
    if (!skip_misc(error)) return false;
    if (!at_end()) return fail(error, "content after the root element");
    return true;
  }

 private:
  struct binding {
    std::string prefix;  ///< empty: the default namespace
    std::string uri;
  };

  bool at_end() const { return pos_ >= text_.size(); }
  bool starts_with(std::string_view s) const { return text_.substr(pos_, s.size()) == s; }
  void skip_blanks() {
    while (!at_end() && is_blank(text_[pos_])) ++pos_;
  }
  bool fail(std::string& error, std::string message) const {
    error = "malformed XML at byte " + std::to_string(pos_) + ": " + std::move(message);
    return false;
  }

  /// Skips past `terminator`; false when the input ends first.
  bool skip_past(std::string_view terminator) {
    const auto end = text_.find(terminator, pos_);
    if (end == std::string_view::npos) return false;
    pos_ = end + terminator.size();
    return true;
  }

  /// Blanks, comments and processing instructions (including the XML declaration).
  bool skip_misc(std::string& error) {
    while (true) {
      skip_blanks();
      if (starts_with("<!--")) {
        if (!skip_past("-->")) return fail(error, "unterminated comment");
      } else if (starts_with("<?")) {
        if (!skip_past("?>")) return fail(error, "unterminated processing instruction");
      } else if (starts_with("<!")) {
        return fail(error, "DOCTYPE and other declarations are not accepted");
      } else {
        return true;
      }
    }
  }

  static bool is_name_start(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
  }
  static bool is_name_char(unsigned char c) {
    return is_name_start(c) || is_digit(static_cast<char>(c)) || c == '-' || c == '.' || c == ':';
  }

  bool read_name(std::string_view& name, std::string& error) {
    const auto start = pos_;
    if (at_end() || !is_name_start(static_cast<unsigned char>(text_[pos_]))) {
      return fail(error, "expected a name");
    }
    while (!at_end() && is_name_char(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    name = text_.substr(start, pos_ - start);
    return true;
  }

  /// Splits "p:local" (or "local"); false on empty parts or a second colon.
  static bool split_qname(std::string_view qname, std::string_view& prefix,
                          std::string_view& local) {
    const auto colon = qname.find(':');
    if (colon == std::string_view::npos) {
      prefix = {};
      local = qname;
      return true;
    }
    prefix = qname.substr(0, colon);
    local = qname.substr(colon + 1);
    return !prefix.empty() && !local.empty() && local.find(':') == std::string_view::npos &&
           is_name_start(static_cast<unsigned char>(local.front()));
  }

  /// Reads one reference after '&' (already consumed) and appends its text to `out`.
  bool read_reference(std::string& out, std::string& error) {
    const auto semicolon = text_.find(';', pos_);
    if (semicolon == std::string_view::npos || semicolon - pos_ > 10) {
      return fail(error, "malformed character or entity reference");
    }
    const auto ref = text_.substr(pos_, semicolon - pos_);
    pos_ = semicolon + 1;
    if (ref == "amp") {
      out += '&';
    } else if (ref == "lt") {
      out += '<';
    } else if (ref == "gt") {
      out += '>';
    } else if (ref == "quot") {
      out += '"';
    } else if (ref == "apos") {
      out += '\'';
    } else if (ref.size() >= 2 && ref[0] == '#') {
      std::uint32_t code = 0;
      const bool hex = ref[1] == 'x';
      const auto digits = ref.substr(hex ? 2 : 1);
      if (digits.empty()) return fail(error, "empty character reference");
      for (char c : digits) {
        int v = -1;
        if (is_digit(c)) v = c - '0';
        if (hex && c >= 'a' && c <= 'f') v = c - 'a' + 10;
        if (hex && c >= 'A' && c <= 'F') v = c - 'A' + 10;
        if (v < 0) return fail(error, "malformed character reference");
        code = code * (hex ? 16 : 10) + static_cast<std::uint32_t>(v);
        if (code > 0x10FFFF) return fail(error, "character reference out of range");
      }
      if (code == 0 || (code >= 0xD800 && code <= 0xDFFF)) {
        return fail(error, "character reference to a forbidden character");
      }
      base::append_utf8(out, code);
    } else {
      return fail(error, "unknown entity reference");
    }
    return true;
  }

  bool read_attribute_value(std::string& value, std::string& error) {
    if (at_end() || (text_[pos_] != '"' && text_[pos_] != '\'')) {
      return fail(error, "expected a quoted attribute value");
    }
    const char quote = text_[pos_++];
    while (true) {
      if (at_end()) return fail(error, "unterminated attribute value");
      const char c = text_[pos_++];
      if (c == quote) return true;
      if (c == '<') return fail(error, "'<' in an attribute value");
      if (c == '&') {
        if (!read_reference(value, error)) return false;
      } else {
        value += c;
      }
    }
  }

  /// The namespace URI bound to `prefix` (empty prefix: the default namespace).
  std::optional<std::string> resolve(std::string_view prefix) const {
    if (prefix == "xml") return std::string(xml_ns);
    for (auto it = bindings_.rbegin(); it != bindings_.rend(); ++it) {
      if (it->prefix == prefix) return it->uri;
    }
    if (prefix.empty()) return std::string();
    return std::nullopt;
  }

  /// Reads an element starting at '<'.
  bool read_element(xml_element& element, int depth, std::string& error) {
    if (depth > max_xml_depth) return fail(error, "elements nested too deeply");
    if (++elements_ > max_xml_elements) return fail(error, "too many elements");
    ++pos_;  // '<'
    std::string_view qname;
    if (!read_name(qname, error)) return false;
    std::string_view prefix, local;
    if (!split_qname(qname, prefix, local)) return fail(error, "malformed element name");

    const auto bindings_before = bindings_.size();
    std::vector<std::string_view> attribute_names;
    bool empty_element = false;
    while (true) {
      const auto before_blanks = pos_;
      skip_blanks();
      if (at_end()) return fail(error, "unterminated start tag");
      if (starts_with("/>")) {
        pos_ += 2;
        empty_element = true;
        break;
      }
      if (text_[pos_] == '>') {
        ++pos_;
        break;
      }
      if (pos_ == before_blanks) return fail(error, "expected blanks between attributes");
      std::string_view attribute;
      if (!read_name(attribute, error)) return false;
      for (auto seen : attribute_names) {
        if (seen == attribute) return fail(error, "duplicate attribute");
      }
      attribute_names.push_back(attribute);
      skip_blanks();
      if (at_end() || text_[pos_] != '=') return fail(error, "expected '=' after an attribute");
      ++pos_;
      skip_blanks();
      std::string value;
      if (!read_attribute_value(value, error)) return false;
      if (attribute == "xmlns") {
        bindings_.push_back({"", std::move(value)});
      } else if (attribute.substr(0, 6) == "xmlns:") {
        const auto bound = attribute.substr(6);
        if (bound.empty() || bound.find(':') != std::string_view::npos) {
          return fail(error, "malformed namespace declaration");
        }
        if (value.empty()) return fail(error, "a prefix cannot be bound to an empty namespace");
        bindings_.push_back({std::string(bound), std::move(value)});
      }
    }
    // Attribute prefixes are not resolved: no attribute of a PROPFIND body carries meaning.
    auto ns = resolve(prefix);
    if (!ns) return fail(error, "unbound namespace prefix '" + std::string(prefix) + "'");
    element.ns = std::move(*ns);
    element.local = std::string(local);

    if (!empty_element) {
      while (true) {
        if (at_end()) return fail(error, "unexpected end inside <" + std::string(qname) + ">");
        if (starts_with("</")) {
          pos_ += 2;
          std::string_view closing;
          if (!read_name(closing, error)) return false;
          if (closing != qname) return fail(error, "mismatched end tag");
          skip_blanks();
          if (at_end() || text_[pos_] != '>') return fail(error, "malformed end tag");
          ++pos_;
          break;
        }
        if (starts_with("<!--")) {
          if (!skip_past("-->")) return fail(error, "unterminated comment");
        } else if (starts_with("<![CDATA[")) {
          if (!skip_past("]]>")) return fail(error, "unterminated CDATA section");
        } else if (starts_with("<?")) {
          if (!skip_past("?>")) return fail(error, "unterminated processing instruction");
        } else if (starts_with("<!")) {
          return fail(error, "declarations are not accepted inside elements");
        } else if (text_[pos_] == '<') {
          element.children.emplace_back();
          if (!read_element(element.children.back(), depth + 1, error)) return false;
        } else if (text_[pos_] == '&') {
          ++pos_;
          std::string ignored;
          if (!read_reference(ignored, error)) return false;
        } else {
          ++pos_;  // text: no element of a PROPFIND body carries text that matters
        }
      }
    }
    bindings_.resize(bindings_before);
    return true;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t elements_ = 0;
  std::vector<binding> bindings_;
};

}  // namespace

result<std::string> normalize_path(std::string_view decoded) {
  if (decoded.size() > max_path_bytes) return fail(errc::invalid_path, "path too long");
  if (decoded.find('\0') != std::string_view::npos) {
    return fail(errc::invalid_path, "path contains a NUL byte");
  }
  if (!is_valid_utf8(decoded)) return fail(errc::invalid_path, "path is not valid UTF-8");
  std::string relative;
  std::size_t start = 0;
  while (start <= decoded.size()) {
    auto end = decoded.find('/', start);
    if (end == std::string_view::npos) end = decoded.size();
    const auto segment = decoded.substr(start, end - start);
    start = end + 1;
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") return fail(errc::escapes_root, "path contains a '..' segment");
    if (segment.size() > max_name_bytes) return fail(errc::invalid_path, "name too long");
    if (!relative.empty()) relative += '/';
    relative += segment;
  }
  return relative;
}

std::optional<depth> parse_depth(std::string_view value) {
  value = trim(value);
  if (value == "0") return depth::zero;
  if (value == "1") return depth::one;
  if (iequals(value, "infinity")) return depth::infinity;
  return std::nullopt;
}

bool parse_propfind(std::string_view body, propfind_request& out, std::string& error) {
  out = propfind_request{};
  if (trim(body).empty()) return true;  // RFC 4918 §9.1: no body means allprop
  xml_element root;
  xml_reader reader(body);
  if (!reader.read_document(root, error)) return false;
  if (root.ns != dav_ns || root.local != "propfind") {
    error = "the root element is not DAV:propfind";
    return false;
  }
  int choices = 0;
  for (const auto& child : root.children) {
    if (child.ns != dav_ns) continue;  // extensions in other namespaces are ignored
    if (child.local == "allprop") {
      out.what = propfind_request::kind::allprop;
      ++choices;
    } else if (child.local == "propname") {
      out.what = propfind_request::kind::propname;
      ++choices;
    } else if (child.local == "prop") {
      out.what = propfind_request::kind::prop;
      for (const auto& property : child.children) {
        out.props.push_back({property.ns, property.local});
      }
      ++choices;
    }
    // DAV:include (with allprop) names extra properties; all of ours are in allprop anyway.
  }
  if (choices != 1) {
    error = choices == 0 ? "DAV:propfind needs one of allprop, propname or prop"
                         : "DAV:propfind has more than one of allprop, propname and prop";
    out = propfind_request{};
    return false;
  }
  return true;
}

range_decision parse_range(std::string_view header, std::uint64_t size) {
  range_decision whole;
  header = trim(header);
  if (header.size() < 6 || !iequals(header.substr(0, 6), "bytes=")) return whole;
  const auto spec = trim(header.substr(6));
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos || spec.find(',') != std::string_view::npos) return whole;
  const auto first_text = trim(spec.substr(0, dash));
  const auto last_text = trim(spec.substr(dash + 1));
  range_decision out;
  bool overflow = false;
  if (first_text.empty()) {  // "-n": the last n bytes
    std::uint64_t suffix = 0;
    if (!parse_u64(last_text, suffix, overflow)) return whole;
    if (suffix == 0 || size == 0) {
      out.what = range_decision::kind::unsatisfiable;
      return out;
    }
    if (suffix > size) suffix = size;
    out.what = range_decision::kind::partial;
    out.range = {size - suffix, suffix};
    return out;
  }
  std::uint64_t first = 0;
  if (!parse_u64(first_text, first, overflow)) return whole;
  std::uint64_t last = UINT64_MAX;
  if (!last_text.empty()) {
    if (!parse_u64(last_text, last, overflow)) return whole;
    if (last < first) return whole;  // invalid: ignored
  }
  if (first >= size) {
    out.what = range_decision::kind::unsatisfiable;
    return out;
  }
  if (last >= size) last = size - 1;
  out.what = range_decision::kind::partial;
  out.range = {first, last - first + 1};
  return out;
}

std::optional<std::string> destination_below_prefix(std::string_view destination,
                                                    std::string_view prefix) {
  auto path = trim(destination);
  const auto scheme_end = path.find("://");
  if (scheme_end != std::string_view::npos && path.substr(0, 1) != "/") {
    const auto authority = scheme_end + 3;
    const auto slash = path.find('/', authority);
    path = slash == std::string_view::npos ? std::string_view("/") : path.substr(slash);
  }
  if (path.empty() || path.front() != '/') return std::nullopt;
  path = path.substr(0, path.find_first_of("?#"));
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  if (path.substr(0, prefix.size()) != prefix) return std::nullopt;
  const auto rest = path.substr(prefix.size());
  if (!rest.empty() && rest.front() != '/') return std::nullopt;  // "/fsx" is not below "/fs"
  return std::string(rest);
}

}  // namespace rstream::fs
