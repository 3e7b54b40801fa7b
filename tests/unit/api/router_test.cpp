// The router: exact and "{}" segments, decoded parameters, 405 with the Allow list in table
// order, no route, malformed escapes, empty segments, and "*" for any method.
#include <gtest/gtest.h>

#include "rstream/api/router.hpp"

namespace rstream::api {
namespace {

enum route { list, create, show, remove, resolve, socket };

router table() {
  router r;
  r.add("GET", "/api/items", list)
      .add("POST", "/api/items", create)
      .add("GET", "/api/items/{}", show)
      .add("DELETE", "/api/items/{}", remove)
      .add("POST", "/api/items/{}/requests/{}", resolve)
      .add("*", "/ws/items/{}", socket);
  return r;
}

TEST(Router, FindsTheRouteAndDecodesParameters) {
  const auto r = table();
  auto m = r.match("POST", "/api/items");
  EXPECT_EQ(m.what, route_match::kind::found);
  EXPECT_EQ(m.route, create);
  m = r.match("DELETE", "/api/items/a%20b%2Fc");
  EXPECT_EQ(m.what, route_match::kind::found);
  EXPECT_EQ(m.route, remove);
  EXPECT_EQ(m.params, std::vector<std::string>{"a b/c"});
  m = r.match("POST", "/api/items/x/requests/7");
  EXPECT_EQ(m.route, resolve);
  EXPECT_EQ(m.params, (std::vector<std::string>{"x", "7"}));
  EXPECT_EQ(r.match("PATCH", "/ws/items/q").route, socket);
}

TEST(Router, EmptySegmentsAreIgnored) {
  const auto m = table().match("GET", "//api/items/");
  EXPECT_EQ(m.what, route_match::kind::found);
  EXPECT_EQ(m.route, list);
}

TEST(Router, WrongMethodListsTheAllowedOnesInTableOrder) {
  const auto r = table();
  auto m = r.match("PUT", "/api/items");
  EXPECT_EQ(m.what, route_match::kind::method_not_allowed);
  EXPECT_EQ(m.allow, "GET, POST");
  m = r.match("POST", "/api/items/x");
  EXPECT_EQ(m.what, route_match::kind::method_not_allowed);
  EXPECT_EQ(m.allow, "GET, DELETE");
  EXPECT_EQ(m.params, std::vector<std::string>{"x"});  // so the caller can check the item first
  EXPECT_EQ(r.match("GET", "/api/items/x/requests/1").allow, "POST");
}

TEST(Router, UnknownPathsAndMalformedEscapes) {
  const auto r = table();
  EXPECT_EQ(r.match("GET", "/api").what, route_match::kind::no_route);
  EXPECT_EQ(r.match("GET", "/api/items/x/other").what, route_match::kind::no_route);
  EXPECT_EQ(r.match("GET", "/api/items/%zz").what, route_match::kind::malformed_path);
  EXPECT_EQ(r.match("GET", "").what, route_match::kind::no_route);
}

}  // namespace
}  // namespace rstream::api
