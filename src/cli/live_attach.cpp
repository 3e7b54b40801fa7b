// The terminal side of a live attachment (see live_attach.hpp).
#include "rstream/cli/live_attach.hpp"

#include <unistd.h>

#include "rstream/cli/common.hpp"
#include "rstream/terminal/terminal_live_io.hpp"

namespace rstream::cli {
namespace {

int report(const client::live_attach_result& result) {
  if (!result.farewell.empty()) {
    const std::string line = terminal_safe(result.farewell) + "\n";
    [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
  }
  if (!result.message.empty()) print_error(result.message);
  return result.exit_code;
}

}  // namespace

int attach_terminal(const client::live_attach_options& options) {
  terminal::terminal_live_io io;
  return report(client::run_live_attach(options, io));
}

int run_live_client(const std::string& url, const transport::connect_options& connect,
                    client::live_client_request request) {
  auto server = client::resolve_live_server(url, connect);
  if (!server) return report_outcome(server.error());
  request.server = std::move(*server);
  request.reattach_hint = "rstream webtty client --url " + url +
                          (request.session_name.empty() ? " --attach " + request.attach_id
                                                        : " --session " + request.session_name);
  terminal::terminal_live_io io;
  return report(client::run_live_client(request, io));
}

}  // namespace rstream::cli
