// fs::webdav_handler through an in-memory http_exchange: every method's success path and
// refusals, Range, the upload limit, read-only mode, the escape corpus (in both resolution
// modes), malformed PROPFIND bodies, and atomic PUT (a failed upload leaves no file behind).
// Also the pure header parsers of webdav_parse.hpp.
#include "rstream/fs/webdav_handler.hpp"

#include <gtest/gtest.h>
#include <strings.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <cstring>
#include <sstream>

#include "rstream/fs/webdav_parse.hpp"

namespace asio = boost::asio;
namespace stdfs = std::filesystem;
using namespace rstream;
using namespace rstream::fs;

namespace {

/// An exchange that feeds a request body in pieces and records the response.
class fake_exchange : public transport::http_exchange {
 public:
  fake_exchange(std::string method, std::vector<transport::http_header> headers, std::string body,
                bool chunked)
      : body_(std::move(body)) {
    request_.method = std::move(method);
    request_.target = "/fs";
    request_.headers = std::move(headers);
    if (chunked) {
      request_.chunked = true;
    } else {
      request_.content_length = body_.size();
    }
  }

  /// The body read fails once this many bytes were delivered.
  std::optional<std::size_t> fail_read_at;
  std::size_t piece_size = 5000;

  int status = 0;
  std::vector<transport::http_header> response_headers;
  std::optional<std::uint64_t> response_length;
  std::string response_body;
  std::vector<std::size_t> write_sizes;
  bool closed = false;
  bool ended = false;

  std::string response_header(std::string_view name) const {
    for (const auto& h : response_headers) {
      if (h.name.size() == name.size() &&
          ::strncasecmp(h.name.data(), name.data(), name.size()) == 0) {
        return h.value;
      }
    }
    return {};
  }

  const transport::http_request& request() const override { return request_; }
  std::string peer() const override { return "test"; }
  bool secure() const override { return false; }

  asio::awaitable<std::pair<boost::system::error_code, std::size_t>> read_body_some(
      std::span<std::uint8_t> into) override {
    if (fail_read_at && offset_ >= *fail_read_at) {
      co_return std::pair{boost::system::error_code(asio::error::connection_reset), 0};
    }
    std::size_t n = std::min({into.size(), piece_size, body_.size() - offset_});
    if (fail_read_at) n = std::min(n, *fail_read_at - offset_);
    std::memcpy(into.data(), body_.data() + offset_, n);
    offset_ += n;
    co_return std::pair{boost::system::error_code(), n};
  }

  asio::awaitable<boost::system::error_code> write_head(
      int code, const std::vector<transport::http_header>& headers,
      std::optional<std::uint64_t> content_length) override {
    EXPECT_EQ(status, 0) << "two heads";
    status = code;
    response_headers = headers;
    response_length = content_length;
    co_return boost::system::error_code();
  }
  asio::awaitable<boost::system::error_code> write_body(
      std::span<const std::uint8_t> bytes) override {
    EXPECT_NE(status, 0) << "body before head";
    write_sizes.push_back(bytes.size());
    response_body.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    co_return boost::system::error_code();
  }
  asio::awaitable<boost::system::error_code> end_body() override {
    ended = true;
    co_return boost::system::error_code();
  }
  void close_after_response() override { closed = true; }
  asio::awaitable<std::unique_ptr<transport::frame_channel>> accept_websocket(
      std::size_t, std::string& error) override {
    error = "not here";
    co_return nullptr;
  }

