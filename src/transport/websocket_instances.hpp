// The two WebSocket entry points (a frame channel and a message socket) for one stream type,
// defined by websocket_tcp.cpp and websocket_tls.cpp: one stream type per translation unit, so
// the two heavy Beast instantiations compile in parallel.
#pragma once

#include "websocket_channel_impl.hpp"
#include "websocket_message_impl.hpp"

#define RSTREAM_DEFINE_WEBSOCKET_ENTRY_POINTS(Stream)                                              \
  boost::asio::awaitable<std::unique_ptr<frame_channel>> handshake_websocket(                      \
      Stream stream, const std::string& host_header, const std::string& path,                      \
      const std::string& token, std::size_t max_payload, std::string& error) {                     \
    co_return co_await websocket_impl::handshake_impl(std::move(stream), host_header, path, token, \
                                                      max_payload, error);                         \
  }                                                                                                \
  boost::asio::awaitable<std::unique_ptr<message_socket>> handshake_message_socket(                \
      Stream stream, const std::string& host_header, const std::string& path,                      \
      const std::string& token, std::size_t max_message,                                           \
      std::shared_ptr<boost::asio::ssl::context> tls_context, std::string& error,                  \
      int& http_status) {                                                                          \
    co_return co_await websocket_impl::message_handshake_impl(                                     \
        std::move(stream), host_header, path, token, max_message, std::move(tls_context), error,   \
        http_status);                                                                              \
  }
