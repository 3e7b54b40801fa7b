// WebSocket channels over TLS: instantiates websocket_channel_impl.hpp for tls_stream.
#include "websocket_channel_impl.hpp"

namespace rstream::transport::detail {

namespace asio = boost::asio;

asio::awaitable<std::unique_ptr<frame_channel>> handshake_websocket(
    tls_stream stream, const std::string& host_header, const std::string& path,
    const std::string& token, std::size_t max_payload, std::string& error) {
  co_return co_await websocket_impl::handshake_impl(std::move(stream), host_header, path, token,
                                                    max_payload, error);
}

}  // namespace rstream::transport::detail
