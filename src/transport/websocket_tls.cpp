// WebSocket channels over TLS: instantiates websocket_channel_impl.hpp for tls_stream.
#include "websocket_channel_impl.hpp"
#include "websocket_message_impl.hpp"

namespace rstream::transport::detail {

namespace asio = boost::asio;

asio::awaitable<std::unique_ptr<frame_channel>> handshake_websocket(
    tls_stream stream, const std::string& host_header, const std::string& path,
    const std::string& token, std::size_t max_payload, std::string& error) {
  co_return co_await websocket_impl::handshake_impl(std::move(stream), host_header, path, token,
                                                    max_payload, error);
}

asio::awaitable<std::unique_ptr<message_socket>> handshake_message_socket(
    tls_stream stream, const std::string& host_header, const std::string& path,
    const std::string& token, std::size_t max_message,
    std::shared_ptr<asio::ssl::context> tls_context, std::string& error, int& http_status) {
  co_return co_await websocket_impl::message_handshake_impl(
      std::move(stream), host_header, path, token, max_message, std::move(tls_context), error,
      http_status);
}

}  // namespace rstream::transport::detail
