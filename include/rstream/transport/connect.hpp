// Client side of the transports: dial a URL and get a frame_channel.
// Thread-safety: call from the io_context's thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "rstream/transport/endpoint_url.hpp"
#include "rstream/transport/frame_channel.hpp"

namespace rstream::transport {

struct connect_options {
  std::string token;        ///< sent as "Authorization: Bearer" on WebSocket
  std::string tls_ca_file;  ///< trust this CA (PEM) instead of the system store
  bool tls_insecure_skip_verify = false;
  std::size_t max_payload = codec::default_max_payload;
  std::chrono::milliseconds timeout{10000};  ///< for resolve + connect + handshakes
};

struct connect_result {
  std::unique_ptr<frame_channel> channel;  ///< null on failure
  std::string error;                       ///< what failed, for users
};

boost::asio::awaitable<connect_result> connect(const endpoint_url& url,
                                               const connect_options& options);

}  // namespace rstream::transport
