// Raw WebTTY frames back to back over TCP or TLS: read a 6-byte header, check it, then read
// exactly the payload into a buffer of its size (nothing is allocated before the check).
#include <array>
#include <cstring>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "rstream/transport/deadline.hpp"
#include "rstream/transport/listener.hpp"
#include "rstream/common/async_event.hpp"
#include "stream_channels.hpp"

namespace asio = boost::asio;

namespace rstream::transport {

std::string read_result::describe() const {
  switch (what) {
    case kind::frame:
      return std::string("frame ") + codec::type_name(codec::type_of(frame));
    case kind::closed:
      return "connection closed by peer";
    case kind::io_error:
      return "connection failed: " + io.message();
    case kind::protocol_error:
      return "protocol error (" + protocol.code + "): " + protocol.message;
  }
  return "unknown";
}

asio::awaitable<boost::system::error_code> frame_channel::write(const codec::frame& f) {
  auto payload = codec::encode_payload(f);
  auto header = codec::encode_header(codec::type_of(f), payload.size());
  co_return co_await write_frame(header, payload);
}

asio::awaitable<boost::system::error_code> frame_channel::write_data(
    codec::stream_id stream, std::span<const std::uint8_t> bytes, bool end_of_stream) {
  constexpr std::size_t prefix = codec::data_frame::prefix_size;
  std::array<std::uint8_t, codec::header_size + prefix> head{};
  const auto header = codec::encode_header(codec::frame_type::data, prefix + bytes.size());
  std::memcpy(head.data(), header.data(), header.size());
  head[codec::header_size] = static_cast<std::uint8_t>(stream);
  head[codec::header_size + 1] = end_of_stream ? codec::data_frame::flag_end_of_stream : 0;
  co_return co_await write_frame(head, bytes);
}

asio::awaitable<void> refuse(frame_channel& channel, const codec::frame& reason) {
  channel.leave_pending();  // refused: only closing now, no longer waiting to authenticate
  co_await channel.write(reason);
  deadline_guard limit(channel.get_executor(), std::chrono::seconds(2),
                       [&channel] { channel.close(); });
  co_await channel.shutdown();
  while (true) {
    auto r = co_await channel.read_frame();
    if (r.what != read_result::kind::frame) break;
  }
  limit.disarm();
  channel.close();
}

asio::awaitable<read_result> read_frame_within(std::shared_ptr<frame_channel> channel,
                                               std::chrono::milliseconds limit) {
  deadline_guard deadline(channel->get_executor(), limit, [weak = std::weak_ptr(channel)] {
    if (auto c = weak.lock()) c->close();
  });
  auto frame = co_await channel->read_frame();
  deadline.disarm();
  co_return frame;
}

namespace detail {

std::string peer_of(const asio::ip::tcp::socket& socket) {
  boost::system::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  return endpoint_text(endpoint);
}

namespace {

template <class Stream>
class raw_channel final : public frame_channel {
 public:
  raw_channel(Stream stream, std::vector<std::uint8_t> preread, std::size_t max_payload)
      : stream_(std::move(stream)),
        staging_(std::move(preread)),
        end_(staging_.size()),
        max_payload_(max_payload) {}

  asio::any_io_executor get_executor() override { return lowest(stream_).get_executor(); }

  std::optional<released_socket> release_plain_socket() override {
    if constexpr (std::is_same_v<Stream, tcp_stream>) {
      released_socket out{std::move(stream_), {}, std::move(slot_)};
      out.unread.assign(staging_.begin() + static_cast<std::ptrdiff_t>(begin_),
                        staging_.begin() + static_cast<std::ptrdiff_t>(end_));
      begin_ = end_ = 0;
      return out;
    } else {
      return std::nullopt;
    }
  }

