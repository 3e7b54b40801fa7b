// WebSocket channels over TCP: websocket_instances.hpp's entry points for tcp_stream.
#include "websocket_instances.hpp"

namespace rstream::transport::detail {

RSTREAM_DEFINE_WEBSOCKET_ENTRY_POINTS(tcp_stream)

}  // namespace rstream::transport::detail