 private:
  transport::http_request request_;
  std::string body_;
  std::size_t offset_ = 0;
};

void write_file(const stdfs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

std::string read_file(const stdfs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> names_in(const stdfs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : stdfs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

/// A served root holding file.txt ("hello world") and dir/inner.txt, next to outside/secret.
class WebdavTest : public ::testing::TestWithParam<resolve_mode> {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/rstream-webdav-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    base_ = pattern;
    root_ = base_ / "root";
    outside_ = base_ / "outside";
    stdfs::create_directories(root_ / "dir");
    stdfs::create_directories(outside_);
    write_file(root_ / "file.txt", "hello world");
    write_file(root_ / "dir" / "inner.txt", "inner");
    write_file(outside_ / "secret", "secret");
  }
  void TearDown() override {
    std::error_code ignored;
    stdfs::remove_all(base_, ignored);
  }

  fs_options options() const {
    fs_options o;
    o.root = root_;
    o.resolution = GetParam();
    return o;
  }

  /// Runs one request through a handler on a fresh io_context.
  static void run(const webdav_handler& handler, fake_exchange& exchange, const std::string& path) {
    asio::io_context io;
    asio::co_spawn(io, handler.handle(exchange, path), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    io.run();
  }

  std::unique_ptr<fake_exchange> call(const std::string& method, const std::string& path,
                                      std::vector<transport::http_header> headers = {},
                                      std::string body = {}, bool chunked = false) {
    return call_with(options(), method, path, std::move(headers), std::move(body), chunked);
  }

  std::unique_ptr<fake_exchange> call_with(const fs_options& o, const std::string& method,
                                           const std::string& path,
                                           std::vector<transport::http_header> headers = {},
                                           std::string body = {}, bool chunked = false) {
    webdav_handler handler(o);
    EXPECT_TRUE(handler.ready()) << handler.open_error();
    auto exchange =
        std::make_unique<fake_exchange>(method, std::move(headers), std::move(body), chunked);
    run(handler, *exchange, path);
    return exchange;
  }

  stdfs::path base_, root_, outside_;
};

INSTANTIATE_TEST_SUITE_P(Webdav, WebdavTest,
                         ::testing::Values(resolve_mode::kernel_openat2,
                                           resolve_mode::component_walk),
                         [](const auto& info) {
                           return info.param == resolve_mode::kernel_openat2 ? "openat2" : "walk";
                         });

// ---- OPTIONS, unknown methods ----

TEST_P(WebdavTest, OptionsAdvertisesClass1AndTheMethods) {
  auto r = call("OPTIONS", "/");
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->response_header("DAV"), "1");
  EXPECT_TRUE(contains(r->response_header("Allow"), "PROPFIND"));
  EXPECT_TRUE(contains(r->response_header("Allow"), "PUT"));
}

TEST_P(WebdavTest, UnknownMethodsAre405WithAllow) {
  for (const char* method : {"PATCH", "LOCK", "PROPPATCH", "COPY", "get"}) {
    SCOPED_TRACE(method);
    auto r = call(method, "/file.txt");
    EXPECT_EQ(r->status, 405);
    EXPECT_TRUE(contains(r->response_header("Allow"), "PROPFIND"));
    EXPECT_TRUE(contains(r->response_body, "method_not_allowed"));
  }
}

// ---- PROPFIND ----

TEST_P(WebdavTest, PropfindDepth0DescribesAFile) {
  auto r = call("PROPFIND", "/file.txt", {{"Depth", "0"}});
  ASSERT_EQ(r->status, 207) << r->response_body;
  EXPECT_TRUE(contains(r->response_header("Content-Type"), "application/xml"));
  const auto& body = r->response_body;
  EXPECT_TRUE(contains(body, "<D:href>/fs/file.txt</D:href>"));
  EXPECT_TRUE(contains(body, "<D:getcontentlength>11</D:getcontentlength>"));
  EXPECT_TRUE(contains(body, "<D:displayname>file.txt</D:displayname>"));
  EXPECT_TRUE(contains(body, "<D:resourcetype/>"));
  EXPECT_TRUE(contains(body, " GMT</D:getlastmodified>"));
  EXPECT_TRUE(contains(body, "<D:getetag>&quot;"));
  EXPECT_FALSE(contains(body, "dir"));
  EXPECT_TRUE(r->ended);
  propfind_request reparsed;  // the multistatus itself is well-formed XML
  std::string error;
  EXPECT_FALSE(parse_propfind(body, reparsed, error));
  EXPECT_EQ(error, "the root element is not DAV:propfind");
}

TEST_P(WebdavTest, PropfindDepth1ListsADirectory) {
  auto r = call("PROPFIND", "/", {{"Depth", "1"}});
  ASSERT_EQ(r->status, 207);
  const auto& body = r->response_body;
  EXPECT_TRUE(contains(body, "<D:href>/fs/</D:href>"));
  EXPECT_TRUE(contains(body, "<D:href>/fs/dir/</D:href>"));
  EXPECT_TRUE(contains(body, "<D:href>/fs/file.txt</D:href>"));
  EXPECT_TRUE(contains(body, "<D:resourcetype><D:collection/></D:resourcetype>"));
  EXPECT_FALSE(contains(body, "inner.txt"));  // depth 1 only
}

TEST_P(WebdavTest, PropfindWithoutDepthListsLikeDepth1) {
  auto r = call("PROPFIND", "/dir");
  ASSERT_EQ(r->status, 207);
  EXPECT_TRUE(contains(r->response_body, "<D:href>/fs/dir/inner.txt</D:href>"));
}

TEST_P(WebdavTest, PropfindHrefsArePercentEncoded) {
  write_file(root_ / "a b%&<é.txt", "x");
  auto r = call("PROPFIND", "/", {{"Depth", "1"}});
  ASSERT_EQ(r->status, 207);
  EXPECT_TRUE(contains(r->response_body, "<D:href>/fs/a%20b%25%26%3C%C3%A9.txt</D:href>"));
  EXPECT_TRUE(contains(r->response_body, "<D:displayname>a b%&amp;&lt;é.txt</D:displayname>"));
  auto one = call("PROPFIND", "/a%20b%25%26%3C%C3%A9.txt", {{"Depth", "0"}});
  EXPECT_EQ(one->status, 207);
}

TEST_P(WebdavTest, PropfindNamedPropertiesSplitsFoundAndMissing) {
  const std::string body =
      "<?xml version=\"1.0\"?>\n<D:propfind xmlns:D=\"DAV:\"><D:prop><D:getcontentlength/>"
      "<x:color xmlns:x=\"urn:example\"/><D:lockdiscovery/></D:prop></D:propfind>";
  auto r = call("PROPFIND", "/file.txt", {{"Depth", "0"}}, body);
  ASSERT_EQ(r->status, 207) << r->response_body;
  const auto& out = r->response_body;
  EXPECT_TRUE(contains(out, "<D:getcontentlength>11</D:getcontentlength>"));
  EXPECT_TRUE(contains(out,
                       "<R:color xmlns:R=\"urn:example\"/><D:lockdiscovery/></D:prop>"
                       "<D:status>HTTP/1.1 404 Not Found</D:status>"));
  EXPECT_FALSE(contains(out, "getlastmodified"));
}

TEST_P(WebdavTest, PropfindPropnameListsNamesWithoutValues) {
  const std::string body = R"(<propfind xmlns="DAV:"><propname/></propfind>)";
  auto r = call("PROPFIND", "/dir", {{"Depth", "0"}}, body);
  ASSERT_EQ(r->status, 207) << r->response_body;
  EXPECT_TRUE(contains(r->response_body, "<D:getetag/>"));
  EXPECT_TRUE(contains(r->response_body, "<D:resourcetype/>"));
  EXPECT_FALSE(contains(r->response_body, "getcontentlength"));  // directories have none
  EXPECT_FALSE(contains(r->response_body, "GMT"));
}

TEST_P(WebdavTest, PropfindRefusesMalformedXml) {
  for (const char* body : {"<D:propfind xmlns:D=\"DAV:\"><D:prop>", "<propfind>",
                           "<D:propfind xmlns:D=\"DAV:\"></D:prop>",
                           "<!DOCTYPE x [<!ENTITY a \"b\">]><propfind xmlns=\"DAV:\"/>",
                           "<x:propfind xmlns:x=\"DAV:\"/>", "not xml", "<a/><b/>",
                           "<propfind xmlns=\"DAV:\"><allprop/><propname/></propfind>"}) {
    SCOPED_TRACE(body);
    auto r = call("PROPFIND", "/", {{"Depth", "0"}}, body);
    EXPECT_EQ(r->status, 400);
    EXPECT_TRUE(contains(r->response_body, "malformed_xml"));
  }
}

TEST_P(WebdavTest, PropfindDepthInfinityIs403AndBadDepthIs400) {
  auto infinity = call("PROPFIND", "/", {{"Depth", "infinity"}});
  EXPECT_EQ(infinity->status, 403);
  EXPECT_TRUE(contains(infinity->response_body, "Depth: infinity is not supported"));
  for (const char* value : {"2", "99999999999999999999999", "-1", "", "one"}) {
    SCOPED_TRACE(value);
    EXPECT_EQ(call("PROPFIND", "/", {{"Depth", value}})->status, 400);
  }
}

TEST_P(WebdavTest, PropfindBodyTooLargeIs413) {
  const std::string body(max_propfind_body + 1, ' ');
  auto r = call("PROPFIND", "/", {{"Depth", "0"}}, body);
  EXPECT_EQ(r->status, 413);
}

TEST_P(WebdavTest, PropfindOnAMissingPathIs404) {
  EXPECT_EQ(call("PROPFIND", "/missing", {{"Depth", "0"}})->status, 404);
}

// ---- GET, HEAD, Range ----

TEST_P(WebdavTest, GetReturnsTheFile) {
  auto r = call("GET", "/file.txt");
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->response_body, "hello world");
  EXPECT_EQ(r->response_length, 11u);
  EXPECT_EQ(r->response_header("Accept-Ranges"), "bytes");
  EXPECT_FALSE(r->response_header("ETag").empty());
  EXPECT_TRUE(contains(r->response_header("Last-Modified"), "GMT"));
}

TEST_P(WebdavTest, GetStreamsLargeFilesInBoundedPieces) {
  std::string big(1200 * 1024, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 + i / 251);
  write_file(root_ / "big.bin", big);
  auto r = call("GET", "/big.bin");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->response_body, big);
  EXPECT_GT(r->write_sizes.size(), 4u);
  for (auto size : r->write_sizes) EXPECT_LE(size, 256u * 1024);
}

TEST_P(WebdavTest, HeadSendsTheHeadersOnly) {
  auto r = call("HEAD", "/file.txt");
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->response_length, 11u);
  EXPECT_TRUE(r->response_body.empty());
}