  asio::awaitable<read_result> read_frame() override {
    read_result result;
    // The header (and small frames whole) come from a small staging buffer, filled with
    // whatever the socket has; a large payload is read straight into its own buffer.
    if (!co_await fill_staging(codec::header_size, result)) co_return result;
    codec::frame_header header;
    std::span<const std::uint8_t, codec::header_size> header_bytes(staging_.data() + begin_,
                                                                   codec::header_size);
    if (!codec::parse_header(header_bytes, max_payload_, header, result.protocol)) {
      result.what = read_result::kind::protocol_error;
      co_return result;
    }
    begin_ += codec::header_size;
    std::vector<std::uint8_t> payload(header.payload_length);
    std::size_t have = std::min(payload.size(), end_ - begin_);
    if (have > 0) std::memcpy(payload.data(), staging_.data() + begin_, have);
    begin_ += have;
    if (have < payload.size()) {
      auto [ec, got] = co_await asio::async_read(
          stream_, asio::buffer(payload.data() + have, payload.size() - have),
          transfer_all_in_large_steps{}, use_nothrow);
      if (ec) {
        set_read_error(ec, false, result);
        co_return result;
      }
    }
    result.what = decoded_or_protocol_error(
        codec::decode_payload(header, std::move(payload), result.frame, result.protocol));
    co_return result;
  }

  asio::awaitable<boost::system::error_code> write_frame(
      std::span<const std::uint8_t> header, std::span<const std::uint8_t> payload) override {
    const auto buffers = frame_buffers(header, payload);
    auto [ec, n] =
        co_await asio::async_write(stream_, buffers, transfer_all_in_large_steps{}, use_nothrow);
    co_return ec;
  }

  asio::awaitable<void> shutdown() override {
    if constexpr (std::is_same_v<Stream, tls_stream>) {
      co_await stream_.async_shutdown(use_nothrow);
    }
    boost::system::error_code ec;
    lowest(stream_).shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  }

  void close() override {
    boost::system::error_code ec;
    lowest(stream_).close(ec);
  }

  const char* scheme() const override { return std::is_same_v<Stream, tls_stream> ? "tls" : "tcp"; }
  std::string peer() const override {
    return peer_of(const_cast<raw_channel*>(this)->lowest_socket());
  }

 private:
  asio::ip::tcp::socket& lowest_socket() { return lowest(stream_); }

  /// Makes at least `need` unread bytes available in the staging buffer (which starts with
  /// the bytes read while sniffing the protocol). A clean EOF with nothing buffered is an
  /// orderly close; anywhere else it is a truncated frame.
  asio::awaitable<bool> fill_staging(std::size_t need, read_result& result) {
    if (end_ - begin_ >= need) co_return true;
    if (staging_.size() < staging_bytes) staging_.resize(std::max(staging_bytes, end_));
    if (begin_ > 0) {  // compact
      std::memmove(staging_.data(), staging_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    while (end_ < need) {
      auto [ec, n] = co_await stream_.async_read_some(
          asio::buffer(staging_.data() + end_, staging_.size() - end_), use_nothrow);
      end_ += n;
      if (ec && end_ < need) {
        set_read_error(ec, end_ == 0, result);
        co_return false;
      }
    }
    co_return true;
  }

  void set_read_error(const boost::system::error_code& ec, bool at_frame_start,
                      read_result& result) {
    bool eof = ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
    if (eof && at_frame_start) {
      result.what = read_result::kind::closed;
    } else if (eof) {
      result.what = read_result::kind::protocol_error;
      result.protocol = {"truncated", "connection ended in the middle of a frame"};
    } else {
      result.what = read_result::kind::io_error;
      result.io = ec;
    }
  }

  /// Small on purpose: an idle connection waits inside fill_staging with this buffer, and a
  /// large payload bypasses it anyway. Big enough for a header plus typical keystrokes,
  /// resizes and heartbeats, several per read.
  static constexpr std::size_t staging_bytes = 512;
  Stream stream_;
  std::vector<std::uint8_t> staging_;  ///< [begin_, end_) read but not yet consumed
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t max_payload_;
};

}  // namespace

std::unique_ptr<frame_channel> make_raw_channel(tcp_stream stream,
                                                std::vector<std::uint8_t> preread,
                                                std::size_t max_payload) {
  return std::make_unique<raw_channel<tcp_stream>>(std::move(stream), std::move(preread),
                                                   max_payload);
}

std::unique_ptr<frame_channel> make_raw_channel(tls_stream stream,
                                                std::vector<std::uint8_t> preread,
                                                std::size_t max_payload) {
  return std::make_unique<raw_channel<tls_stream>>(std::move(stream), std::move(preread),
                                                   max_payload);
}

}  // namespace detail
}  // namespace rstream::transport
