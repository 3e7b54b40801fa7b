// Private files and directories: 0600 whatever the umask, atomic replacement, create-only that
// never replaces, 0700 directories, and refusal of a directory others can write to.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "rstream/base/private_files.hpp"

namespace rstream::base {
namespace {

namespace fs = std::filesystem;

class PrivateFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "rstream-private-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    saved_umask_ = ::umask(0);  // the loosest umask: modes must not depend on it
  }
  void TearDown() override {
    ::umask(saved_umask_);
    fs::remove_all(dir_);
  }
  static std::string read(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  static unsigned mode(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0);
    return st.st_mode & 07777;
  }
  static std::size_t entries(const fs::path& d) {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(d), {}));
  }
  fs::path dir_;
  mode_t saved_umask_ = 0;
};

TEST_F(PrivateFiles, WriteReplacesWithMode0600AndLeavesNoTempFile) {
  std::string error;
  ASSERT_TRUE(write_private_file(dir_ / "f", "one", error)) << error;
  ASSERT_TRUE(write_private_file(dir_ / "f", "two", error)) << error;
  EXPECT_EQ(read(dir_ / "f"), "two");
  EXPECT_EQ(mode(dir_ / "f"), 0600u);
  EXPECT_EQ(entries(dir_), 1u);
}

TEST_F(PrivateFiles, CreateNeverReplacesAnExistingFile) {
  std::string error;
  EXPECT_EQ(create_private_file(dir_ / "id", "first", error), private_write::written) << error;
  EXPECT_EQ(mode(dir_ / "id"), 0600u);
  EXPECT_EQ(create_private_file(dir_ / "id", "second", error), private_write::exists);
  EXPECT_NE(error.find("exists"), std::string::npos) << error;
  EXPECT_EQ(read(dir_ / "id"), "first");
  EXPECT_EQ(entries(dir_), 1u);  // the temp file is gone too
}

TEST_F(PrivateFiles, WriteIntoAMissingDirectoryFailsWithAMessage) {
  std::string error;
  EXPECT_FALSE(write_private_file(dir_ / "missing" / "f", "x", error));
  EXPECT_NE(error.find("missing"), std::string::npos) << error;
  EXPECT_EQ(create_private_file(dir_ / "missing" / "f", "x", error), private_write::failed);
}

TEST_F(PrivateFiles, PrivateDirIs0700AndOthersWritableIsRefused) {
  std::string error;
  ASSERT_TRUE(make_private_dir(dir_ / "a" / "b", error)) << error;
  EXPECT_EQ(mode(dir_ / "a"), 0700u);
  EXPECT_EQ(mode(dir_ / "a" / "b"), 0700u);
  ASSERT_EQ(::chmod((dir_ / "a" / "b").c_str(), 0777), 0);
  EXPECT_FALSE(make_private_dir(dir_ / "a" / "b", error));
  EXPECT_NE(error.find("writable by other users"), std::string::npos) << error;
  EXPECT_EQ(mode(dir_ / "a" / "b"), 0777u);  // refused, never chmod-ed behind the user's back
}

}  // namespace
}  // namespace rstream::base
