// splice_response_body over real loopback sockets: a body of several Data frames arrives
// byte for byte, whether its first bytes were already read or not, and a frame that does not
// belong to a response body ends the relay with a message.
#include "rstream/tunnel/spliced_body.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "rstream/codec/frame.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;

namespace rstream::tunnel {
namespace {

std::vector<std::uint8_t> data_frame_bytes(codec::stream_id stream, const std::string& bytes,
                                           bool end) {
  const codec::frame f = codec::data_frame(
      stream, std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()), end);
  const auto payload = codec::encode_payload(f);
  const auto header = codec::encode_header(codec::frame_type::data, payload.size());
  std::vector<std::uint8_t> out(header.begin(), header.end());
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

std::vector<std::uint8_t> frame_bytes(const codec::frame& f) {
  const auto payload = codec::encode_payload(f);
  const auto header = codec::encode_header(codec::type_of(f), payload.size());
  std::vector<std::uint8_t> out(header.begin(), header.end());
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

std::string pattern(std::size_t size, char seed) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i)
    s[i] = static_cast<char>(seed + static_cast<char>(i % 251));
  return s;
}

/// Two connected loopback socket pairs: server_out → (engine: server_in, client_out) → client_in.
struct rig {
  asio::io_context io;
  tcp::socket server_out{io}, server_in{io}, client_out{io}, client_in{io};

  rig() {
    connect_pair(server_out, server_in);
    connect_pair(client_out, client_in);
  }

  void connect_pair(tcp::socket& a, tcp::socket& b) {
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    a.connect(acceptor.local_endpoint());
    acceptor.accept(b);
  }

  /// Runs the relay while a thread writes `wire` into server_out (then closes it) and another
  /// reads everything client_in gets until client_out closes.
  spliced_body_result run(std::vector<std::uint8_t> unread, const std::vector<std::uint8_t>& wire,
                          std::string& received) {
    std::thread writer([&] {
      boost::system::error_code ec;
      asio::write(server_out, asio::buffer(wire), ec);
      server_out.shutdown(tcp::socket::shutdown_send, ec);
    });
    std::thread reader([&] {
      boost::system::error_code ec;
      std::vector<char> piece(64 * 1024);
      while (true) {
        const std::size_t n = client_in.read_some(asio::buffer(piece), ec);
        received.append(piece.data(), n);
        if (ec) break;
      }
    });
    spliced_body_result result;
    asio::co_spawn(
        io,
        splice_response_body(server_in, std::move(unread), client_out, codec::default_max_payload),
        [&](std::exception_ptr e, spliced_body_result r) {
          if (e) std::rethrow_exception(e);
          result = std::move(r);
        });
    io.run();
    boost::system::error_code ec;
    client_out.shutdown(tcp::socket::shutdown_send, ec);
    writer.join();
    reader.join();
    return result;
  }
};

TEST(SplicedBody, RelaysEveryByteOfSeveralFramesInOrder) {
  rig r;
  std::string expected;
  std::vector<std::uint8_t> wire;
  for (int i = 0; i < 40; ++i) {
    const std::string piece = pattern(static_cast<std::size_t>(1 + i * 7919 % 300000), 'a' + i);
    expected += piece;
    const auto f = data_frame_bytes(codec::stream_id::out, piece, false);
    wire.insert(wire.end(), f.begin(), f.end());
  }
  const auto last = data_frame_bytes(codec::stream_id::out, "tail", true);
  wire.insert(wire.end(), last.begin(), last.end());
  expected += "tail";
  // Bytes past the end of the body stay unread.
  const auto after = data_frame_bytes(codec::stream_id::out, "NOT BODY", false);
  wire.insert(wire.end(), after.begin(), after.end());

  std::string received;
  const auto result = r.run({}, wire, received);
  EXPECT_TRUE(result.ended) << result.failure;
  EXPECT_EQ(result.bytes, expected.size());
  EXPECT_EQ(received.size(), expected.size());
  EXPECT_TRUE(received == expected);
}

TEST(SplicedBody, BytesAlreadyReadComeFirst) {
  rig r;
  const std::string first = pattern(100000, 'x');
  auto wire = data_frame_bytes(codec::stream_id::out, first, false);
  // The relay got the first frame's head and 1000 payload bytes with the response head.
  std::vector<std::uint8_t> unread(wire.begin(), wire.begin() + codec::header_size + 2 + 1000);
  wire.erase(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(unread.size()));
  const auto end = data_frame_bytes(codec::stream_id::out, "", true);
  wire.insert(wire.end(), end.begin(), end.end());
  std::string received;
  const auto result = r.run(std::move(unread), wire, received);
  EXPECT_TRUE(result.ended) << result.failure;
  EXPECT_TRUE(received == first);
}

TEST(SplicedBody, AnErrorFrameEndsTheRelayWithItsMessage) {
  rig r;
  auto wire = data_frame_bytes(codec::stream_id::out, "partial", false);
  const auto error = frame_bytes(codec::error_frame{"io_error", "the disk went away"});
  wire.insert(wire.end(), error.begin(), error.end());
  std::string received;
  const auto result = r.run({}, wire, received);
  EXPECT_FALSE(result.ended);
  EXPECT_EQ(received, "partial");
  EXPECT_NE(result.failure.find("the disk went away"), std::string::npos) << result.failure;
}

TEST(SplicedBody, ADataFrameOfAnotherStreamIsRefused) {
  rig r;
  const auto wire = data_frame_bytes(codec::stream_id::err, "oops", false);
  std::string received;
  const auto result = r.run({}, wire, received);
  EXPECT_FALSE(result.ended);
  EXPECT_TRUE(received.empty());
  EXPECT_NE(result.failure.find("not part of the response body"), std::string::npos);
}

TEST(SplicedBody, AMalformedHeaderIsRefused) {
  rig r;
  std::vector<std::uint8_t> wire(codec::header_size, 0xff);
  std::string received;
  const auto result = r.run({}, wire, received);
  EXPECT_FALSE(result.ended);
  EXPECT_NE(result.failure.find("malformed"), std::string::npos) << result.failure;
}

TEST(SplicedBody, AServerThatClosesMidBodyIsReported) {
  rig r;
  auto wire = data_frame_bytes(codec::stream_id::out, pattern(50000, 'q'), true);
  wire.resize(wire.size() - 10);
  std::string received;
  const auto result = r.run({}, wire, received);
  EXPECT_FALSE(result.ended);
  EXPECT_EQ(received.size(), 50000u - 10u);
  EXPECT_NE(result.failure.find("middle of the body"), std::string::npos) << result.failure;
}

}  // namespace
}  // namespace rstream::tunnel