TEST_P(WebdavTest, GetServesSingleRanges) {
  struct case_t {
    const char* range;
    int status;
    const char* body;
    const char* content_range;
  };
  for (const auto& c :
       {case_t{"bytes=0-4", 206, "hello", "bytes 0-4/11"},
        case_t{"bytes=6-", 206, "world", "bytes 6-10/11"},
        case_t{"bytes=-5", 206, "world", "bytes 6-10/11"},
        case_t{"bytes=-50", 206, "hello world", "bytes 0-10/11"},
        case_t{"bytes=4-100", 206, "o world", "bytes 4-10/11"},
        case_t{"bytes=10-10", 206, "d", "bytes 10-10/11"},
        case_t{"bytes=0-1,3-4", 200, "hello world", ""},
        case_t{"bytes=5-2", 200, "hello world", ""}, case_t{"items=0-1", 200, "hello world", ""},
        case_t{"bytes=x-1", 200, "hello world", ""}}) {
    SCOPED_TRACE(c.range);
    auto r = call("GET", "/file.txt", {{"Range", c.range}});
    EXPECT_EQ(r->status, c.status);
    EXPECT_EQ(r->response_body, c.body);
    EXPECT_EQ(r->response_header("Content-Range"), c.content_range);
  }
}

TEST_P(WebdavTest, GetAnswers416ForUnsatisfiableRanges) {
  for (const char* range : {"bytes=11-", "bytes=99-100", "bytes=-0"}) {
    SCOPED_TRACE(range);
    auto r = call("GET", "/file.txt", {{"Range", range}});
    EXPECT_EQ(r->status, 416);
    EXPECT_EQ(r->response_header("Content-Range"), "bytes */11");
  }
}

