// A server registry over a real SQLite store in its own temp directory, for the engine's unit
// tests: reopen() drops both and opens them again over the same file (what a restart sees).
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "rstream/engine/server_registry.hpp"
#include "rstream/store/sqlite_store.hpp"

namespace rstream::test {

class temp_registry {
 public:
  temp_registry() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "rstream-registry-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    reopen();
  }
  ~temp_registry() {
    registry_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  temp_registry(const temp_registry&) = delete;
  temp_registry& operator=(const temp_registry&) = delete;

  void reopen() {
    registry_.reset();
    store_.reset();
    auto opened = store::open_sqlite_store(dir_ / "engine.db");
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(*opened);
    registry_ = std::make_unique<engine::server_registry>(*store_);
    ASSERT_TRUE(registry_->load().ok());
  }

  store::engine_store& store() { return *store_; }
  engine::server_registry& registry() { return *registry_; }
  const std::filesystem::path& dir() const { return dir_; }

  /// Token names the tests use: "ci" (tok1) and "ops" (tok2).
  static std::optional<std::string> token_id(const std::string& name) {
    if (name == "ci" || name == "tok1") return "tok1";
    if (name == "ops" || name == "tok2") return "tok2";
    return std::nullopt;
  }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<store::engine_store> store_;
  std::unique_ptr<engine::server_registry> registry_;
};

}  // namespace rstream::test
