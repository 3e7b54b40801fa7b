// fs::confined_root and fs::normalize_path: every path stays below the served root, with
// openat2 and with the component-walk fallback alike (each test runs in both modes), and the
// operations (stat, read, list, atomic write, mkdir, delete, move) do what WebDAV needs.
#include "rstream/fs/confined_root.hpp"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "rstream/fs/webdav_parse.hpp"

namespace stdfs = std::filesystem;
using namespace rstream::fs;

namespace {

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

std::string read_fd(int fd) {
  std::string out;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) out.append(buffer, static_cast<size_t>(n));
  return out;
}

/// Names in a directory, sorted; for "no temporary file left behind" checks.
std::vector<std::string> names_in(const stdfs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : stdfs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

/// A root with a file, a directory and an "outside" sibling holding a secret.
class FsConfinedRoot : public ::testing::TestWithParam<resolve_mode> {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/rstream-fs-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    base_ = pattern;
    root_path_ = base_ / "root";
    outside_ = base_ / "outside";
    stdfs::create_directories(root_path_ / "dir" / "nested");
    stdfs::create_directories(outside_);
    write_file(root_path_ / "file.txt", "hello");
    write_file(root_path_ / "dir" / "inner.txt", "inner");
    write_file(outside_ / "secret", "secret");
    auto opened = confined_root::open(root_path_, GetParam());
    ASSERT_TRUE(opened) << opened.error().message;
    root_.emplace(std::move(opened.value()));
    ASSERT_EQ(root_->uses_openat2(), GetParam() == resolve_mode::kernel_openat2);
  }
  void TearDown() override {
    std::error_code ignored;
    stdfs::remove_all(base_, ignored);
  }

  stdfs::path base_, root_path_, outside_;
  std::optional<confined_root> root_;
};

INSTANTIATE_TEST_SUITE_P(Fs, FsConfinedRoot,
                         ::testing::Values(resolve_mode::kernel_openat2,
                                           resolve_mode::component_walk),
                         [](const auto& info) {
                           return info.param == resolve_mode::kernel_openat2 ? "openat2" : "walk";
                         });

TEST_P(FsConfinedRoot, StatsFilesDirectoriesAndTheRoot) {
  auto file = root_->stat("file.txt");
  ASSERT_TRUE(file) << file.error().message;
  EXPECT_EQ(file->kind, entry_kind::file);
  EXPECT_EQ(file->size, 5u);
  auto dir = root_->stat("dir");
  ASSERT_TRUE(dir);
  EXPECT_EQ(dir->kind, entry_kind::directory);
  auto root = root_->stat("");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->kind, entry_kind::directory);
  EXPECT_EQ(root_->stat("missing").code(), errc::not_found);
  EXPECT_EQ(root_->stat("file.txt/below").code(), errc::not_directory);
}

TEST_P(FsConfinedRoot, OpensRegularFilesOnly) {
  auto fd = root_->open_file("dir/inner.txt");
  ASSERT_TRUE(fd) << fd.error().message;
  EXPECT_EQ(read_fd(fd->get()), "inner");
  EXPECT_EQ(root_->open_file("dir").code(), errc::is_directory);
  ASSERT_EQ(::mkfifo((root_path_ / "fifo").c_str(), 0600), 0);
  EXPECT_EQ(root_->open_file("fifo").code(), errc::forbidden);  // and it did not block
}

TEST_P(FsConfinedRoot, ListsSortedEntriesAndLeavesOutEscapingSymlinks) {
  stdfs::create_symlink("file.txt", root_path_ / "link_inside");
  stdfs::create_symlink(outside_ / "secret", root_path_ / "link_absolute");
  stdfs::create_symlink("../outside/secret", root_path_ / "link_escaping");
  stdfs::create_symlink("nowhere", root_path_ / "link_dangling");
  ASSERT_EQ(::mkfifo((root_path_ / "fifo").c_str(), 0600), 0);
  auto entries = root_->list("");
  ASSERT_TRUE(entries) << entries.error().message;
  std::vector<std::string> names;
  for (const auto& entry : *entries) names.push_back(entry.name);
  EXPECT_EQ(names, (std::vector<std::string>{"dir", "file.txt", "link_inside"}));
  EXPECT_EQ(entries->at(2).info.kind, entry_kind::file);
  EXPECT_EQ(entries->at(2).info.size, 5u);
  EXPECT_EQ(root_->list("file.txt").code(), errc::not_directory);
}

