// What the engine's proxy forwards and answers (transport/untrusted_content.hpp, issue 12
// item 2): no credentials out, nothing that runs in our origin back.
#include <gtest/gtest.h>

#include <algorithm>

#include "rstream/transport/untrusted_content.hpp"

using namespace rstream::transport;

namespace {

const std::string* find(const std::vector<http_header>& headers, std::string_view name) {
  auto it = std::find_if(headers.begin(), headers.end(), [&](const http_header& h) {
    return h.name.size() == name.size() &&
           std::equal(h.name.begin(), h.name.end(), name.begin(),
                      [](char a, char b) { return std::tolower(a) == std::tolower(b); });
  });
  return it == headers.end() ? nullptr : &it->value;
}

}  // namespace

TEST(ForwardedToTunnel, AnAllowlistWithoutCredentials) {
  for (auto name :
       {"Range", "if-none-match", "Depth", "Destination", "Overwrite", "Content-Type"}) {
    EXPECT_TRUE(forwarded_to_tunnel(name)) << name;
  }
  for (auto name : {"Cookie", "cookie", "Authorization", "Proxy-Authorization", "X-Rstream-CSRF",
                    "Origin", "Referer", "X-Forwarded-For", "Host"}) {
    EXPECT_FALSE(forwarded_to_tunnel(name)) << name;
  }
}

TEST(ConfineFileResponse, RenderableTypesBecomeAttachments) {
  const auto out = confine_file_response({{"Content-Type", "text/html; charset=utf-8"},
                                          {"Set-Cookie", "a=b"},
                                          {"Access-Control-Allow-Origin", "*"},
                                          {"Content-Security-Policy", "script-src *"},
                                          {"Content-Disposition", "inline"},
                                          {"ETag", "\"1\""},
                                          {"Content-Range", "bytes 0-1/2"}});
  EXPECT_EQ(*find(out, "Content-Type"), "application/octet-stream");
  EXPECT_EQ(*find(out, "Content-Disposition"), "attachment");
  EXPECT_EQ(*find(out, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(*find(out, "Content-Security-Policy"), "sandbox");
  EXPECT_EQ(find(out, "Set-Cookie"), nullptr);
  EXPECT_EQ(find(out, "Access-Control-Allow-Origin"), nullptr);
  EXPECT_EQ(*find(out, "ETag"), "\"1\"");
  EXPECT_EQ(*find(out, "Content-Range"), "bytes 0-1/2");
  EXPECT_EQ(std::count_if(out.begin(), out.end(),
                          [](const http_header& h) { return h.name == "Content-Security-Policy"; }),
            1);
}

TEST(ConfineFileResponse, InertTypesStay) {
  for (auto type : {"application/json", "text/plain; charset=utf-8", "application/octet-stream"}) {
    const auto out = confine_file_response({{"content-type", type}});
    EXPECT_EQ(*find(out, "Content-Type"), type);
    EXPECT_EQ(find(out, "Content-Disposition"), nullptr) << type;
  }
  const auto xml = confine_file_response({{"Content-Type", "application/xml; charset=utf-8"}});
  EXPECT_EQ(*find(xml, "Content-Type"), "application/xml; charset=utf-8");
  EXPECT_EQ(*find(xml, "Content-Disposition"), "attachment");
  for (auto type : {"image/svg+xml", "text/javascript", "application/xhtml+xml", "TEXT/HTML"}) {
    EXPECT_EQ(*find(confine_file_response({{"Content-Type", type}}), "Content-Type"),
              "application/octet-stream")
        << type;
  }
  EXPECT_EQ(*find(confine_file_response({}), "Content-Type"), "application/octet-stream");
}
