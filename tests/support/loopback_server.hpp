// Test support: the configuration of a WebTTY server for an in-process test: tcp:// on
// 127.0.0.1, a free port, a bearer token.
//
// Thread-safety: a pure function.
#pragma once

#include <string>

#include "rstream/server/server_app.hpp"

namespace rstream::test {

inline server::server_config loopback_server_config(const std::string& token) {
  server::server_config config;
  config.listen.emplace();
  config.listen->scheme = "tcp";
  config.listen->host = "127.0.0.1";
  config.listen->port = 0;
  config.token = token;
  return config;
}

}  // namespace rstream::test