TEST_P(WebdavTest, IfRangeWithAStaleValidatorGetsTheWholeFile) {
  auto r = call("GET", "/file.txt", {{"Range", "bytes=0-4"}, {"If-Range", "\"stale\""}});
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->response_body, "hello world");
  auto head = call("HEAD", "/file.txt");
  auto fresh = call("GET", "/file.txt",
                    {{"Range", "bytes=0-4"}, {"If-Range", head->response_header("ETag")}});
  EXPECT_EQ(fresh->status, 206);
}

TEST_P(WebdavTest, GetRefusesDirectoriesAndMissingFiles) {
  EXPECT_EQ(call("GET", "/dir")->status, 405);
  EXPECT_EQ(call("GET", "/missing")->status, 404);
  EXPECT_EQ(call("GET", "/file.txt/below")->status, 404);
}

// ---- PUT ----

TEST_P(WebdavTest, PutCreatesThenReplaces) {
  auto created = call("PUT", "/dir/new.txt", {}, "first");
  EXPECT_EQ(created->status, 201);
  EXPECT_EQ(read_file(root_ / "dir" / "new.txt"), "first");
  auto replaced = call("PUT", "/dir/new.txt", {}, "second", /*chunked=*/true);
  EXPECT_EQ(replaced->status, 204);
  EXPECT_EQ(read_file(root_ / "dir" / "new.txt"), "second");
  auto empty = call("PUT", "/empty", {}, "");
  EXPECT_EQ(empty->status, 201);
  EXPECT_EQ(stdfs::file_size(root_ / "empty"), 0u);
  EXPECT_EQ(names_in(root_ / "dir"), (std::vector<std::string>{"inner.txt", "new.txt"}));
}

