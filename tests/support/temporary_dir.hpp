// Test support: a private temporary directory (mkdtemp under the system's temporary
// directory), removed with its contents when the test is done with it.
//
// Thread-safety: one test thread.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace rstream::test {

/// A private temporary directory, removed with its contents at the end of the test.
class temporary_dir {
 public:
  temporary_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "rstream-test-XXXXXX");
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~temporary_dir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace rstream::test
