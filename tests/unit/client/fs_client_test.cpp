// The fs client's pure parts: remote path normalisation, the endpoint a direct URL maps to, how a
// PROPFIND answer becomes the entry and its children, and the sentence and exit code of each
// refusal.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rstream/api/error_reply.hpp"
#include "rstream/client/fs_client.hpp"
#include "rstream/client/server_url.hpp"

namespace rstream::client {
namespace {

TEST(FsClientPaths, NormalizeRemotePath) {
  std::string error;
  EXPECT_EQ(normalize_remote_path("", error), "/");
  EXPECT_EQ(normalize_remote_path("/", error), "/");
  EXPECT_EQ(normalize_remote_path("a//b/./c/", error), "/a/b/c");
  EXPECT_EQ(normalize_remote_path("/x y/&z", error), "/x y/&z");
  EXPECT_TRUE(error.empty());
  EXPECT_FALSE(normalize_remote_path("a/../b", error));
  EXPECT_EQ(error, "'..' is not allowed in remote paths: a/../b");
  EXPECT_FALSE(normalize_remote_path(std::string("a\0b", 3), error));
  EXPECT_EQ(error, "remote paths cannot contain NUL bytes");
}

TEST(FsClientPaths, JoinAndBasename) {
  EXPECT_EQ(join_remote("/", "a"), "/a");
  EXPECT_EQ(join_remote("/a", "b c"), "/a/b c");
  EXPECT_EQ(remote_basename("/a/b c"), "b c");
  EXPECT_EQ(remote_basename("/"), "");
  EXPECT_EQ(remote_basename("name"), "name");
}

TEST(FsClientEndpoint, DirectUrls) {
  const transport::http_target target{false, "h", 8080};
  auto ep = direct_fs_endpoint("http://h:8080", target, "", true, "http://h:8080", "t");
  EXPECT_EQ(ep.prefix, "/fs");
  EXPECT_EQ(ep.display, "http://h:8080");
  EXPECT_EQ(ep.token, "t");
  ep = direct_fs_endpoint("http://h:8080/dav", target, "/dav", true, "http://h:8080", "");
  EXPECT_EQ(ep.prefix, "/dav");
  ep = direct_fs_endpoint("tcp://h:8080", target, "", false, "http://h:8080", "");
  EXPECT_EQ(ep.prefix, "/fs");
  EXPECT_EQ(ep.display, "tcp://h:8080 (http://h:8080/fs)");
  EXPECT_TRUE(is_tunnel_url("rstrm://x"));
  EXPECT_FALSE(is_tunnel_url("http://x"));
}

TEST(FsClientEndpoint, BadTunnelUrlIsUsage) {
  fs_status failure;
  EXPECT_FALSE(tunnel_fs_endpoint("rstrm://a/b", "", failure));
  EXPECT_EQ(failure.exit_code, api::exit_usage);
  EXPECT_EQ(failure.message, "invalid tunnel URL 'rstrm://a/b': expected rstrm://NAME");
  EXPECT_FALSE(tunnel_fs_endpoint("rstrm:///", "", failure));
  EXPECT_EQ(failure.exit_code, api::exit_usage);
}

api::dav_entry dav(std::string href, bool directory, std::uint64_t size = 0) {
  return {std::move(href), directory, size, std::nullopt};
}

TEST(FsClientEntries, SelfIsTheShortestHrefAndChildrenOneDeeper) {
  const std::vector<api::dav_entry> entries = {
      dav("/fs/d/b", false, 5), dav("/fs/d", true, 4096), dav("/fs/d/a dir", true, 4096),
      dav("/fs/d/a dir/deeper", false, 1), dav("/fs/d/..", false, 1)};
  std::vector<fs_entry> children;
  const fs_entry self = select_entries("/d", entries, &children);
  EXPECT_EQ(self.path, "/d");
  EXPECT_TRUE(self.directory);
  EXPECT_EQ(self.size, 0u);
  ASSERT_EQ(children.size(), 2u);
  EXPECT_EQ(children[0].path, "/d/a dir");
  EXPECT_TRUE(children[0].directory);
  EXPECT_EQ(children[0].size, 0u);
  EXPECT_EQ(children[1].path, "/d/b");
  EXPECT_EQ(children[1].size, 5u);

  const fs_entry root = select_entries("/", {dav("/fs", true), dav("/fs/x", false, 2)}, &children);
  EXPECT_TRUE(root.directory);
  EXPECT_EQ(children.back().path, "/x");
}

fs_response refusal(int status, std::string body = {}) {
  fs_response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

TEST(FsClientFailure, SentencesAndExitCodes) {
  fs_endpoint ep;
  ep.display = "http://h:1";
  fs_response none;
  none.error = "connection refused";
  auto s = describe_failure(ep, none, "/a");
  EXPECT_EQ(s.exit_code, api::exit_remote_failure);
  EXPECT_EQ(s.message, "cannot reach the file server at http://h:1: connection refused");

  s = describe_failure(ep, refusal(401), "/a");
  EXPECT_EQ(s.exit_code, api::exit_denied);
  EXPECT_EQ(s.message,
            "the server at http://h:1 refused the token: it requires one (--token or "
            "RSTREAM_WEBTTY_TOKEN) (HTTP 401)");
  s = describe_failure(ep, refusal(403, api::error_envelope("read_only", "ro")), "/a");
  EXPECT_EQ(s.exit_code, api::exit_denied);
  EXPECT_EQ(s.message, "/a: read-only filesystem");
  s = describe_failure(ep, refusal(404, api::error_envelope("fs_disabled", "no fs")), "/a");
  EXPECT_EQ(s.exit_code, api::exit_failure);
  EXPECT_EQ(s.message, "the server at http://h:1 serves no files (no fs)");
  s = describe_failure(ep, refusal(404), "/a");
  EXPECT_EQ(s.exit_code, api::exit_not_found);
  EXPECT_EQ(s.message, "no such file or directory: /a");
  s = describe_failure(ep, refusal(409, api::error_envelope("parent_missing", "x")), "/a/b");
  EXPECT_EQ(s.exit_code, api::exit_not_found);
  EXPECT_EQ(s.message, "no such file or directory: the parent of /a/b");
  s = describe_failure(ep, refusal(405, api::error_envelope("is_directory", "x")), "/a");
  EXPECT_EQ(s.message, "/a: is a directory");
  s = describe_failure(ep, refusal(412), "/b");
  EXPECT_EQ(s.message, "/b: already exists (and --no-clobber was given)");
  s = describe_failure(ep, refusal(500, api::error_envelope("io", "disk on fire")), "/a");
  EXPECT_EQ(s.exit_code, api::exit_failure);
  EXPECT_EQ(s.message, "/a: disk on fire (HTTP 500)");
}

}  // namespace
}  // namespace rstream::client
