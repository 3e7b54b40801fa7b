// The WebDAV multistatus body: what the writer writes the reader reads back (names with spaces,
// '&', '<', UTF-8, directories, sizes, dates); the reader's choices on other servers' bodies
// (propstat status, absolute hrefs, entities, CDATA) and its refusals of malformed bodies.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rstream/api/webdav_multistatus.hpp"
#include "rstream/base/percent.hpp"

namespace rstream::api {
namespace {

struct written {
  std::string path;  ///< decoded
  bool directory;
  std::uint64_t size;
  std::int64_t modified;
};

/// A body as the server writes it: percent-encoded hrefs, directories with a trailing slash.
std::string write_body(const std::vector<written>& entries) {
  std::string out(multistatus_open);
  for (const auto& e : entries) {
    std::string found = dav_property("resourcetype", e.directory ? "<D:collection/>" : "");
    if (!e.directory) found += dav_property("getcontentlength", std::to_string(e.size));
    found += dav_property("getlastmodified", http_date(e.modified));
    found += dav_property("displayname", xml_escape(e.path.substr(e.path.rfind('/') + 1)));
    const std::string href =
        "/fs" + base::percent_encode_path(e.path) + (e.directory && e.path != "/" ? "/" : "");
    append_multistatus_response(out, href, found, "<D:quota/>", true);
  }
  out += multistatus_close;
  return out;
}

/// The entries of a body that must be read.
std::vector<dav_entry> read_ok(std::string_view body) {
  const auto reading = parse_multistatus(body);
  EXPECT_TRUE(reading.ok()) << reading.error;
  return reading.entries;
}

/// The one entry a body must read as.
dav_entry only_entry(std::string_view body) {
  const auto read = read_ok(body);
  EXPECT_EQ(read.size(), 1u);
  return read.empty() ? dav_entry{} : read[0];
}

TEST(WebdavMultistatus, WhatTheWriterWritesTheReaderReads) {
  const std::vector<written> entries = {
      {"/", true, 0, 784111777},
      {"/a dir", true, 0, 0},
      {"/a dir/R&D <notes>.txt", false, 12345, 1700000000},
      {"/caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC.bin", false, 0, 1},
      {"/quote\"'s", false, 18446744073709551615ull, 4102444800},
  };
  const auto read = read_ok(write_body(entries));
  ASSERT_EQ(read.size(), entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& got = read[i];
    EXPECT_EQ(got.href_path, "/fs" + (entries[i].path == "/" ? "" : entries[i].path)) << i;
    EXPECT_EQ(got.directory, entries[i].directory) << i;
    EXPECT_EQ(got.size, entries[i].size) << i;
    ASSERT_TRUE(got.modified) << i;
    EXPECT_EQ(*got.modified, entries[i].modified) << i;
  }
}

TEST(WebdavMultistatus, HrefsEscapedOnlyAsXmlReadBack) {
  std::string body(multistatus_open);
  append_multistatus_response(body, "/fs/R&D <x>", dav_property("getcontentlength", "7"), "",
                              false);
  body += multistatus_close;
  EXPECT_NE(body.find("<D:href>/fs/R&amp;D &lt;x&gt;</D:href>"), std::string::npos) << body;
  const auto e = only_entry(body);
  EXPECT_EQ(e.href_path, "/fs/R&D <x>");
  EXPECT_EQ(e.size, 7u);
  EXPECT_FALSE(e.modified);
}

TEST(WebdavMultistatus, WriterShape) {
  EXPECT_EQ(dav_property("getetag", ""), "<D:getetag/>");
  EXPECT_EQ(dav_property("getcontentlength", "5"), "<D:getcontentlength>5</D:getcontentlength>");
  std::string out;
  append_multistatus_response(out, "/fs/", "", "<D:x/>", false);
  EXPECT_EQ(out,
            "<D:response><D:href>/fs/</D:href><D:propstat><D:prop><D:x/></D:prop>"
            "<D:status>HTTP/1.1 404 Not Found</D:status></D:propstat></D:response>\n");
  out.clear();
  append_multistatus_response(out, "/fs/", "", "", true);
  EXPECT_EQ(out,
            "<D:response><D:href>/fs/</D:href><D:propstat><D:prop></D:prop>"
            "<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>\n");
  EXPECT_EQ(xml_escape("a&b<c>\"d'"), "a&amp;b&lt;c&gt;&quot;d&apos;");
}

TEST(WebdavMultistatus, DatesReadBack) {
  EXPECT_EQ(http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(rfc3339_date(784111777), "1994-11-06T08:49:37Z");
  for (std::int64_t t : {0ll, 1ll, 784111777ll, 1700000000ll, 4102444800ll}) {
    EXPECT_EQ(parse_http_date(http_date(t)), t) << t;
  }
  EXPECT_FALSE(parse_http_date("yesterday"));
  EXPECT_FALSE(parse_http_date(""));
}

TEST(WebdavMultistatus, OnlyTwoHundredPropstatsCount) {
  const std::string body =
      "<?xml version=\"1.0\"?><a:multistatus xmlns:a=\"DAV:\">"
      "<a:response><a:href>http://h:1/fs/x/</a:href>"
      "<a:propstat><a:prop><a:getcontentlength>9</a:getcontentlength></a:prop>"
      "<a:status>HTTP/1.1 404 Not Found</a:status></a:propstat>"
      "<a:propstat><a:prop><a:resourcetype><a:collection/></a:resourcetype></a:prop>"
      "<a:status>HTTP/1.1 200 OK</a:status></a:propstat></a:response>"
      "<a:response><a:href>/fs/only-404</a:href><a:propstat><a:prop/>"
      "<a:status>HTTP/1.1 404 Not Found</a:status></a:propstat></a:response>"
      "<a:response><a:propstat><a:prop/><a:status>HTTP/1.1 200 OK</a:status></a:propstat>"
      "</a:response>"
      "</a:multistatus>";
  const auto e = only_entry(body);
  EXPECT_EQ(e.href_path, "/fs/x");
  EXPECT_TRUE(e.directory);
  EXPECT_EQ(e.size, 0u);
}

TEST(WebdavMultistatus, EntitiesCommentsAndCdata) {
  const std::string body =
      "<multistatus><!-- a comment --><response>"
      "<href><![CDATA[/fs/a&amp;b]]>&#x41;&#66;&#xE9;&#x65E5;&#x1F600;&unknown;</href>"
      "<propstat><prop><getcontentlength>3</getcontentlength></prop>"
      "<status>HTTP/1.1 200 OK</status></propstat></response></multistatus>";
  EXPECT_EQ(only_entry(body).href_path,
            "/fs/a&amp;bAB\xC3\xA9\xE6\x97\xA5\xF0\x9F\x98\x80&unknown;");
  EXPECT_EQ(decode_xml_entities("x &amp y"), "x &amp y");
}

TEST(WebdavMultistatus, MalformedBodiesAreRefused) {
  std::string nested;
  for (std::size_t i = 0; i <= max_multistatus_depth; ++i) nested += "<a>";
  const std::pair<std::string, std::string> cases[] = {
      {"<!DOCTYPE x [<!ENTITY e \"e\">]><multistatus/>", "DOCTYPE"},
      {"<multistatus><response", "ends inside a tag"},
      {"<multistatus></response></multistatus>", "unexpected </response>"},
      {"<multistatus><response>", "unclosed <response>"},
      {nested, "nests too deeply"},
  };
  for (const auto& [body, what] : cases) {
    const auto reading = parse_multistatus(body);
    EXPECT_FALSE(reading.ok()) << body;
    EXPECT_NE(reading.error.find(what), std::string::npos) << reading.error;
    EXPECT_TRUE(reading.entries.empty());
  }
  // A complete response before the error is not kept either.
  const auto cut = parse_multistatus(
      "<multistatus><response><href>/a</href><propstat><prop/><status>HTTP/1.1 200 OK</status>"
      "</propstat></response><response>");
  EXPECT_FALSE(cut.ok());
  EXPECT_TRUE(cut.entries.empty());
  // Empty and text-only bodies are read (as nothing).
  EXPECT_TRUE(parse_multistatus("").ok());
  EXPECT_TRUE(parse_multistatus("just text").entries.empty());
}

}  // namespace
}  // namespace rstream::api