TEST_P(FsConfinedRoot, RefusesDotDotEvenWhenItWouldStayInside) {
  EXPECT_EQ(root_->stat("..").code(), errc::escapes_root);
  EXPECT_EQ(root_->stat("../outside/secret").code(), errc::escapes_root);
  EXPECT_EQ(root_->stat("dir/../file.txt").code(), errc::escapes_root);
  EXPECT_EQ(root_->open_file("dir/../../outside/secret").code(), errc::escapes_root);
  EXPECT_EQ(root_->remove("../outside/secret").code(), errc::escapes_root);
  EXPECT_EQ(read_file(outside_ / "secret"), "secret");
}

TEST_P(FsConfinedRoot, RefusesNulAndInvalidUtf8) {
  EXPECT_EQ(root_->stat(std::string("file.txt\0x", 10)).code(), errc::invalid_path);
  EXPECT_EQ(root_->stat("bad\xff").code(), errc::invalid_path);
  EXPECT_EQ(root_->make_directory("new\xc0\xaf").code(), errc::invalid_path);
  EXPECT_EQ(names_in(root_path_), (std::vector<std::string>{"dir", "file.txt"}));
}

TEST_P(FsConfinedRoot, RefusesSymlinksThatLeaveTheRoot) {
  stdfs::create_symlink("../outside/secret", root_path_ / "relative_escape");
  stdfs::create_symlink(outside_ / "secret", root_path_ / "absolute_escape");
  stdfs::create_symlink("../outside", root_path_ / "dir_escape");
  for (const char* path : {"relative_escape", "absolute_escape", "dir_escape/secret"}) {
    SCOPED_TRACE(path);
    EXPECT_EQ(root_->stat(path).code(), errc::escapes_root);
    EXPECT_EQ(root_->open_file(path).code(), errc::escapes_root);
  }
  EXPECT_EQ(root_->list("dir_escape").code(), errc::escapes_root);
  EXPECT_EQ(root_->create_pending("dir_escape/planted").code(), errc::escapes_root);
  EXPECT_EQ(root_->make_directory("dir_escape/planted").code(), errc::escapes_root);
  EXPECT_EQ(root_->remove("dir_escape/secret").code(), errc::escapes_root);
  EXPECT_EQ(root_->move("file.txt", "dir_escape/stolen", true).code(), errc::escapes_root);
  EXPECT_EQ(root_->move("dir_escape/secret", "taken", true).code(), errc::escapes_root);
  EXPECT_EQ(names_in(outside_), (std::vector<std::string>{"secret"}));
  EXPECT_EQ(read_file(outside_ / "secret"), "secret");
  EXPECT_TRUE(stdfs::exists(root_path_ / "file.txt"));
}

TEST_P(FsConfinedRoot, RefusesASymlinkChainThatEndsOutside) {
  stdfs::create_symlink("b", root_path_ / "a");
  stdfs::create_symlink("dir/c", root_path_ / "b");
  stdfs::create_symlink("../../outside/secret", root_path_ / "dir" / "c");
  EXPECT_EQ(root_->open_file("a").code(), errc::escapes_root);
  // A chain that stays inside is followed, in both modes.
  stdfs::create_symlink("hop2", root_path_ / "hop1");
  stdfs::create_symlink("dir/hop3", root_path_ / "hop2");
  stdfs::create_symlink("../file.txt", root_path_ / "dir" / "hop3");
  auto fd = root_->open_file("hop1");
  ASSERT_TRUE(fd) << fd.error().message;
  EXPECT_EQ(read_fd(fd->get()), "hello");
}

TEST_P(FsConfinedRoot, RefusesASymlinkLoop) {
  stdfs::create_symlink("loop2", root_path_ / "loop1");
  stdfs::create_symlink("loop1", root_path_ / "loop2");
  EXPECT_EQ(root_->stat("loop1").code(), errc::symlink_loop);
}

TEST_P(FsConfinedRoot, RefusesAProcMagicLinkPlacedInTheRoot) {
  stdfs::create_symlink("/proc/self/root", root_path_ / "proc_root");
  stdfs::create_symlink("/proc/self/cwd", root_path_ / "proc_cwd");
  EXPECT_EQ(root_->stat("proc_root/etc").code(), errc::escapes_root);
  EXPECT_EQ(root_->open_file("proc_root/etc/hostname").code(), errc::escapes_root);
  EXPECT_EQ(root_->list("proc_cwd").code(), errc::escapes_root);
}