TEST_P(WebdavTest, PutStreamsALargeBody) {
  std::string big(1024 * 1024 + 17, 'z');
  big[12345] = 'a';
  auto r = call("PUT", "/big.bin", {}, big);
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(read_file(root_ / "big.bin"), big);
}

TEST_P(WebdavTest, PutBeyondTheLimitIs413AndLeavesNothing) {
  auto o = options();
  o.max_upload = 1000;
  // Declared too large: refused before reading.
  auto declared = call_with(o, "PUT", "/file.txt", {}, std::string(1001, 'x'));
  EXPECT_EQ(declared->status, 413);
  EXPECT_TRUE(declared->closed);
  // Chunked (no length): refused while streaming, the old file intact, no temporary file left.
  auto streamed = call_with(o, "PUT", "/file.txt", {}, std::string(5000, 'x'), true);
  EXPECT_EQ(streamed->status, 413);
  EXPECT_TRUE(streamed->closed);
  EXPECT_EQ(read_file(root_ / "file.txt"), "hello world");
  auto fresh = call_with(o, "PUT", "/new.bin", {}, std::string(5000, 'x'), true);
  EXPECT_EQ(fresh->status, 413);
  EXPECT_EQ(names_in(root_), (std::vector<std::string>{"dir", "file.txt"}));
  // Exactly at the limit is fine.
  EXPECT_EQ(call_with(o, "PUT", "/exact.bin", {}, std::string(1000, 'x'), true)->status, 201);
}

TEST_P(WebdavTest, PutWhoseBodyFailsMidwayLeavesNothing) {
  webdav_handler handler(options());
  fake_exchange exchange("PUT", {}, std::string(200000, 'y'), false);
  exchange.fail_read_at = 70000;
  run(handler, exchange, "/file.txt");
  EXPECT_EQ(exchange.status, 400);
  EXPECT_TRUE(exchange.closed);
  EXPECT_EQ(read_file(root_ / "file.txt"), "hello world");
  EXPECT_EQ(names_in(root_), (std::vector<std::string>{"dir", "file.txt"}));
}

TEST_P(WebdavTest, PutRefusals) {
  EXPECT_EQ(call("PUT", "/missing/new.txt", {}, "x")->status, 409);
  EXPECT_EQ(call("PUT", "/file.txt/new.txt", {}, "x")->status, 409);
  EXPECT_EQ(call("PUT", "/dir", {}, "x")->status, 405);
  EXPECT_EQ(call("PUT", "/", {}, "x")->status, 405);
  EXPECT_EQ(names_in(root_), (std::vector<std::string>{"dir", "file.txt"}));
}

// ---- MKCOL, DELETE ----

