// A small HTTP router: a table of (method, path pattern) → route, matched against a request's
// method and path. Pure (no I/O): the server's live API and, next, the engine's API dispatch on
// its answer instead of comparing path segments by hand.
//
// Patterns are '/'-separated segments; "{}" matches any one segment, which is percent-decoded
// into `params` in order. Empty segments are ignored ("/a//b/" is "/a/b"). Method "*" matches any
// method. When the path matches a pattern but not with this method, the answer is
// method_not_allowed with the `Allow` list of the methods that do match, in table order.
//
// Thread-safety: build once, then match from any thread (const).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rstream::api {

struct route_match {
  enum class kind { found, no_route, method_not_allowed, malformed_path };
  kind what = kind::no_route;
  int route = -1;                   ///< the route of the matching pattern (also when not allowed)
  std::vector<std::string> params;  ///< the "{}" segments, decoded
  std::string allow;                ///< method_not_allowed: e.g. "GET, POST"
};

class router {
 public:
  /// Adds a route; returns *this for chaining.
  router& add(std::string_view method, std::string_view pattern, int route);

  route_match match(std::string_view method, std::string_view path) const;

 private:
  struct entry {
    std::string method;
    std::vector<std::string> segments;
    int route = -1;
  };
  std::vector<entry> entries_;
};

/// The non-empty segments of `path`, percent-decoded; nullopt on a malformed escape.
std::optional<std::vector<std::string>> split_path(std::string_view path);

}  // namespace rstream::api