// With / as the root, /proc is below it: only RESOLVE_NO_MAGICLINKS (or the walk, which never
// lets the kernel follow a link) stands between "proc/self/root" and everything.
TEST_P(FsConfinedRoot, RefusesProcMagicLinksReachedBelowTheRoot) {
  auto slash = confined_root::open("/", GetParam());
  ASSERT_TRUE(slash);
  ASSERT_TRUE(slash->stat("proc/self").ok());  // a plain symlink, followed
  const auto via_magic = slash->stat("proc/self/root/etc");
  EXPECT_FALSE(via_magic.ok());
  EXPECT_TRUE(via_magic.code() == errc::symlink_loop || via_magic.code() == errc::escapes_root)
      << to_string(via_magic.code());
  const std::string fd_link = "proc/self/fd/" + std::to_string(::open("/tmp", O_PATH));
  EXPECT_FALSE(slash->list(fd_link).ok());
  EXPECT_FALSE(slash->open_file("proc/self/exe").ok());
}

TEST_P(FsConfinedRoot, AtomicWriteCreatesAndReplaces) {
  auto pending = root_->create_pending("dir/new.bin");
  ASSERT_TRUE(pending) << pending.error().message;
  const std::string content = "new content";
  ASSERT_TRUE(
      pending->write({reinterpret_cast<const std::uint8_t*>(content.data()), content.size()}));
  EXPECT_FALSE(stdfs::exists(root_path_ / "dir" / "new.bin"));  // nothing visible before commit
  auto created = pending->commit();
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_FALSE(created.value());
  EXPECT_EQ(read_file(root_path_ / "dir" / "new.bin"), content);

  auto again = root_->create_pending("file.txt");
  ASSERT_TRUE(again);
  ASSERT_TRUE(again->write({reinterpret_cast<const std::uint8_t*>("bye"), 3}));
  auto replaced = again->commit();
  ASSERT_TRUE(replaced);
  EXPECT_TRUE(replaced.value());
  EXPECT_EQ(read_file(root_path_ / "file.txt"), "bye");
  EXPECT_EQ(names_in(root_path_ / "dir"),
            (std::vector<std::string>{"inner.txt", "nested", "new.bin"}));
}

TEST_P(FsConfinedRoot, AbandonedWriteLeavesNoTrace) {
  {
    auto pending = root_->create_pending("file.txt");
    ASSERT_TRUE(pending);
    ASSERT_TRUE(pending->write({reinterpret_cast<const std::uint8_t*>("partial"), 7}));
    EXPECT_EQ(names_in(root_path_).size(), 3u);  // the temporary file exists meanwhile
  }
  EXPECT_EQ(names_in(root_path_), (std::vector<std::string>{"dir", "file.txt"}));
  EXPECT_EQ(read_file(root_path_ / "file.txt"), "hello");
}

TEST_P(FsConfinedRoot, AtomicWriteRefusals) {
  EXPECT_EQ(root_->create_pending("missing/x").code(), errc::parent_missing);
  EXPECT_EQ(root_->create_pending("file.txt/x").code(), errc::parent_missing);
  EXPECT_EQ(root_->create_pending("dir").code(), errc::is_directory);
  EXPECT_EQ(root_->create_pending("").code(), errc::forbidden);
}

TEST_P(FsConfinedRoot, MakesDirectories) {
  ASSERT_TRUE(root_->make_directory("dir/made"));
  EXPECT_TRUE(stdfs::is_directory(root_path_ / "dir" / "made"));
  EXPECT_EQ(root_->make_directory("dir/made").code(), errc::exists);
  EXPECT_EQ(root_->make_directory("file.txt").code(), errc::exists);
  EXPECT_EQ(root_->make_directory("").code(), errc::exists);
  EXPECT_EQ(root_->make_directory("missing/made").code(), errc::parent_missing);
}

TEST_P(FsConfinedRoot, RemovesFilesTreesAndLinksButNotTheRoot) {
  write_file(root_path_ / "dir" / "nested" / "deep.txt", "deep");
  stdfs::create_symlink(outside_, root_path_ / "dir" / "nested" / "to_outside");
  stdfs::create_symlink(outside_, root_path_ / "link_to_outside");
  ASSERT_TRUE(root_->remove("link_to_outside"));  // the link, not its target
  ASSERT_TRUE(root_->remove("dir"));              // recursively, not following the inner link
  EXPECT_EQ(names_in(root_path_), (std::vector<std::string>{"file.txt"}));
  EXPECT_EQ(read_file(outside_ / "secret"), "secret");
  EXPECT_EQ(root_->remove("").code(), errc::forbidden);
  EXPECT_EQ(root_->remove("missing").code(), errc::not_found);
  EXPECT_TRUE(stdfs::is_directory(root_path_));
}