TEST_P(WebdavTest, MkcolCreatesADirectory) {
  EXPECT_EQ(call("MKCOL", "/dir/made")->status, 201);
  EXPECT_TRUE(stdfs::is_directory(root_ / "dir" / "made"));
  EXPECT_EQ(call("MKCOL", "/dir/made")->status, 405);
  EXPECT_EQ(call("MKCOL", "/file.txt")->status, 405);
  EXPECT_EQ(call("MKCOL", "/")->status, 405);
  EXPECT_EQ(call("MKCOL", "/missing/made")->status, 409);
  EXPECT_EQ(call("MKCOL", "/with-body", {}, "<x/>")->status, 415);
  EXPECT_FALSE(stdfs::exists(root_ / "with-body"));
}

TEST_P(WebdavTest, DeleteRemovesFilesAndTrees) {
  EXPECT_EQ(call("DELETE", "/file.txt")->status, 204);
  EXPECT_EQ(call("DELETE", "/dir")->status, 204);
  EXPECT_TRUE(names_in(root_).empty());
  EXPECT_EQ(call("DELETE", "/file.txt")->status, 404);
}

TEST_P(WebdavTest, DeleteAndMoveOfTheRootAreRefused) {
  for (const char* path : {"", "/", "//", "/.", "/./"}) {
    SCOPED_TRACE(path);
    EXPECT_EQ(call("DELETE", path)->status, 403);
    EXPECT_EQ(call("MOVE", path, {{"Destination", "/fs/elsewhere"}})->status, 403);
  }
  EXPECT_EQ(call("MOVE", "/dir", {{"Destination", "/fs/"}})->status, 403);
  EXPECT_EQ(names_in(root_), (std::vector<std::string>{"dir", "file.txt"}));
  EXPECT_TRUE(stdfs::is_directory(root_));
}

// ---- MOVE ----

TEST_P(WebdavTest, MoveRenamesWithAbsoluteUrlOrPath) {
  auto created = call("MOVE", "/file.txt", {{"Destination", "http://example:8080/fs/dir/a%20b"}});
  EXPECT_EQ(created->status, 201);
  EXPECT_EQ(read_file(root_ / "dir" / "a b"), "hello world");
  auto back = call("MOVE", "/dir/a%20b", {{"Destination", "/fs/file.txt"}});
  EXPECT_EQ(back->status, 201);
  EXPECT_EQ(read_file(root_ / "file.txt"), "hello world");
}

TEST_P(WebdavTest, MoveHonoursOverwrite) {
  write_file(root_ / "other.txt", "other");
  auto refused = call("MOVE", "/other.txt", {{"Destination", "/fs/file.txt"}, {"Overwrite", "F"}});
  EXPECT_EQ(refused->status, 412);
  EXPECT_EQ(read_file(root_ / "file.txt"), "hello world");
  auto replaced = call("MOVE", "/other.txt", {{"Destination", "/fs/file.txt"}, {"Overwrite", "T"}});
  EXPECT_EQ(replaced->status, 204);
  EXPECT_EQ(read_file(root_ / "file.txt"), "other");
  EXPECT_EQ(names_in(root_), (std::vector<std::string>{"dir", "file.txt"}));
}

TEST_P(WebdavTest, MoveRefusesBadHeaders) {
  EXPECT_EQ(call("MOVE", "/file.txt")->status, 400);
  EXPECT_EQ(call("MOVE", "/file.txt", {{"Destination", "/other/x"}})->status, 400);
  EXPECT_EQ(call("MOVE", "/file.txt", {{"Destination", "/fsx/x"}})->status, 400);
  EXPECT_EQ(call("MOVE", "/file.txt", {{"Destination", "relative"}})->status, 400);
  EXPECT_EQ(call("MOVE", "/file.txt", {{"Destination", "/fs/x"}, {"Overwrite", "yes"}})->status,
            400);
  EXPECT_EQ(call("MOVE", "/file.txt", {{"Destination", "/fs/%2e%2e/x"}})->status, 403);
  EXPECT_EQ(call("MOVE", "/file.txt", {{"Destination", "/fs/%zz"}})->status, 400);
  EXPECT_EQ(call("MOVE", "/missing", {{"Destination", "/fs/x"}})->status, 404);
  EXPECT_EQ(call("MOVE", "/file.txt", {{"Destination", "/fs/missing/x"}})->status, 409);
  EXPECT_EQ(names_in(root_), (std::vector<std::string>{"dir", "file.txt"}));
  EXPECT_EQ(names_in(outside_), (std::vector<std::string>{"secret"}));
}

