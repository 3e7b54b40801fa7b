// call_engine_api: client::call_engine, with its failure printed (see api_client.hpp).
#include "rstream/cli/api_client.hpp"

#include "rstream/client/engine_client.hpp"
#include "rstream/cli/common.hpp"

namespace rstream::cli {

api_result call_engine_api(const std::string& context, const std::string& method,
                           const std::string& path, const std::string& body) {
  auto reply = client::call_engine(context, method, path, body);
  if (!reply.ok) print_error(reply.message);
  return {reply.ok, reply.exit_code, std::move(reply.body)};
}

}  // namespace rstream::cli
