// Test support for the engine's whole-program tests: an engine_app on 127.0.0.1, any free port,
// with a fresh private data directory removed at the end of the test.
//
// Thread-safety: one test thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "rstream/engine/engine_app.hpp"
#include "support/temporary_dir.hpp"

namespace rstream::test {

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
