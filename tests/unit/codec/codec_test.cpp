// Unit tests for the WebTTY frame codec (rstream/codec/frame.hpp): golden encodings, round trips
// through decode_message and frame_decoder (whole, byte by byte, several frames per chunk), and
// every decode error path with its error code.
//
// This file replaces the global (non-aligned) operator new/delete with a thin malloc wrapper that
// can record the largest allocation on the current thread, so a test can prove that an oversized
// header is rejected before anything is allocated for its payload.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <new>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "rstream/codec/frame.hpp"

// ---- allocation probe ----

namespace {
thread_local bool probe_active = false;
thread_local std::size_t probe_largest = 0;

void* counted_alloc(std::size_t n) {
  if (probe_active && n > probe_largest) probe_largest = n;
  return std::malloc(n == 0 ? 1 : n);
}

/// Records the largest single allocation made on this thread while it lives.
class allocation_probe {
 public:
  allocation_probe() {
    probe_largest = 0;
    probe_active = true;
  }
  ~allocation_probe() { probe_active = false; }
  allocation_probe(const allocation_probe&) = delete;
  allocation_probe& operator=(const allocation_probe&) = delete;
  std::size_t largest() const { return probe_largest; }
};
}  // namespace

void* operator new(std::size_t n) {
  if (void* p = counted_alloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  if (void* p = counted_alloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
// noinline: once inlined, GCC 12 flags free() of a new'ed pointer (-Wmismatched-new-delete).
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace rstream::codec {
namespace {

using bytes = std::vector<std::uint8_t>;

bytes to_bytes(std::string_view s) { return bytes(s.begin(), s.end()); }

/// A raw frame: any version, any type byte, the payload's real length in the header.
bytes raw_frame(std::uint8_t type, const bytes& payload, std::uint8_t version = 1) {
  const auto n = static_cast<std::uint32_t>(payload.size());
  bytes out{version,
            type,
            static_cast<std::uint8_t>(n >> 24),
            static_cast<std::uint8_t>(n >> 16),
            static_cast<std::uint8_t>(n >> 8),
            static_cast<std::uint8_t>(n)};
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

bytes raw_frame(frame_type type, const bytes& payload) {
  return raw_frame(static_cast<std::uint8_t>(type), payload);
}

bytes json_frame(frame_type type, std::string_view json_text) {
  return raw_frame(type, to_bytes(json_text));
}

bytes cat(std::initializer_list<bytes> parts) {
  bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

open_request sample_open() {
  open_request o;
  o.argv = {"bash", "-c", "echo hi"};
  return o;
}

data_frame make_data(stream_id s, std::string_view text, bool eos = false) {
  const bytes b = to_bytes(text);
  return data_frame(s, b, eos);
}

/// Decodes one message and expects a decode error with this code (and message fragment).
void expect_message_error(const bytes& message, std::string_view code,
                          std::string_view message_part = {},
                          std::size_t max_payload = default_max_payload) {
  frame f;
  decode_error error;
  EXPECT_FALSE(decode_message(message, max_payload, f, error));
  EXPECT_EQ(error.code, code) << error.message;
  EXPECT_NE(error.message.find(message_part), std::string::npos)
      << "message \"" << error.message << "\" lacks \"" << message_part << "\"";
  EXPECT_FALSE(error.message.empty());
}

/// Expects the same error from decode_message and from a frame_decoder fed the whole frame.
void expect_error(const bytes& message, std::string_view code, std::string_view message_part = {}) {
  SCOPED_TRACE(::testing::Message() << "expected " << code << " / " << message_part);
  expect_message_error(message, code, message_part);
  frame_decoder decoder;
  decoder.feed(message);
  frame f;
  EXPECT_EQ(decoder.next(f), frame_decoder::status::error);
  EXPECT_EQ(decoder.error().code, code) << decoder.error().message;
  EXPECT_NE(decoder.error().message.find(message_part), std::string::npos)
      << decoder.error().message;
}

void expect_malformed(const bytes& message, std::string_view message_part = {}) {
  expect_error(message, "malformed", message_part);
}

frame decode_ok(const bytes& message) {
  frame f;
  decode_error error;
  EXPECT_TRUE(decode_message(message, default_max_payload, f, error))
      << error.code << ": " << error.message;
  return f;
}

TEST(CodecMessageInBuffer, ChecksLikeDecodeMessage) {
  bytes encoded = encode(make_data(stream_id::out, "hello"));
  frame f;
  decode_error error;
  // One byte short of its payload, then one byte too many, then outside the buffer.
  bytes shorter = encoded;
  EXPECT_FALSE(
      decode_message_in(std::move(shorter), 0, encoded.size() - 1, default_max_payload, f, error));
  EXPECT_EQ(error.code, "truncated");
  bytes longer = encoded;
  longer.push_back(0);
  EXPECT_FALSE(
      decode_message_in(std::move(longer), 0, encoded.size() + 1, default_max_payload, f, error));
  EXPECT_EQ(error.code, "trailing_bytes");
  bytes outside = encoded;
  EXPECT_FALSE(
      decode_message_in(std::move(outside), 3, encoded.size(), default_max_payload, f, error));
  EXPECT_EQ(error.code, "truncated");
}

// ---- names and header ----

TEST(CodecNames, TypeNamesAndTypeOf) {
  EXPECT_STREQ(type_name(frame_type::open), "Open");
  EXPECT_STREQ(type_name(frame_type::ack), "Ack");
  EXPECT_STREQ(type_name(frame_type::error), "Error");
  EXPECT_STREQ(type_name(frame_type::data), "Data");
  EXPECT_STREQ(type_name(frame_type::resize), "Resize");
  EXPECT_STREQ(type_name(frame_type::signal), "Signal");
  EXPECT_STREQ(type_name(frame_type::close), "Close");
  EXPECT_STREQ(type_name(frame_type::heartbeat), "Heartbeat");
  EXPECT_STREQ(type_name(static_cast<frame_type>(0)), "unknown");
  EXPECT_STREQ(type_name(static_cast<frame_type>(11)), "unknown");

  EXPECT_EQ(type_of(open_request{}), frame_type::open);
  EXPECT_EQ(type_of(ack{}), frame_type::ack);
  EXPECT_EQ(type_of(error_frame{}), frame_type::error);
  EXPECT_EQ(type_of(data_frame{}), frame_type::data);
  EXPECT_EQ(type_of(resize{}), frame_type::resize);
  EXPECT_EQ(type_of(signal_frame{}), frame_type::signal);
  EXPECT_EQ(type_of(close_frame{}), frame_type::close);
  EXPECT_EQ(type_of(heartbeat{}), frame_type::heartbeat);
}

TEST(CodecHeader, EncodeHeaderIsVersionTypeAndBigEndianLength) {
  EXPECT_EQ(encode_header(frame_type::data, 0x01020304),
            (std::array<std::uint8_t, 6>{1, 4, 0x01, 0x02, 0x03, 0x04}));
  EXPECT_EQ(encode_header(frame_type::heartbeat, 0),
            (std::array<std::uint8_t, 6>{1, 8, 0, 0, 0, 0}));
  EXPECT_EQ(encode_header(frame_type::open, 0xFFFFFFFFu),
            (std::array<std::uint8_t, 6>{1, 1, 0xFF, 0xFF, 0xFF, 0xFF}));
}

TEST(CodecHeader, EncodeHeaderRejectsLengthBeyond32Bits) {
  if constexpr (sizeof(std::size_t) > 4) {
    EXPECT_THROW(encode_header(frame_type::data, std::size_t{1} << 32), std::length_error);
  }
}

TEST(CodecHeader, ParseHeaderAcceptsValidHeader) {
  const std::array<std::uint8_t, 6> h{1, 5, 0, 0, 0, 4};
  frame_header out;
  decode_error error;
  ASSERT_TRUE(parse_header(h, default_max_payload, out, error)) << error.message;
  EXPECT_EQ(out.version, 1);
  EXPECT_EQ(out.type, frame_type::resize);
  EXPECT_EQ(out.payload_length, 4u);
}

TEST(CodecHeader, ParseHeaderErrors) {
  frame_header out;
  decode_error error;
  EXPECT_FALSE(parse_header(std::array<std::uint8_t, 6>{2, 5, 0, 0, 0, 4}, 100, out, error));
  EXPECT_EQ(error.code, "bad_version");
  EXPECT_FALSE(parse_header(std::array<std::uint8_t, 6>{1, 11, 0, 0, 0, 4}, 100, out, error));
  EXPECT_EQ(error.code, "unknown_type");
  EXPECT_FALSE(parse_header(std::array<std::uint8_t, 6>{1, 4, 0, 0, 0, 101}, 100, out, error));
  EXPECT_EQ(error.code, "frame_too_large");
  EXPECT_EQ(error.message, "frame payload 101 bytes exceeds limit 100");
  EXPECT_TRUE(parse_header(std::array<std::uint8_t, 6>{1, 4, 0, 0, 0, 100}, 100, out, error));
}

// ---- golden encodings ----

TEST(CodecEncode, BinaryPayloadsAreBigEndian) {
  EXPECT_EQ(encode(resize{80, 24}), (bytes{1, 5, 0, 0, 0, 4, 0x00, 0x50, 0x00, 0x18}));
  EXPECT_EQ(encode(resize{4096, 300}), (bytes{1, 5, 0, 0, 0, 4, 0x10, 0x00, 0x01, 0x2C}));
  EXPECT_EQ(encode(signal_frame{15}), (bytes{1, 6, 0, 0, 0, 4, 0, 0, 0, 15}));
  EXPECT_EQ(encode(close_frame{137, 9}), (bytes{1, 7, 0, 0, 0, 8, 0, 0, 0, 137, 0, 0, 0, 9}));
  EXPECT_EQ(encode(close_frame{-1, 0}),
            (bytes{1, 7, 0, 0, 0, 8, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0}));
  EXPECT_EQ(encode(heartbeat{}), (bytes{1, 8, 0, 0, 0, 0}));
  EXPECT_EQ(encode(make_data(stream_id::err, "hi", true)),
            (bytes{1, 4, 0, 0, 0, 4, 2, 1, 'h', 'i'}));
  EXPECT_EQ(encode(make_data(stream_id::in, "")), (bytes{1, 4, 0, 0, 0, 2, 0, 0}));
}

TEST(CodecEncode, EncodePayloadMatchesEncodeAfterHeader) {
  const frame f = make_data(stream_id::out, "abc");
  const bytes payload = encode_payload(f);
  EXPECT_EQ(payload, std::get<data_frame>(f).payload);
  const bytes whole = encode(f);
  EXPECT_EQ(bytes(whole.begin() + 6, whole.end()), payload);
}

TEST(CodecEncode, OpenWritesEveryField) {
  open_request o = sample_open();
  o.env = {{"A", "1"}, {"B", "two"}};
  o.workdir = "/tmp";
  o.interactive = true;
  o.allocate_tty = true;
  o.cols = 132;
  o.rows = 43;
  o.heartbeat_ms = 5000;
  o.token = "secret";
  const bytes payload = encode_payload(o);
  const auto j = nlohmann::json::parse(payload.begin(), payload.end());
  EXPECT_EQ(j.at("argv"), nlohmann::json({"bash", "-c", "echo hi"}));
  EXPECT_EQ(j.at("login_shell"), false);
  EXPECT_EQ(j.at("env"), nlohmann::json({{"A", "1"}, {"B", "two"}}));
  EXPECT_EQ(j.at("workdir"), "/tmp");
  EXPECT_EQ(j.at("interactive"), true);
  EXPECT_EQ(j.at("tty"), true);
  EXPECT_EQ(j.at("cols"), 132);
  EXPECT_EQ(j.at("rows"), 43);
  EXPECT_EQ(j.at("heartbeat_ms"), 5000);
  EXPECT_EQ(j.at("token"), "secret");
  EXPECT_EQ(j.size(), 10u);
}

TEST(CodecEncode, AckAndErrorJson) {
  EXPECT_EQ(encode_payload(ack{4242}), to_bytes(R"({"pid":4242})"));
  const bytes e = encode_payload(error_frame{"timeout", "no Open within 10s"});
  EXPECT_EQ(nlohmann::json::parse(e.begin(), e.end()),
            nlohmann::json({{"code", "timeout"}, {"message", "no Open within 10s"}}));
}

TEST(CodecEncode, InvalidUtf8IsReplacedNotThrown) {
  error_frame e{"spawn_failed", std::string("bad \xff byte")};
  bytes encoded;
  ASSERT_NO_THROW(encoded = encode(e));
  const frame f = decode_ok(encoded);
  EXPECT_EQ(std::get<error_frame>(f).message, "bad \xEF\xBF\xBD byte");
}

// ---- data_frame ----

TEST(CodecDataFrame, ConstructorCopiesBytesAfterPrefix) {
  const data_frame d = make_data(stream_id::err, "xyz", true);
  EXPECT_EQ(d.payload, (bytes{2, 1, 'x', 'y', 'z'}));
  EXPECT_EQ(d.stream(), stream_id::err);
  EXPECT_TRUE(d.end_of_stream());
  EXPECT_EQ(bytes(d.bytes().begin(), d.bytes().end()), to_bytes("xyz"));

  const data_frame empty;
  EXPECT_EQ(empty.payload, (bytes{0, 0}));
  EXPECT_EQ(empty.stream(), stream_id::in);
  EXPECT_FALSE(empty.end_of_stream());
  EXPECT_TRUE(empty.bytes().empty());
}

TEST(CodecDataFrame, WrapOverwritesPrefixAndKeepsBuffer) {
  bytes buffer{0xAA, 0xBB, 'o', 'k'};
  const std::uint8_t* storage = buffer.data();
  const data_frame d = data_frame::wrap(std::move(buffer), stream_id::out, false);
  EXPECT_EQ(d.payload, (bytes{1, 0, 'o', 'k'}));
  EXPECT_EQ(d.payload.data(), storage) << "wrap must not copy the buffer";

  const data_frame eos = data_frame::wrap(bytes{}, stream_id::err, true);
  EXPECT_EQ(eos.payload, (bytes{2, 1}));
  const data_frame one = data_frame::wrap(bytes{7}, stream_id::in);
  EXPECT_EQ(one.payload, (bytes{0, 0}));
}

TEST(CodecDataFrame, DecodedDataKeepsWholePayload) {
  const frame f = decode_ok(raw_frame(frame_type::data, bytes{1, 1, 0, 0xFF, 'a'}));
  const auto& d = std::get<data_frame>(f);
  EXPECT_EQ(d.payload, (bytes{1, 1, 0, 0xFF, 'a'}));
  EXPECT_EQ(d.stream(), stream_id::out);
  EXPECT_TRUE(d.end_of_stream());
  EXPECT_EQ(d.bytes().size(), 3u);
}

// ---- round trips ----

struct named_frame {
  std::string name;
  frame value;
};

void PrintTo(const named_frame& f, std::ostream* os) { *os << f.name; }

std::vector<named_frame> sample_frames() {
  std::vector<named_frame> out;
  out.push_back({"OpenCommand", sample_open()});
  {
    open_request o;
    o.login_shell = true;
    o.interactive = true;
    o.allocate_tty = true;
    o.cols = max_dimension;
    o.rows = 1;
    o.heartbeat_ms = 3'600'000;
    o.env = {{"LANG", "C.UTF-8"}, {"TERM", "xterm-256color"}, {"X", ""}};
    o.workdir = "/home/ünïcödé";
    o.token = "tok\"en\\with\nescapes";
    out.push_back({"OpenLoginShell", o});
  }
  {
    open_request o;
    o.argv = {"", "arg with spaces", "日本語", "\x01\x1f"};
    o.cols = 1;
    o.rows = max_dimension;
    out.push_back({"OpenOddArgs", o});
  }
  out.push_back({"AckZero", ack{0}});
  out.push_back({"AckLarge", ack{std::numeric_limits<std::int64_t>::max()}});
  out.push_back({"AckNegative", ack{std::numeric_limits<std::int64_t>::min()}});
  out.push_back({"Error", error_frame{"command_not_found", "nosuch: not found"}});
  out.push_back({"ErrorEmpty", error_frame{"", ""}});
  out.push_back({"ErrorWithNul", error_frame{"x", std::string("a\0b", 3)}});
  out.push_back({"DataEmptyInEnd", data_frame(stream_id::in, {}, true)});
  out.push_back({"DataOut", make_data(stream_id::out, "hello\r\n")});
  out.push_back({"DataErrEnd", make_data(stream_id::err, "", true)});
  {
    bytes all(256);
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint8_t>(i);
    out.push_back({"DataAllByteValues", data_frame(stream_id::in, all, true)});
  }
  {
    bytes big(default_max_payload - data_frame::prefix_size, 'x');
    out.push_back({"DataMaxSize", data_frame(stream_id::out, big)});
  }
  out.push_back({"ResizeMin", resize{1, 1}});
  out.push_back({"ResizeMax", resize{max_dimension, max_dimension}});
  out.push_back({"Resize", resize{80, 24}});
  out.push_back({"SignalMin", signal_frame{1}});
  out.push_back({"SignalMax", signal_frame{64}});
  out.push_back({"CloseOk", close_frame{0, 0}});
  out.push_back({"CloseKilled", close_frame{137, 9}});
  out.push_back({"CloseNegative", close_frame{std::numeric_limits<std::int32_t>::min(), 0}});
  out.push_back({"CloseMaxExit", close_frame{std::numeric_limits<std::int32_t>::max(), 64}});
  out.push_back({"Heartbeat", heartbeat{}});
  out.push_back({"TunnelHello", control_message{frame_type::tunnel_hello, R"({"name":"a"})"}});
  out.push_back({"Route", control_message{frame_type::route, R"({"target":"x","token":"t"})"}});
  out.push_back({"HttpRequest",
                 control_message{frame_type::http_request, R"({"method":"GET","target":"/fs/"})"}});
  out.push_back({"HttpResponse", control_message{frame_type::http_response, R"({"status":200})"}});
  out.push_back({"StreamAttach", control_message{frame_type::stream_attach, "{}"}});
  out.push_back({"E2eHandshake", e2e_message{frame_type::e2e_handshake, {1, 1, 7}}});
  out.push_back({"E2eHandshakeEmpty", e2e_message{frame_type::e2e_handshake, {}}});
  out.push_back({"Sealed", e2e_message{frame_type::sealed, bytes(40, 9)}});
  return out;
}

class CodecRoundTrip : public ::testing::TestWithParam<named_frame> {};

TEST_P(CodecRoundTrip, DecodeMessage) {
  const frame& f = GetParam().value;
  const bytes encoded = encode(f);
  frame decoded;
  decode_error error;
  ASSERT_TRUE(decode_message(encoded, default_max_payload, decoded, error))
      << error.code << ": " << error.message;
  EXPECT_EQ(decoded, f);
  EXPECT_EQ(encode(decoded), encoded) << "re-encoding must be byte-identical";
}

TEST_P(CodecRoundTrip, DecodeMessageInsideABuffer) {
  const frame& f = GetParam().value;
  const bytes encoded = encode(f);
  bytes buffer(5, 0xEE);  // bytes before the message (e.g. a sealed frame's counter)
  buffer.insert(buffer.end(), encoded.begin(), encoded.end());
  buffer.insert(buffer.end(), 16, 0xEE);  // and after it (e.g. a tag)
  frame decoded;
  decode_error error;
  ASSERT_TRUE(
      decode_message_in(std::move(buffer), 5, encoded.size(), default_max_payload, decoded, error))
      << error.code << ": " << error.message;
  EXPECT_EQ(decoded, f);
}

TEST_P(CodecRoundTrip, DecodePayloadWithParsedHeader) {
  const frame& f = GetParam().value;
  const bytes encoded = encode(f);
  frame_header header;
  decode_error error;
  ASSERT_TRUE(parse_header(std::span<const std::uint8_t, 6>(encoded.data(), 6), default_max_payload,
                           header, error));
  EXPECT_EQ(header.type, type_of(f));
  frame decoded;
  ASSERT_TRUE(decode_payload(header, bytes(encoded.begin() + 6, encoded.end()), decoded, error))
      << error.message;
  EXPECT_EQ(decoded, f);
}

TEST_P(CodecRoundTrip, DecoderOneChunk) {
  const frame& f = GetParam().value;
  frame_decoder decoder;
  decoder.feed(encode(f));
  frame decoded;
  ASSERT_EQ(decoder.next(decoded), frame_decoder::status::frame) << decoder.error().message;
  EXPECT_EQ(decoded, f);
  EXPECT_EQ(decoder.buffered(), 0u);
  EXPECT_EQ(decoder.next(decoded), frame_decoder::status::need_more);
}

TEST_P(CodecRoundTrip, DecoderByteByByte) {
  const frame& f = GetParam().value;
  const bytes encoded = encode(f);
  frame_decoder decoder;
  frame decoded;
  for (std::size_t i = 0; i + 1 < encoded.size(); ++i) {
    decoder.feed(std::span<const std::uint8_t>(&encoded[i], 1));
    ASSERT_EQ(decoder.next(decoded), frame_decoder::status::need_more) << "after byte " << i;
    EXPECT_EQ(decoder.buffered(), i + 1);
  }
  decoder.feed(std::span<const std::uint8_t>(&encoded.back(), 1));
  ASSERT_EQ(decoder.next(decoded), frame_decoder::status::frame) << decoder.error().message;
  EXPECT_EQ(decoded, f);
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST_P(CodecRoundTrip, DecoderOddChunks) {
  const frame& f = GetParam().value;
  const bytes encoded = encode(f);
  frame_decoder decoder;
  frame decoded;
  std::size_t frames = 0;
  for (std::size_t at = 0; at < encoded.size();) {
    const std::size_t n = std::min<std::size_t>(encoded.size() - at, 4093);
    decoder.feed(std::span<const std::uint8_t>(encoded.data() + at, n));
    at += n;
    const auto st = decoder.next(decoded);
    ASSERT_NE(st, frame_decoder::status::error) << decoder.error().message;
    if (st == frame_decoder::status::frame) ++frames;
  }
  ASSERT_EQ(frames, 1u);
  EXPECT_EQ(decoded, f);
}

INSTANTIATE_TEST_SUITE_P(AllTypes, CodecRoundTrip, ::testing::ValuesIn(sample_frames()),
                         [](const auto& info) { return info.param.name; });

TEST(CodecDecoder, ManyFramesInOneChunk) {
  const auto samples = sample_frames();
  bytes stream;
  for (const auto& s : samples) {
    const bytes e = encode(s.value);
    stream.insert(stream.end(), e.begin(), e.end());
  }
  frame_decoder decoder(default_max_payload);
  decoder.feed(stream);
  frame f;
  for (const auto& s : samples) {
    ASSERT_EQ(decoder.next(f), frame_decoder::status::frame)
        << s.name << ": " << decoder.error().message;
    EXPECT_EQ(f, s.value) << s.name;
  }
  EXPECT_EQ(decoder.next(f), frame_decoder::status::need_more);
  EXPECT_EQ(decoder.buffered(), 0u);
}

// Red team: 40 M empty Data frames grew a server from 58 MB to 2.1 GB (each one a queue
// entry). An empty Data frame carries nothing; only one that ends its stream means anything.
TEST(CodecDecoder, EmptyDataFrameThatEndsNothingIsMalformed) {
  const bytes empty = encode(data_frame{});
  frame_decoder decoder(default_max_payload);
  decoder.feed(empty);
  frame f;
  ASSERT_EQ(decoder.next(f), frame_decoder::status::error);
  EXPECT_EQ(decoder.error().code, "malformed");
  EXPECT_NE(decoder.error().message.find("empty Data frame"), std::string::npos)
      << decoder.error().message;
  frame_decoder ending(default_max_payload);
  ending.feed(encode(data_frame(stream_id::in, {}, true)));
  EXPECT_EQ(ending.next(f), frame_decoder::status::frame);
}

TEST(CodecDecoder, FramesSplitAcrossEveryChunkBoundary) {
  const bytes stream =
      cat({encode(sample_open()), encode(make_data(stream_id::out, "abc")), encode(resize{100, 50}),
           encode(heartbeat{}), encode(close_frame{3, 0})});
  const std::vector<frame> expected{sample_open(), make_data(stream_id::out, "abc"),
                                    resize{100, 50}, heartbeat{}, close_frame{3, 0}};
  for (std::size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    SCOPED_TRACE(::testing::Message() << "chunk size " << chunk);
    frame_decoder decoder;
    std::vector<frame> got;
    for (std::size_t at = 0; at < stream.size(); at += chunk) {
      const std::size_t n = std::min(chunk, stream.size() - at);
      decoder.feed(std::span<const std::uint8_t>(stream.data() + at, n));
      frame f;
      frame_decoder::status st;
      while ((st = decoder.next(f)) == frame_decoder::status::frame) got.push_back(f);
      ASSERT_EQ(st, frame_decoder::status::need_more) << decoder.error().message;
    }
    EXPECT_EQ(got, expected);
    EXPECT_EQ(decoder.buffered(), 0u);
  }
}

TEST(CodecDecoder, BufferedCountsUnconsumedBytes) {
  frame_decoder decoder;
  const bytes two = cat({encode(heartbeat{}), encode(signal_frame{2})});
  decoder.feed(two);
  EXPECT_EQ(decoder.buffered(), two.size());
  frame f;
  ASSERT_EQ(decoder.next(f), frame_decoder::status::frame);
  EXPECT_EQ(decoder.buffered(), 10u);
  ASSERT_EQ(decoder.next(f), frame_decoder::status::frame);
  EXPECT_EQ(f, frame(signal_frame{2}));
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(CodecDecoder, MemoryStaysBoundedOverALongStream) {
  // 16 MiB of 1 KiB data frames fed in 4 KiB chunks and drained after each chunk: without
  // compaction the buffer would grow to the whole stream.
  const bytes one = encode(data_frame(stream_id::out, bytes(1024 - 2 - 6, 'z')));
  ASSERT_EQ(one.size(), 1024u);
  bytes chunk;
  for (int i = 0; i < 4; ++i) chunk.insert(chunk.end(), one.begin(), one.end());
  // Misalign so that a partial frame is always pending across feeds.
  const bytes head(one.begin(), one.begin() + 100);

  frame_decoder decoder;
  decoder.feed(head);
  std::size_t frames = 0;
  allocation_probe probe;
  for (int i = 0; i < 4096; ++i) {
    // The stream is head, then the rotated frames: feed chunk rotated by 100 bytes.
    bytes rotated(chunk.begin() + 100, chunk.end());
    rotated.insert(rotated.end(), chunk.begin(), chunk.begin() + 100);
    decoder.feed(rotated);
    frame f;
    while (decoder.next(f) == frame_decoder::status::frame) ++frames;
    ASSERT_NE(decoder.next(f), frame_decoder::status::error) << decoder.error().message;
  }
  EXPECT_EQ(frames, 4096u * 4);
  EXPECT_EQ(decoder.buffered(), 100u);
  EXPECT_LT(probe.largest(), 512u * 1024) << "decoder buffer grew with the stream";
}

// ---- header errors ----

TEST(CodecErrors, BadVersion) {
  for (std::uint8_t version : std::initializer_list<std::uint8_t>{0, 2, 0x16, 'G', 255}) {
    SCOPED_TRACE(static_cast<int>(version));
    expect_error(raw_frame(8, {}, version), "bad_version", "version " + std::to_string(version));
  }
}

TEST(CodecErrors, BadVersionFailsOnFirstByte) {
  frame_decoder decoder;
  decoder.feed(to_bytes("G"));
  frame f;
  EXPECT_EQ(decoder.next(f), frame_decoder::status::error);
  EXPECT_EQ(decoder.error().code, "bad_version");
}

TEST(CodecErrors, UnknownType) {
  for (std::uint8_t type : {0, 11, 255}) {
    SCOPED_TRACE(static_cast<int>(type));
    expect_error(raw_frame(type, {}), "unknown_type", "type " + std::to_string(type));
    frame_decoder decoder;
    decoder.feed(bytes{1, type});
    frame f;
    EXPECT_EQ(decoder.next(f), frame_decoder::status::error) << "must fail on the type byte";
    EXPECT_EQ(decoder.error().code, "unknown_type");
  }
}

TEST(CodecErrors, FrameTooLargeFromHeaderAloneWithoutAllocating) {
  const bytes header{1, 4, 0xFF, 0xFF, 0xFF, 0xFF};  // claims 4 GiB - 1
  const std::string expected = "frame payload 4294967295 bytes exceeds limit 1048576";
  {
    allocation_probe probe;
    frame f;
    decode_error error;
    EXPECT_FALSE(decode_message(header, 1024 * 1024, f, error));
    EXPECT_EQ(error.code, "frame_too_large");
    EXPECT_EQ(error.message, expected);
    EXPECT_LT(probe.largest(), 4096u);
  }
  {
    frame_decoder decoder(1024 * 1024);
    allocation_probe probe;
    decoder.feed(header);
    frame f;
    EXPECT_EQ(decoder.next(f), frame_decoder::status::error) << "must not wait for the payload";
    EXPECT_EQ(decoder.error().code, "frame_too_large");
    EXPECT_EQ(decoder.error().message, expected);
    EXPECT_LT(probe.largest(), 4096u);
  }
}

TEST(CodecErrors, FrameTooLargeBoundary) {
  const bytes at_limit = encode(data_frame(stream_id::out, bytes(14, 'a')));  // payload 16
  const bytes over = encode(data_frame(stream_id::out, bytes(15, 'a')));      // payload 17
  frame f;
  decode_error error;
  EXPECT_TRUE(decode_message(at_limit, 16, f, error)) << error.message;
  expect_message_error(over, "frame_too_large", "frame payload 17 bytes exceeds limit 16", 16);
  frame_decoder decoder(16);
  decoder.feed(at_limit);
  EXPECT_EQ(decoder.next(f), frame_decoder::status::frame);
  decoder.feed(over);
  EXPECT_EQ(decoder.next(f), frame_decoder::status::error);
  EXPECT_EQ(decoder.error().code, "frame_too_large");
}

// ---- decode_message framing ----

TEST(CodecErrors, TruncatedMessage) {
  expect_message_error({}, "truncated", "0 bytes");
  expect_message_error(bytes{1}, "truncated");
  expect_message_error(bytes{1, 8, 0, 0, 0}, "truncated", "5 bytes");
  bytes resize_short = encode(resize{80, 24});
  resize_short.pop_back();
  expect_message_error(resize_short, "truncated", "3 payload bytes but its header says 4");
  bytes header_only{1, 4, 0, 0, 0, 10};
  expect_message_error(header_only, "truncated");
}

TEST(CodecErrors, TrailingBytesInMessage) {
  bytes extra = encode(heartbeat{});
  extra.push_back(0);
  expect_message_error(extra, "trailing_bytes", "1 bytes after");
  expect_message_error(cat({encode(heartbeat{}), encode(heartbeat{})}), "trailing_bytes");
}

TEST(CodecErrors, DecodePayloadChecksItsHeader) {
  frame f;
  decode_error error;
  EXPECT_FALSE(decode_payload(frame_header{1, frame_type::resize, 4}, bytes{0, 1}, f, error));
  EXPECT_EQ(error.code, "truncated");
  EXPECT_FALSE(decode_payload(frame_header{1, frame_type::heartbeat, 0}, bytes{0}, f, error));
  EXPECT_EQ(error.code, "trailing_bytes");
  EXPECT_FALSE(decode_payload(frame_header{1, static_cast<frame_type>(42), 0}, bytes{}, f, error));
  EXPECT_EQ(error.code, "unknown_type");
  EXPECT_FALSE(decode_payload(frame_header{3, frame_type::heartbeat, 0}, bytes{}, f, error));
  EXPECT_EQ(error.code, "bad_version");
}

TEST(CodecErrors, FailedDecodeLeavesOutputAlone) {
  frame f = resize{10, 10};
  decode_error error;
  EXPECT_FALSE(decode_message(raw_frame(frame_type::resize, bytes{0, 0, 0, 1}), default_max_payload,
                              f, error));
  EXPECT_EQ(f, frame(resize{10, 10}));
}

// ---- sticky decoder errors ----

TEST(CodecDecoder, ErrorIsStickyAndStopsBuffering) {
  frame_decoder decoder;
  decoder.feed(cat({encode(heartbeat{}), raw_frame(frame_type::signal, bytes{0, 0, 0, 99}),
                    encode(heartbeat{})}));
  frame f;
  ASSERT_EQ(decoder.next(f), frame_decoder::status::frame);
  ASSERT_EQ(decoder.next(f), frame_decoder::status::error);
  EXPECT_EQ(decoder.error().code, "malformed");
  EXPECT_EQ(decoder.error().message, "Signal signal 99 out of range 1..64");
  // A valid frame after the error does not revive the stream.
  EXPECT_EQ(decoder.next(f), frame_decoder::status::error);
  decoder.feed(encode(heartbeat{}));
  EXPECT_EQ(decoder.next(f), frame_decoder::status::error);
  EXPECT_EQ(decoder.error().code, "malformed");
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(CodecDecoder, HeaderErrorIsSticky) {
  frame_decoder decoder;
  decoder.feed(bytes{1, 11, 0, 0, 0, 0});
  frame f;
  ASSERT_EQ(decoder.next(f), frame_decoder::status::error);
  decoder.feed(encode(heartbeat{}));
  EXPECT_EQ(decoder.next(f), frame_decoder::status::error);
  EXPECT_EQ(decoder.error().code, "unknown_type");
}

// ---- Open ----

TEST(CodecOpen, MissingFieldsTakeDefaults) {
  const frame f = decode_ok(json_frame(frame_type::open, R"({"argv":["ls","-l"]})"));
  open_request expected;
  expected.argv = {"ls", "-l"};
  EXPECT_EQ(std::get<open_request>(f), expected);
  EXPECT_EQ(std::get<open_request>(f).cols, 80);
  EXPECT_EQ(std::get<open_request>(f).rows, 24);

  const frame shell = decode_ok(json_frame(frame_type::open, R"({"login_shell":true})"));
  EXPECT_TRUE(std::get<open_request>(shell).login_shell);
  EXPECT_TRUE(std::get<open_request>(shell).argv.empty());
}

TEST(CodecOpen, UnknownFieldsAreIgnored) {
  const frame f =
      decode_ok(json_frame(frame_type::open, R"({"argv":["ls"],"future":{"x":[1,2]}})"));
  EXPECT_EQ(std::get<open_request>(f).argv, std::vector<std::string>{"ls"});
}

TEST(CodecOpen, EnvDecodesInKeyOrder) {
  open_request o = sample_open();
  o.env = {{"ZED", "1"}, {"ALPHA", "2"}};
  const frame f = decode_ok(encode(o));
  const auto& env = std::get<open_request>(f).env;
  ASSERT_EQ(env.size(), 2u);
  EXPECT_EQ(env[0], (std::pair<std::string, std::string>{"ALPHA", "2"}));
  EXPECT_EQ(env[1], (std::pair<std::string, std::string>{"ZED", "1"}));
}

TEST(CodecOpen, BadJson) {
  expect_malformed(json_frame(frame_type::open, ""), "Open payload is not valid JSON");
  expect_malformed(json_frame(frame_type::open, "{"), "not valid JSON");
  expect_malformed(json_frame(frame_type::open, "not json"), "not valid JSON");
  expect_malformed(json_frame(frame_type::open, R"({"argv":["ls"]} x)"), "not valid JSON");
  expect_malformed(json_frame(frame_type::open, "{\"argv\":[\"\xff\"]}"), "not valid JSON");
}

TEST(CodecOpen, NotAnObject) {
  expect_malformed(json_frame(frame_type::open, "[]"), "must be a JSON object, got array");
  expect_malformed(json_frame(frame_type::open, R"("ls")"), "got string");
  expect_malformed(json_frame(frame_type::open, "42"), "got number");
  expect_malformed(json_frame(frame_type::open, "null"), "got null");
}

TEST(CodecOpen, WrongFieldTypes) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {R"({"argv":"ls"})", "\"argv\" must be an array"},
      {R"({"argv":{"0":"ls"}})", "\"argv\" must be an array"},
      {R"({"argv":["ls",1]})", "argv[1] must be a string, got number"},
      {R"({"argv":["ls",null]})", "argv[1] must be a string, got null"},
      {R"({"argv":["ls"],"login_shell":0})", "\"login_shell\" must be a boolean"},
      {R"({"argv":["ls"],"env":["A=1"]})", "\"env\" must be an object"},
      {R"({"argv":["ls"],"env":{"A":1}})", "env[\"A\"] must be a string, got number"},
      {R"({"argv":["ls"],"workdir":7})", "\"workdir\" must be a string"},
      {R"({"argv":["ls"],"interactive":"yes"})", "\"interactive\" must be a boolean"},
      {R"({"argv":["ls"],"tty":1})", "\"tty\" must be a boolean"},
      {R"({"argv":["ls"],"cols":"80"})", "\"cols\" must be an integer, got string"},
      {R"({"argv":["ls"],"cols":80.0})", "\"cols\" must be an integer, got number"},
      {R"({"argv":["ls"],"rows":true})", "\"rows\" must be an integer, got boolean"},
      {R"({"argv":["ls"],"heartbeat_ms":null})", "\"heartbeat_ms\" must be an integer"},
      {R"({"argv":["ls"],"token":["t"]})", "\"token\" must be a string, got array"},
  };
  for (const auto& [text, message] : cases) {
    SCOPED_TRACE(text);
    expect_malformed(json_frame(frame_type::open, text), message);
  }
}

TEST(CodecOpen, ArgvAndLoginShellMustAgree) {
  expect_malformed(json_frame(frame_type::open, "{}"), "argv is empty and login_shell is false");
  expect_malformed(json_frame(frame_type::open, R"({"argv":[],"login_shell":false})"),
                   "argv is empty and login_shell is false");
  open_request both = sample_open();
  both.login_shell = true;
  expect_malformed(encode(both), "argv must be empty when login_shell is true");
}

TEST(CodecOpen, NulBytesInStrings) {
  expect_malformed(json_frame(frame_type::open, R"({"argv":["ls","a\u0000b"]})"),
                   "argv[1] contains a NUL byte");
  open_request o = sample_open();
  o.argv[0] = std::string("ba\0sh", 5);
  expect_malformed(encode(o), "argv[0] contains a NUL byte");

  o = sample_open();
  o.env = {{std::string("K\0", 2), "v"}};
  expect_malformed(encode(o), "env name contains a NUL byte");
  o.env = {{"K", std::string("v\0", 2)}};
  expect_malformed(encode(o), "env[\"K\"] contains a NUL byte");

  o = sample_open();
  o.workdir = std::string("/tmp\0/x", 7);
  expect_malformed(encode(o), "workdir contains a NUL byte");

  o = sample_open();
  o.token = std::string("t\0k", 3);
  expect_malformed(encode(o), "token contains a NUL byte");
}

TEST(CodecOpen, EnvNames) {
  open_request o = sample_open();
  o.env = {{"", "v"}};
  expect_malformed(encode(o), "empty variable name");
  o.env = {{"A=B", "v"}};
  expect_malformed(encode(o), "env name \"A=B\" contains '='");
  o.env = {{"=", "v"}};
  expect_malformed(encode(o), "contains '='");
}

TEST(CodecOpen, DimensionsOutOfRange) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {R"({"argv":["ls"],"cols":0})", "Open cols 0 out of range 1..4096"},
      {R"({"argv":["ls"],"cols":4097})", "Open cols 4097 out of range 1..4096"},
      {R"({"argv":["ls"],"cols":65535})", "Open cols 65535 out of range 1..4096"},
      {R"({"argv":["ls"],"cols":65616})", "Open cols 65616 out of range"},  // 80 mod 2^16
      {R"({"argv":["ls"],"cols":-1})", "Open cols -1 out of range"},
      {R"({"argv":["ls"],"rows":0})", "Open rows 0 out of range 1..4096"},
      {R"({"argv":["ls"],"rows":65535})", "Open rows 65535 out of range 1..4096"},
      {R"({"argv":["ls"],"rows":18446744073709551615})", "rows 18446744073709551615 out of range"},
      {R"({"argv":["ls"],"rows":-9223372036854775808})", "rows -9223372036854775808 out of range"},
      {R"({"argv":["ls"],"heartbeat_ms":-1})", "heartbeat_ms -1 out of range 0..3600000"},
      {R"({"argv":["ls"],"heartbeat_ms":3600001})", "heartbeat_ms 3600001 out of range"},
      {R"({"argv":["ls"],"heartbeat_ms":4294967296})", "heartbeat_ms 4294967296 out of range"},
  };
  for (const auto& [text, message] : cases) {
    SCOPED_TRACE(text);
    expect_malformed(json_frame(frame_type::open, text), message);
  }
  open_request o = sample_open();
  o.cols = 0;
  expect_malformed(encode(o), "cols 0 out of range");
  o.cols = 80;
  o.rows = 65535;
  expect_malformed(encode(o), "rows 65535 out of range");
}

TEST(CodecOpen, LimitsAreInclusive) {
  const frame f = decode_ok(json_frame(
      frame_type::open, R"({"argv":["ls"],"cols":4096,"rows":1,"heartbeat_ms":3600000})"));
  EXPECT_EQ(std::get<open_request>(f).cols, 4096);
  EXPECT_EQ(std::get<open_request>(f).rows, 1);
  EXPECT_EQ(std::get<open_request>(f).heartbeat_ms, 3'600'000u);
}

// ---- Ack and Error ----

TEST(CodecAck, Malformed) {
  expect_malformed(json_frame(frame_type::ack, ""), "Ack payload is not valid JSON");
  expect_malformed(json_frame(frame_type::ack, "[1]"), "must be a JSON object");
  expect_malformed(json_frame(frame_type::ack, "{}"), "field \"pid\" is missing");
  expect_malformed(json_frame(frame_type::ack, R"({"pid":"12"})"), "\"pid\" must be an integer");
  expect_malformed(json_frame(frame_type::ack, R"({"pid":1.5})"), "\"pid\" must be an integer");
  expect_malformed(json_frame(frame_type::ack, R"({"pid":9223372036854775808})"),
                   "pid 9223372036854775808 out of range");
}

TEST(CodecErrorFrame, Malformed) {
  expect_malformed(json_frame(frame_type::error, "{"), "Error payload is not valid JSON");
  expect_malformed(json_frame(frame_type::error, "\"x\""), "must be a JSON object");
  expect_malformed(json_frame(frame_type::error, R"({"message":"m"})"),
                   "field \"code\" is missing");
  expect_malformed(json_frame(frame_type::error, R"({"code":"c"})"),
                   "field \"message\" is missing");
  expect_malformed(json_frame(frame_type::error, R"({"code":1,"message":"m"})"),
                   "\"code\" must be a string");
  expect_malformed(json_frame(frame_type::error, R"({"code":"c","message":false})"),
                   "\"message\" must be a string");
}

// ---- Data ----

TEST(CodecData, Malformed) {
  expect_malformed(raw_frame(frame_type::data, bytes{}), "Data payload is 0 bytes");
  expect_malformed(raw_frame(frame_type::data, bytes{1}), "Data payload is 1 bytes");
  expect_malformed(raw_frame(frame_type::data, bytes{3, 0}), "stream id 3");
  expect_malformed(raw_frame(frame_type::data, bytes{255, 0, 'x'}), "stream id 255");
  expect_malformed(raw_frame(frame_type::data, bytes{1, 2}), "flags 2 has unknown bits");
  expect_malformed(raw_frame(frame_type::data, bytes{1, 0x80, 'x'}), "flags 128");
  expect_malformed(raw_frame(frame_type::data, bytes{0, 0xFF}), "flags 255");
}

// ---- Resize, Signal, Close, Heartbeat ----

TEST(CodecResize, WrongSize) {
  expect_malformed(raw_frame(frame_type::resize, bytes{}), "Resize payload is 0 bytes, expected 4");
  expect_malformed(raw_frame(frame_type::resize, bytes{0, 80, 0}), "3 bytes, expected 4");
  expect_malformed(raw_frame(frame_type::resize, bytes{0, 80, 0, 24, 0}), "5 bytes, expected 4");
}

TEST(CodecResize, OutOfRange) {
  expect_malformed(encode(resize{0, 24}), "Resize cols 0 out of range 1..4096");
  expect_malformed(encode(resize{80, 0}), "Resize rows 0 out of range 1..4096");
  expect_malformed(encode(resize{65535, 24}), "Resize cols 65535 out of range 1..4096");
  expect_malformed(encode(resize{80, 4097}), "Resize rows 4097 out of range 1..4096");
}

TEST(CodecSignal, WrongSizeAndRange) {
  expect_malformed(raw_frame(frame_type::signal, bytes{}), "Signal payload is 0 bytes, expected 4");
  expect_malformed(raw_frame(frame_type::signal, bytes{0, 0, 9}), "3 bytes");
  expect_malformed(raw_frame(frame_type::signal, bytes{0, 0, 0, 0, 9}), "5 bytes");
  expect_malformed(raw_frame(frame_type::signal, bytes(8, 0)), "8 bytes");
  expect_malformed(encode(signal_frame{0}), "Signal signal 0 out of range 1..64");
  expect_malformed(encode(signal_frame{65}), "signal 65 out of range");
  expect_malformed(encode(signal_frame{-1}), "signal -1 out of range");
  expect_malformed(encode(signal_frame{std::numeric_limits<std::int32_t>::min()}),
                   "signal -2147483648 out of range");
}

TEST(CodecClose, WrongSizeAndRange) {
  expect_malformed(raw_frame(frame_type::close, bytes{}), "Close payload is 0 bytes, expected 8");
  expect_malformed(raw_frame(frame_type::close, bytes(4, 0)), "4 bytes, expected 8");
  expect_malformed(raw_frame(frame_type::close, bytes(7, 0)), "7 bytes");
  expect_malformed(raw_frame(frame_type::close, bytes(9, 0)), "9 bytes");
  expect_malformed(encode(close_frame{0, -1}), "Close signal -1 out of range 0..64");
  expect_malformed(encode(close_frame{193, 65}), "Close signal 65 out of range 0..64");
}

TEST(CodecHeartbeat, NonEmpty) {
  expect_malformed(raw_frame(frame_type::heartbeat, bytes{0}),
                   "Heartbeat payload is 1 bytes, expected 0");
  expect_malformed(raw_frame(frame_type::heartbeat, to_bytes("{}")), "2 bytes, expected 0");
}

TEST(CodecControl, PayloadMustBeAJsonObject) {
  expect_malformed(json_frame(frame_type::route, ""), "Route payload is not valid JSON");
  expect_malformed(json_frame(frame_type::tunnel_hello, "[1]"), "must be a JSON object");
  expect_malformed(json_frame(frame_type::tunnel_dial, "\"x\""), "must be a JSON object");
}

TEST(CodecControl, TypeOfAndNames) {
  EXPECT_EQ(type_of(control_message{frame_type::tunnel_welcome, "{}"}), frame_type::tunnel_welcome);
  EXPECT_STREQ(type_name(frame_type::stream_attach), "StreamAttach");
  EXPECT_TRUE(is_control_type(frame_type::route));
  EXPECT_TRUE(is_control_type(frame_type::http_request));
  EXPECT_TRUE(is_control_type(frame_type::http_response));
  EXPECT_STREQ(type_name(frame_type::http_request), "HttpRequest");
  EXPECT_STREQ(type_name(frame_type::http_response), "HttpResponse");
  EXPECT_TRUE(is_control_type(frame_type::tunnel_challenge));
  EXPECT_TRUE(is_control_type(frame_type::tunnel_proof));
  EXPECT_STREQ(type_name(frame_type::tunnel_challenge), "TunnelChallenge");
  EXPECT_STREQ(type_name(frame_type::tunnel_proof), "TunnelProof");
  EXPECT_FALSE(is_control_type(frame_type::heartbeat));
  expect_error(raw_frame(15, {}), "unknown_type", "type 15");
  expect_error(raw_frame(25, {}), "unknown_type", "type 25");
}

}  // namespace
}  // namespace rstream::codec
