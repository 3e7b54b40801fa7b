// Test support for the engine's whole-program tests: an engine_app on 127.0.0.1, any free port,
// with a fresh private data directory removed at the end of the test.
//
// Thread-safety: one test thread.
#pragma once

#include <stdlib.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "rstream/engine/engine_app.hpp"

namespace rstream::test {

/// A private temporary directory, removed with its contents at the end of the test.
class temporary_dir {
 public:
  temporary_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "rstream-engine-XXXXXX");
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

/// An engine_app on 127.0.0.1, any free port, with a fresh data directory.
struct test_engine {
  temporary_dir dir;
  engine::engine_config config;
  std::string error;

  test_engine() {
    config.listen_port = 0;
    config.data_dir = dir.path() / "engine";
  }
  /// Starts an engine on `io`; null (with `error`) when it cannot.
  std::unique_ptr<engine::engine_app> start(boost::asio::io_context& io) {
    if (dir.path().empty()) error = "no temporary directory";
    auto app = std::make_unique<engine::engine_app>(io, config);
    if (!error.empty() || !app->start(error)) return nullptr;
    return app;
  }
};

}  // namespace rstream::test