TEST_P(FsConfinedRoot, MovesFilesAndDirectories) {
  auto created = root_->move("file.txt", "dir/moved.txt", false);
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_FALSE(created.value());
  EXPECT_EQ(read_file(root_path_ / "dir" / "moved.txt"), "hello");

  write_file(root_path_ / "other.txt", "other");
  EXPECT_EQ(root_->move("other.txt", "dir/moved.txt", false).code(), errc::exists);
  auto replaced = root_->move("other.txt", "dir/moved.txt", true);
  ASSERT_TRUE(replaced);
  EXPECT_TRUE(replaced.value());
  EXPECT_EQ(read_file(root_path_ / "dir" / "moved.txt"), "other");

  stdfs::create_directories(root_path_ / "target" / "old");
  auto over_directory = root_->move("dir", "target", true);
  ASSERT_TRUE(over_directory) << over_directory.error().message;
  EXPECT_TRUE(over_directory.value());
  EXPECT_EQ(names_in(root_path_), (std::vector<std::string>{"target"}));
  EXPECT_EQ(names_in(root_path_ / "target"),
            (std::vector<std::string>{"inner.txt", "moved.txt", "nested"}));
}

TEST_P(FsConfinedRoot, RefusesToMoveTheRootOrIntoItself) {
  EXPECT_EQ(root_->move("", "elsewhere", true).code(), errc::forbidden);
  EXPECT_EQ(root_->move("dir", "", true).code(), errc::forbidden);
  EXPECT_EQ(root_->move("dir", "dir/nested/dir", true).code(), errc::forbidden);
  EXPECT_EQ(root_->move("dir", "dir", true).code(), errc::forbidden);
  EXPECT_EQ(root_->move("missing", "x", true).code(), errc::not_found);
  EXPECT_EQ(root_->move("file.txt", "missing/x", true).code(), errc::parent_missing);
  EXPECT_EQ(names_in(root_path_), (std::vector<std::string>{"dir", "file.txt"}));
}

TEST_P(FsConfinedRoot, OpensTheRootOnlyWhenItIsADirectory) {
  EXPECT_EQ(confined_root::open(root_path_ / "file.txt", GetParam()).code(), errc::not_directory);
  EXPECT_EQ(confined_root::open(base_ / "missing", GetParam()).code(), errc::not_found);
}

TEST(FsNormalizePath, CollapsesSlashesAndDots) {
  EXPECT_EQ(normalize_path("").value(), "");
  EXPECT_EQ(normalize_path("/").value(), "");
  EXPECT_EQ(normalize_path("//a///b/./c/").value(), "a/b/c");
  EXPECT_EQ(normalize_path("/./.").value(), "");
  EXPECT_EQ(normalize_path("a b/é").value(), "a b/é");
  EXPECT_EQ(normalize_path("/etc/passwd").value(), "etc/passwd");  // always below the root
  EXPECT_EQ(normalize_path("...").value(), "...");
}

TEST(FsNormalizePath, RefusesDotDotNulInvalidUtf8AndLongNames) {
  EXPECT_EQ(normalize_path("/..").code(), errc::escapes_root);
  EXPECT_EQ(normalize_path("/a/../b").code(), errc::escapes_root);
  EXPECT_EQ(normalize_path("..").code(), errc::escapes_root);
  EXPECT_EQ(normalize_path(std::string("/a\0b", 4)).code(), errc::invalid_path);
  EXPECT_EQ(normalize_path("/\xff").code(), errc::invalid_path);
  EXPECT_EQ(normalize_path("/\xc0\xae\xc0\xae").code(), errc::invalid_path);  // overlong ".."
  EXPECT_EQ(normalize_path("/\xed\xa0\x80").code(), errc::invalid_path);      // a surrogate
  EXPECT_EQ(normalize_path("/" + std::string(256, 'x')).code(), errc::invalid_path);
  EXPECT_EQ(normalize_path(std::string(5000, 'a')).code(), errc::invalid_path);
}

}  // namespace