// ---- read-only ----

TEST_P(WebdavTest, ReadOnlyRefusesEveryWriteMethod) {
  auto o = options();
  o.read_only = true;
  const std::vector<std::pair<std::string, std::string>> writes = {
      {"PUT", "/file.txt"},    {"PUT", "/new.txt"}, {"MKCOL", "/made"},
      {"DELETE", "/file.txt"}, {"DELETE", "/dir"},  {"MOVE", "/file.txt"}};
  for (const auto& [method, path] : writes) {
    SCOPED_TRACE(method + " " + path);
    auto r = call_with(o, method, path, {{"Destination", "/fs/moved"}}, "data");
    EXPECT_EQ(r->status, 403);
    EXPECT_TRUE(contains(r->response_body,
                         R"({"error":{"code":"read_only","message":"read-only filesystem"}})"));
  }
  EXPECT_EQ(names_in(root_), (std::vector<std::string>{"dir", "file.txt"}));
  EXPECT_EQ(read_file(root_ / "file.txt"), "hello world");
  EXPECT_EQ(call_with(o, "GET", "/file.txt")->status, 200);
  EXPECT_EQ(call_with(o, "PROPFIND", "/", {{"Depth", "1"}})->status, 207);
  auto allow = call_with(o, "OPTIONS", "/");
  EXPECT_FALSE(contains(allow->response_header("Allow"), "PUT"));
}

// ---- the escape corpus ----

TEST_P(WebdavTest, EscapeAttemptsAreRefusedAndLeaveNoTrace) {
  stdfs::create_symlink("../outside/secret", root_ / "rel_link");
  stdfs::create_symlink(outside_ / "secret", root_ / "abs_link");
  stdfs::create_symlink("../outside", root_ / "dir_link");
  stdfs::create_symlink("chain2", root_ / "chain1");
  stdfs::create_symlink("dir/chain3", root_ / "chain2");
  stdfs::create_symlink("../../outside/secret", root_ / "dir" / "chain3");
  stdfs::create_symlink("/proc/self/root", root_ / "proc_root");
  stdfs::create_symlink("/proc/self/cwd", root_ / "proc_cwd");
  const auto before = names_in(root_);

  struct case_t {
    const char* path;
    int status;
  };
  for (const auto& c :
       {case_t{"/../outside/secret", 403}, case_t{"/..", 403},
        case_t{"/%2e%2e/outside/secret", 403}, case_t{"/%2E%2E%2Foutside%2Fsecret", 403},
        case_t{"/dir/%2e%2e/%2e%2e/outside/secret", 403},
        case_t{"/dir/..%2f..%2foutside/secret", 403}, case_t{"/rel_link", 403},
        case_t{"/abs_link", 403}, case_t{"/dir_link/secret", 403}, case_t{"/chain1", 403},
        case_t{"/proc_root/etc/hostname", 403}, case_t{"/proc_cwd/", 403},
        case_t{"/file.txt%00.jpg", 400}, case_t{"/%ff%fe", 400}, case_t{"/%c0%ae%c0%ae/x", 400},
        case_t{"/%zz", 400}, case_t{"/%2", 400}, case_t{"//etc/passwd", 404},
        case_t{"/%2fetc%2fpasswd", 404}}) {
    SCOPED_TRACE(c.path);
    EXPECT_EQ(call("GET", c.path)->status, c.status);
    EXPECT_EQ(call("PROPFIND", c.path, {{"Depth", "0"}})->status, c.status);
  }
  // Writes through escapes: refused, and nothing appears outside or inside.
  for (const char* path : {"/../outside/planted", "/%2e%2e/outside/planted", "/dir_link/planted",
                           "/proc_cwd/planted"}) {
    SCOPED_TRACE(path);
    EXPECT_EQ(call("PUT", path, {}, "evil")->status, 403);
    EXPECT_EQ(call("MKCOL", path)->status, 403);
    EXPECT_EQ(call("DELETE", path)->status, 403);
    EXPECT_EQ(call("MOVE", "/file.txt", {{"Destination", std::string("/fs") + path}})->status, 403);
  }
  EXPECT_EQ(call("DELETE", "/dir_link/secret")->status, 403);
  EXPECT_EQ(call("MOVE", "/dir_link/secret", {{"Destination", "/fs/stolen"}})->status, 403);
  EXPECT_EQ(names_in(outside_), (std::vector<std::string>{"secret"}));
  EXPECT_EQ(read_file(outside_ / "secret"), "secret");
  EXPECT_EQ(names_in(root_), before);
  EXPECT_EQ(read_file(root_ / "file.txt"), "hello world");
}

