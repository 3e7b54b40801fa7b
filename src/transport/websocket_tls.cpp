// WebSocket channels over TLS: websocket_instances.hpp's entry points for tls_stream.
#include "websocket_instances.hpp"

namespace rstream::transport::detail {

RSTREAM_DEFINE_WEBSOCKET_ENTRY_POINTS(tls_stream)

}  // namespace rstream::transport::detail
