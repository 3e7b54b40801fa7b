// frame_decoder: frames out of a byte stream fed in arbitrary pieces (see frame.hpp). A bad
// version or type is refused as soon as its byte arrives; after an error the decoder is dead
// and keeps no buffer.
#include <algorithm>

#include "rstream/codec/frame.hpp"

namespace rstream::codec {
namespace {

/// The decoder drops its consumed prefix once it is at least this large (and at least as large
/// as what is still buffered), so compaction costs O(1) amortized per byte.
constexpr std::size_t compact_threshold = 64 * 1024;

}  // namespace

frame_decoder::frame_decoder(std::size_t max_payload) : max_payload_(max_payload) {}

void frame_decoder::feed(std::span<const std::uint8_t> bytes) {
  if (failed_) return;  // the stream is dead; don't let it grow the buffer
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  } else if (consumed_ >= compact_threshold && consumed_ >= buffered()) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(consumed_));
    consumed_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

frame_decoder::status frame_decoder::next(frame& out) {
  if (failed_) return status::error;
  const std::uint8_t* start = buffer_.data() + consumed_;
  const std::size_t available = buffered();

  // Reject a bad version or type as soon as its byte is here, without waiting for the rest.
  const bool ok = check_header_prefix(
      std::span<const std::uint8_t>(start, std::min(available, header_size)), error_);
  frame_header header;
  if (ok && available < header_size) return status::need_more;
  if (!ok || !parse_header(std::span<const std::uint8_t, header_size>(start, header_size),
                           max_payload_, header, error_)) {
    return fail();
  }
  if (available - header_size < header.payload_length) return status::need_more;

  const std::uint8_t* body = start + header_size;
  std::vector<std::uint8_t> payload(body, body + header.payload_length);
  consumed_ += header_size + header.payload_length;
  frame decoded;
  if (!decode_payload(header, std::move(payload), decoded, error_)) return fail();
  out = std::move(decoded);
  return status::frame;
}

frame_decoder::status frame_decoder::fail() {
  failed_ = true;
  buffer_.clear();
  buffer_.shrink_to_fit();
  consumed_ = 0;
  return status::error;
}

}  // namespace rstream::codec
