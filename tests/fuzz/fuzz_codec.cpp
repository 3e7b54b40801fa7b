// libFuzzer target for the WebTTY frame codec (rstream/codec/frame.hpp).
//
// The input is treated both as one WebSocket message (decode_message) and as a TCP byte stream
// (frame_decoder), fed in one chunk, byte by byte, and in chunks whose sizes come from the input
// bytes. Checked properties, besides "no crash, no sanitizer report, no exception":
//   - every decoded frame re-encodes to bytes that decode to an equal frame, and re-encoding that
//     frame gives the same bytes again (the encoding of a valid frame is canonical);
//   - a binary frame (Data, Resize, Signal, Close, Heartbeat) re-encodes to exactly its input;
//   - how the stream is split into chunks changes nothing: same frames, same final state, same
//     error;
//   - a decoder with a smaller payload limit yields a prefix of the same frames;
//   - every error has a known code and a non-empty message.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "rstream/codec/frame.hpp"

namespace {

using rstream::codec::decode_error;
using rstream::codec::frame;
using rstream::codec::frame_decoder;
using rstream::codec::frame_type;

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "fuzz_codec: property violated: %s\n", what);
  std::abort();
}

void require_known_error(const decode_error& error) {
  const std::string& c = error.code;
  require(c == "bad_version" || c == "unknown_type" || c == "frame_too_large" || c == "malformed" ||
              c == "truncated" || c == "trailing_bytes",
          "decode error code is one of the documented codes");
  require(!error.message.empty(), "decode error has a message");
}

bool is_binary(frame_type t) {
  return t != frame_type::open && t != frame_type::ack && t != frame_type::error;
}

/// encode → decode gives the same frame, and its encoding is a fixed point.
void check_round_trip(const frame& f) {
  const std::vector<std::uint8_t> encoded = rstream::codec::encode(f);
  frame again;
  decode_error error;
  require(
      rstream::codec::decode_message(encoded, rstream::codec::default_max_payload, again, error),
      "a decoded frame re-encodes to a decodable message");
  require(again == f, "re-encoded frame decodes to an equal frame");
  require(rstream::codec::encode(again) == encoded, "encoding of a valid frame is canonical");
}

struct stream_result {
  std::vector<frame> frames;
  frame_decoder::status last = frame_decoder::status::need_more;
  decode_error error;
};

/// Feeds `input` to a decoder in chunks of chunk_size(offset) bytes, draining after each feed.
template <typename ChunkSize>
stream_result decode_stream(std::span<const std::uint8_t> input, std::size_t max_payload,
                            ChunkSize chunk_size) {
  stream_result result;
  frame_decoder decoder(max_payload);
  std::size_t at = 0;
  while (true) {
    frame f;
    while ((result.last = decoder.next(f)) == frame_decoder::status::frame) {
      result.frames.push_back(std::move(f));
    }
    if (result.last == frame_decoder::status::error) {
      result.error = decoder.error();
      require_known_error(result.error);
      require(decoder.next(f) == frame_decoder::status::error, "decoder errors are sticky");
      require(decoder.buffered() == 0, "a failed decoder holds no bytes");
      break;
    }
    if (at == input.size()) {
      require(decoder.buffered() < rstream::codec::header_size + max_payload,
              "need_more with less than one whole frame buffered");
      break;
    }
    const std::size_t n = std::min(chunk_size(at), input.size() - at);
    decoder.feed(input.subspan(at, n));
    at += n;
  }
  return result;
}

bool same_outcome(const stream_result& a, const stream_result& b) {
  return a.frames == b.frames && a.last == b.last && a.error.code == b.error.code &&
         a.error.message == b.error.message;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  constexpr std::size_t max_payload = rstream::codec::default_max_payload;

  // One WebSocket message.
  {
    frame f;
    decode_error error;
    if (rstream::codec::decode_message(input, max_payload, f, error)) {
      check_round_trip(f);
      if (is_binary(rstream::codec::type_of(f))) {
        const auto encoded = rstream::codec::encode(f);
        require(std::equal(encoded.begin(), encoded.end(), input.begin(), input.end()),
                "a binary frame re-encodes to exactly its input");
      }
    } else {
      require_known_error(error);
    }
  }

  // A byte stream, whole.
  const stream_result whole =
      decode_stream(input, max_payload, [&](std::size_t) { return input.size(); });
  for (const frame& f : whole.frames) check_round_trip(f);

  // Chunk sizes taken from the byte at the chunk's start: small steps, sometimes large jumps.
  const stream_result chunked = decode_stream(input, max_payload, [&](std::size_t at) {
    const std::uint8_t b = input[at];
    return (b & 0x80) ? std::size_t{b & 0x7Fu} * 37 + 1 : std::size_t{b % 13u} + 1;
  });
  require(same_outcome(whole, chunked), "chunked decoding matches one-chunk decoding");

  if (size <= 4096) {
    const stream_result bytewise =
        decode_stream(input, max_payload, [](std::size_t) { return std::size_t{1}; });
    require(same_outcome(whole, bytewise), "byte-by-byte decoding matches one-chunk decoding");
  }

  // A tighter limit only cuts the stream short.
  const stream_result tight = decode_stream(input, 32, [&](std::size_t) { return input.size(); });
  require(tight.frames.size() <= whole.frames.size(), "a tighter limit yields no extra frames");
  for (std::size_t i = 0; i < tight.frames.size(); ++i) {
    require(tight.frames[i] == whole.frames[i], "a tighter limit yields a prefix of the frames");
  }
  if (tight.last != frame_decoder::status::error) {
    require(same_outcome(whole, tight), "without frame_too_large the limit changes nothing");
  }
  return 0;
}
