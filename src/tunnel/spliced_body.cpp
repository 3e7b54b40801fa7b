// splice_response_body (see spliced_body.hpp).
#include "rstream/tunnel/spliced_body.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>

#include "rstream/codec/frame.hpp"
#include "rstream/common/asio_helpers.hpp"
#include "rstream/common/unique_fd.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;

namespace rstream::tunnel {
namespace {

/// The pipe between the two sockets: at most this much of one body is in the engine.
constexpr int pipe_bytes = 1024 * 1024;
/// A Data frame's header and its (stream, flags) prefix.
constexpr std::size_t data_head = codec::header_size + codec::data_frame::prefix_size;

/// Bytes read from the server but not yet relayed: a frame head, and maybe payload bytes that
/// came with it.
struct read_ahead {
  std::vector<std::uint8_t> bytes;
  std::size_t at = 0;
  std::size_t size() const { return bytes.size() - at; }
  const std::uint8_t* data() const { return bytes.data() + at; }
  void consume(std::size_t n) {
    at += n;
    if (at == bytes.size()) {
      bytes.clear();
      at = 0;
    }
  }
};

/// Reads until `ahead` holds `need` bytes, never more: whatever follows stays in the socket
/// for splice.
asio::awaitable<std::string> fill(tcp::socket& from, read_ahead& ahead, std::size_t need) {
  while (ahead.size() < need) {
    std::array<std::uint8_t, 64> piece{};
    const std::size_t want = std::min(piece.size(), need - ahead.size());
    auto [ec, n] = co_await from.async_read_some(asio::buffer(piece.data(), want), use_nothrow);
    if (ec) {
      co_return ec == asio::error::eof ? "the server closed the stream in the middle of the body"
                                       : "reading from the server: " + ec.message();
    }
    ahead.bytes.insert(ahead.bytes.end(), piece.begin(), piece.begin() + n);
  }
  co_return std::string{};
}

/// Why a frame that is not a body Data frame ends the relay.
asio::awaitable<std::string> describe_other_frame(tcp::socket& from, read_ahead& ahead,
                                                  const codec::frame_header& header) {
  if (header.type != codec::frame_type::error) {
    co_return std::string("a ") + codec::type_name(header.type) +
        " frame where the response body was expected";
  }
  std::string failure = co_await fill(from, ahead, codec::header_size + header.payload_length);
  if (!failure.empty()) co_return failure;
  std::vector<std::uint8_t> payload(ahead.data() + codec::header_size,
                                    ahead.data() + codec::header_size + header.payload_length);
  codec::frame decoded;
  codec::decode_error error;
  if (!codec::decode_payload(header, std::move(payload), decoded, error)) {
    co_return "a malformed Error frame: " + error.message;
  }
  const auto& e = std::get<codec::error_frame>(decoded);
  co_return "the server failed the body: " + e.message + " (" + e.code + ")";
}

/// Moves exactly `length` bytes from `from` to `to` through the pipe.
asio::awaitable<std::string> splice_exactly(tcp::socket& from, tcp::socket& to, int pipe_read,
                                            int pipe_write, std::uint64_t length) {
  std::uint64_t in_pipe = 0;
  while (length > 0 || in_pipe > 0) {
    if (length > 0) {
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(length, pipe_bytes));
      const ssize_t n = ::splice(from.native_handle(), nullptr, pipe_write, nullptr, want,
                                 SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        length -= static_cast<std::uint64_t>(n);
        in_pipe += static_cast<std::uint64_t>(n);
      } else if (n == 0) {
        co_return "the server closed the stream in the middle of the body";
      } else if (errno == EAGAIN) {
        if (in_pipe == 0) {
          auto [ec] = co_await from.async_wait(tcp::socket::wait_read, use_nothrow);
          if (ec) co_return "waiting for the server: " + ec.message();
          continue;
        }
      } else if (errno != EINTR) {
        co_return std::string("reading from the server: ") + std::strerror(errno);
      }
    }
    while (in_pipe > 0) {
      const ssize_t m =
          ::splice(pipe_read, nullptr, to.native_handle(), nullptr,
                   static_cast<std::size_t>(in_pipe), SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (m > 0) {
        in_pipe -= static_cast<std::uint64_t>(m);
      } else if (m < 0 && errno == EAGAIN) {
        auto [ec] = co_await to.async_wait(tcp::socket::wait_write, use_nothrow);
        if (ec) co_return "waiting for the client: " + ec.message();
      } else if (m < 0 && errno != EINTR) {
        co_return std::string("writing to the client: ") + std::strerror(errno);
      }
    }
  }
  co_return std::string{};
}

}  // namespace

asio::awaitable<spliced_body_result> splice_response_body(tcp::socket& server,
                                                          std::vector<std::uint8_t> unread,
                                                          tcp::socket& client,
                                                          std::size_t max_payload) {
  spliced_body_result result;
  boost::system::error_code ignored;
  server.native_non_blocking(true, ignored);
  client.native_non_blocking(true, ignored);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    result.failure = std::string("pipe: ") + std::strerror(errno);
    co_return result;
  }
  const unique_fd pipe_read(fds[0]);
  const unique_fd pipe_write(fds[1]);
  ::fcntl(fds[1], F_SETPIPE_SZ, pipe_bytes);  // best effort; 64 KiB otherwise