TEST_P(WebdavTest, AnUnopenableRootAnswers500) {
  auto o = options();
  o.root = base_ / "missing";
  webdav_handler handler(o);
  EXPECT_FALSE(handler.ready());
  fake_exchange exchange("GET", {}, "", false);
  run(handler, exchange, "/file.txt");
  EXPECT_EQ(exchange.status, 500);
}

// ---- pure parsers ----

TEST(WebdavParse, Depth) {
  EXPECT_EQ(parse_depth("0"), depth::zero);
  EXPECT_EQ(parse_depth(" 1 "), depth::one);
  EXPECT_EQ(parse_depth("Infinity"), depth::infinity);
  EXPECT_EQ(parse_depth("01"), std::nullopt);
  EXPECT_EQ(parse_depth("18446744073709551617"), std::nullopt);
}

TEST(WebdavParse, PropfindBodies) {
  propfind_request r;
  std::string error;
  ASSERT_TRUE(parse_propfind("  \r\n", r, error));
  EXPECT_EQ(r.what, propfind_request::kind::allprop);
  ASSERT_TRUE(parse_propfind(
      "\xEF\xBB\xBF<?xml version='1.0' encoding='utf-8'?><!-- c --><a:propfind xmlns:a='DAV:' "
      "xmlns:b='urn:b'><a:prop><b:x/><a:getetag></a:getetag><y xmlns='urn:y'>t&amp;<![CDATA[<]]>"
      "</y></a:prop></a:propfind>",
      r, error))
      << error;
  EXPECT_EQ(r.what, propfind_request::kind::prop);
  EXPECT_EQ(r.props,
            (std::vector<property_name>{{"urn:b", "x"}, {"DAV:", "getetag"}, {"urn:y", "y"}}));
  ASSERT_TRUE(parse_propfind("<propfind xmlns='DAV:'><allprop/><include><x/></include></propfind>",
                             r, error));
  EXPECT_EQ(r.what, propfind_request::kind::allprop);
  for (const char* bad :
       {"<propfind xmlns='DAV:'><prop><p:x/></prop></propfind>",
        "<propfind xmlns='DAV:' a='1' a='2'/>", "<propfind xmlns='DAV:'>&bogus;</propfind>",
        "<propfind xmlns='DAV:'/>trailing", "<propfind xmlns='DAV:'/><!DOCTYPE x>",
        "<propfind xmlns='DAV:'/>\xff"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(parse_propfind(bad, r, error));
    EXPECT_FALSE(error.empty());
  }
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "<a>";
  EXPECT_FALSE(parse_propfind(deep, r, error));
}

TEST(WebdavParse, Destination) {
  EXPECT_EQ(destination_below_prefix("http://h:1/fs/a%20b?q#f", "/fs"), "/a%20b");
  EXPECT_EQ(destination_below_prefix("https://h/fs", "/fs"), "");
  EXPECT_EQ(destination_below_prefix("/fs/x", "/fs/"), "/x");
  EXPECT_EQ(destination_below_prefix("/fsx/x", "/fs"), std::nullopt);
  EXPECT_EQ(destination_below_prefix("http://h", "/fs"), std::nullopt);
  EXPECT_EQ(destination_below_prefix("x/fs/y", "/fs"), std::nullopt);
}

TEST(WebdavParse, Dates) {
  EXPECT_EQ(http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(rfc3339_date(784111777), "1994-11-06T08:49:37Z");
}

}  // namespace
