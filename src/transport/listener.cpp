// listen_on, accept_connections (admission through the connection_gate, a reserve descriptor
// for when the process runs out) and make_server_tls_context (see listener.hpp).
#include "rstream/transport/listener.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "rstream/base/log_failure.hpp"
#include "rstream/common/asio_helpers.hpp"
#include "rstream/common/unique_fd.hpp"
#include "rstream/base/host_port.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;

namespace rstream::transport {

std::optional<std::string> tls_files_problem(const server_tls_files& files) {
  if (files.cert_file.empty() != files.key_file.empty()) {
    return "--tls-cert and --tls-key go together";
  }
  if (files.allow_plaintext && !files.enabled()) {
    return "--allow-plaintext applies to a TLS port: add --tls-cert and --tls-key";
  }
  return std::nullopt;
}

std::string endpoint_text(const tcp::endpoint& endpoint) {
  return base::host_port(endpoint.address().to_string(), endpoint.port());
}

bool listen_on(tcp::acceptor& acceptor, const std::string& host, std::uint16_t port,
               std::string& error) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) {
    error = "invalid listen address '" + host + "': expected an IP address";
    return false;
  }
  tcp::endpoint endpoint(address, port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error = "cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message();
    boost::system::error_code ignored;
    acceptor.close(ignored);
    return false;
  }
  return true;
}

namespace {

/// The peer's IP address as text (an IPv4-mapped IPv6 address as IPv4), for per-source limits.
std::string source_of(const tcp::socket& socket) {
  boost::system::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "?";
  auto address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  }
  return address.to_string();
}

/// Refusals are logged at most once a second, with how many there were: a flood must not
/// become a flood of log lines.
class refusal_log {
 public:
  void note(const char* why) {
    ++count_;
    last_why_ = why;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::seconds(1)) return;
    spdlog::warn("refused {} connection(s) at once: {}", count_, last_why_);
    count_ = 0;
    last_ = now;
  }

 private:
  std::size_t count_ = 0;
  const char* last_why_ = "";
  std::chrono::steady_clock::time_point last_{};
};

unique_fd open_reserve_fd() { return unique_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC)); }

}  // namespace

asio::awaitable<void> accept_connections(tcp::acceptor& acceptor, const serve_options& options,
                                         channel_handler on_channel, http_handler on_request) {
  // One descriptor held in reserve: out of descriptors, it is given up for a moment to accept
  // the waiting connection and close it at once, instead of leaving it (and everyone behind it)
  // waiting in the backlog while the loop backs off.
  unique_fd reserve = open_reserve_fd();
  refusal_log refusals;
  while (acceptor.is_open()) {
    auto [ec, socket] = co_await acceptor.async_accept(use_nothrow);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) break;
      const bool out_of_descriptors = ec == asio::error::no_descriptors || ec.value() == ENFILE ||
                                      ec == asio::error::no_buffer_space;
      if (!out_of_descriptors) {
        spdlog::warn("accept failed: {}", ec.message());
        continue;
      }
      if (reserve) {
        reserve.reset();
        unique_fd refused(::accept4(acceptor.native_handle(), nullptr, nullptr, SOCK_CLOEXEC));
        refused.reset();
        reserve = open_reserve_fd();
        refusals.note("out of file descriptors (raise `ulimit -n`, or lower --max-connections)");
        continue;
      }
      // No reserve (it could not be reopened): a short pause rather than a busy loop.
      spdlog::warn("accept failed: {}", ec.message());
      asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(10));
      co_await pause.async_wait(use_nothrow);
      reserve = open_reserve_fd();
      continue;
    }
    connection_slot slot;
    if (options.gate) {
      connection_gate::refusal why = connection_gate::refusal::none;
      slot = options.gate->admit(source_of(socket), why);
      if (!slot.counted()) {
        // Refused at once: a connection that waits would hold a descriptor and a place.
        boost::system::error_code ignored;
        socket.close(ignored);
        refusals.note(connection_gate::describe(why));
        continue;
      }
      slot.arm_deadline(acceptor.get_executor(), options.gate->limits().pending_timeout,
                        socket.native_handle());
    }
    asio::co_spawn(
        acceptor.get_executor(),
        serve_connection(std::move(socket), options, on_channel, on_request, std::move(slot)),
        base::log_failure{"connection"});
  }
}

bool load_server_tls(const server_tls_files& files, std::shared_ptr<asio::ssl::context>& context,
                     bool& allow_plaintext, std::string& error) {
  if (!files.enabled()) return true;
  context = make_server_tls_context(files.cert_file, files.key_file, error);
  if (!context) return false;
  allow_plaintext = files.allow_plaintext;
  return true;
}

std::unique_ptr<asio::ssl::context> make_server_tls_context(const std::string& cert_file,
                                                            const std::string& key_file,
                                                            std::string& error) {
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(cert_file, ec);
  if (ec) {
    error = "cannot load TLS certificate '" + cert_file + "': " + ec.message();
    return nullptr;
  }
  ctx->use_private_key_file(key_file, asio::ssl::context::pem, ec);
  if (ec) {
    error = "cannot load TLS key '" + key_file + "': " + ec.message();
    return nullptr;
  }
  return ctx;
}

}  // namespace rstream::transport