  read_ahead ahead;
  ahead.bytes = std::move(unread);
  while (true) {
    std::string failure = co_await fill(server, ahead, codec::header_size);
    if (!failure.empty()) {
      result.failure = std::move(failure);
      co_return result;
    }
    codec::frame_header header;
    codec::decode_error error;
    const std::span<const std::uint8_t, codec::header_size> header_bytes(ahead.data(),
                                                                         codec::header_size);
    if (!codec::parse_header(header_bytes, max_payload, header, error)) {
      result.failure = "a malformed frame from the server: " + error.message;
      co_return result;
    }
    if (header.type != codec::frame_type::data) {
      result.failure = co_await describe_other_frame(server, ahead, header);
      co_return result;
    }
    if (header.payload_length < codec::data_frame::prefix_size) {
      result.failure = "a Data frame too short for its prefix";
      co_return result;
    }
    failure = co_await fill(server, ahead, data_head);
    if (!failure.empty()) {
      result.failure = std::move(failure);
      co_return result;
    }
    const std::uint8_t stream = ahead.data()[codec::header_size];
    const std::uint8_t flags = ahead.data()[codec::header_size + 1];
    if (stream != static_cast<std::uint8_t>(codec::stream_id::out) ||
        (flags & ~codec::data_frame::flag_end_of_stream) != 0) {
      result.failure = "a Data frame that is not part of the response body (stream " +
                       std::to_string(stream) + ", flags " + std::to_string(flags) + ")";
      co_return result;
    }
    std::uint64_t length = header.payload_length - codec::data_frame::prefix_size;
    if (length == 0 && (flags & codec::data_frame::flag_end_of_stream) == 0) {
      result.failure = "an empty Data frame that does not end the body (a flood, not a body)";
      co_return result;
    }
    ahead.consume(data_head);
    // Payload bytes that arrived with the head go out by copy; the rest by splice.
    const auto buffered = static_cast<std::size_t>(std::min<std::uint64_t>(length, ahead.size()));
    if (buffered > 0) {
      auto [ec, n] =
          co_await asio::async_write(client, asio::buffer(ahead.data(), buffered), use_nothrow);
      if (ec) {
        result.failure = "writing to the client: " + ec.message();
        co_return result;
      }
      ahead.consume(buffered);
      length -= buffered;
      result.bytes += buffered;
    }
    failure = co_await splice_exactly(server, client, pipe_read.get(), pipe_write.get(), length);
    if (!failure.empty()) {
      result.failure = std::move(failure);
      co_return result;
    }
    result.bytes += length;
    if ((flags & codec::data_frame::flag_end_of_stream) != 0) {
      result.ended = true;
      co_return result;
    }
  }
}

}  // namespace rstream::tunnel
