// Scrollback ring and escape tracker (rstream/live/scrollback_ring.hpp).
#include "rstream/live/scrollback_ring.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace rstream::live {
namespace {

constexpr std::uint8_t esc = 0x1B;
constexpr std::uint8_t bel = 0x07;
constexpr std::uint8_t can = 0x18;
constexpr std::uint8_t sub = 0x1A;
constexpr std::uint8_t del = 0x7F;
/// At most this many continuation bytes follow a UTF-8 lead byte.
constexpr int max_continuation_bytes = 3;
/// The first growth step of the storage.
constexpr std::size_t min_storage_step = 4096;

bool is_utf8_continuation(std::uint8_t b) { return (b & 0xC0) == 0x80; }

}  // namespace

// ---- escape_tracker ----

void escape_tracker::feed(std::uint8_t b) {
  using s = state;
  if (b == can || b == sub) {  // cancel whatever is in progress
    state_ = s::ground;
    return;
  }
  switch (state_) {
    case s::ground:
      if (b == esc) state_ = s::escape;
      return;
    case s::osc:
      if (b == bel) {
        state_ = s::ground;
      } else if (b == esc) {
        state_ = s::escape;  // ST (ESC \) ends the string; any other ESC starts a new sequence
      }
      return;
    case s::control_string:
      if (b == esc) state_ = s::escape;
      return;
    case s::escape:
    case s::escape_intermediate:
    case s::csi:
      break;
  }
  // ESC, escape_intermediate and CSI share the handling of controls and non-ASCII bytes.
  if (b == esc) {
    state_ = s::escape;
    return;
  }
  if (b < 0x20 || b == del) return;  // executed or ignored inside the sequence
  if (b >= 0x80) {                   // not part of any 7-bit sequence: abort it
    state_ = s::ground;
    return;
  }
  switch (state_) {
    case s::escape:
      if (b == '[') {
        state_ = s::csi;
      } else if (b == ']') {
        state_ = s::osc;
      } else if (b == 'P' || b == 'X' || b == '^' || b == '_') {
        state_ = s::control_string;
      } else if (b < 0x30) {
        state_ = s::escape_intermediate;
      } else {
        state_ = s::ground;  // a two-byte sequence (including ST, ESC \)
      }
      return;
    case s::escape_intermediate:
      if (b >= 0x30) state_ = s::ground;
      return;
    case s::csi:
      if (b >= 0x40) state_ = s::ground;  // final byte; 0x20-0x3F are parameters/intermediates
      return;
    default:
      return;
  }
}

void escape_tracker::feed(std::span<const std::uint8_t> bytes) {
  const std::uint8_t* p = bytes.data();
  const std::uint8_t* const end = p + bytes.size();
  while (p != end) {
    if (state_ == state::ground) {
      // Text is the common case: jump to the next ESC.
      const void* next = std::memchr(p, esc, static_cast<std::size_t>(end - p));
      if (next == nullptr) return;
      p = static_cast<const std::uint8_t*>(next) + 1;
      state_ = state::escape;
      continue;
    }
    feed(*p++);
  }
}

// ---- scrollback_ring ----

scrollback_ring::scrollback_ring(std::size_t capacity) : capacity_(capacity) {
  if (capacity == 0) throw std::invalid_argument("scrollback_ring: capacity must be at least 1");
}

void scrollback_ring::feed_evicted(std::uint64_t from, std::size_t count) {
  // The evicted range may wrap around the end of the storage: at most two contiguous pieces.
  while (count > 0) {
    const std::size_t index = static_cast<std::size_t>(from % capacity_);
    const std::size_t n = std::min(count, capacity_ - index);
    evicted_.feed(std::span<const std::uint8_t>(storage_.data() + index, n));
    from += n;
    count -= n;
  }
}

void scrollback_ring::write(std::uint64_t offset, std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    const std::size_t index = static_cast<std::size_t>(offset % capacity_);
    const std::size_t n = std::min(bytes.size(), capacity_ - index);
    std::memcpy(storage_.data() + index, bytes.data(), n);
    offset += n;
    bytes = bytes.subspan(n);
  }
}

void scrollback_ring::append(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return;
  const std::size_t n = bytes.size();
  if (n <= capacity_ - size_) {
    // Nothing is evicted, so nothing ever was: storage holds offsets [0, total_) in order.
    const std::size_t needed = size_ + n;
    if (storage_.capacity() < needed) {
      // Grow geometrically but never past capacity_ (reserve allocates exactly what it is told).
      storage_.reserve(std::min(capacity_, std::max({needed, 2 * storage_.capacity(),
                                                     std::min(capacity_, min_storage_step)})));
    }
    storage_.insert(storage_.end(), bytes.begin(), bytes.end());
    size_ += n;
    total_ += n;
    return;
  }

  // Evict `evict` bytes: first the oldest retained ones, then (for a chunk larger than the
  // capacity) the head of the new chunk itself. The tracker sees them in stream order.
  const std::uint64_t evict = std::uint64_t{size_} + n - capacity_;
  const std::size_t old_evicted = static_cast<std::size_t>(std::min<std::uint64_t>(evict, size_));
  const std::size_t new_evicted = static_cast<std::size_t>(evict - old_evicted);
  feed_evicted(begin_offset(), old_evicted);
  evicted_.feed(bytes.first(new_evicted));

  if (storage_.size() < capacity_) {
    storage_.reserve(capacity_);
    storage_.resize(capacity_);
  }
  write(total_ + new_evicted, bytes.subspan(new_evicted));
  total_ += n;
  size_ = capacity_;
}

std::uint64_t scrollback_ring::safe_start() const {
  std::uint64_t offset = begin_offset();
  if (offset == 0) return 0;  // nothing was ever evicted: the stream's own beginning
  escape_tracker tracker = evicted_;
  while (tracker.in_sequence() && offset < total_) tracker.feed(at(offset++));
  if (tracker.in_sequence()) return total_;
  for (int i = 0; i < max_continuation_bytes && offset < total_ && is_utf8_continuation(at(offset));
       ++i) {
    ++offset;
  }
  return offset;
}

std::size_t scrollback_ring::copy(std::uint64_t from, std::size_t max_bytes,
                                  std::vector<std::uint8_t>& out) const {
  if (from < begin_offset() || from > total_) return 0;
  const std::size_t count =
      static_cast<std::size_t>(std::min<std::uint64_t>(max_bytes, total_ - from));
  std::size_t left = count;
  out.reserve(out.size() + count);
  while (left > 0) {
    const std::size_t index = static_cast<std::size_t>(from % capacity_);
    const std::size_t n = std::min(left, capacity_ - index);
    out.insert(out.end(), storage_.begin() + static_cast<std::ptrdiff_t>(index),
               storage_.begin() + static_cast<std::ptrdiff_t>(index + n));
    from += n;
    left -= n;
  }
  return count;
}

std::vector<std::uint8_t> scrollback_ring::snapshot() const {
  std::vector<std::uint8_t> out;
  const std::uint64_t start = safe_start();
  copy(start, static_cast<std::size_t>(total_ - start), out);
  return out;
}

result<resume_bytes> scrollback_ring::bytes_since(std::uint64_t offset) const {
  if (offset > total_) {
    return fail(errc::invalid_argument, "offset " + std::to_string(offset) +
                                            " is beyond the output written so far (" +
                                            std::to_string(total_) + " bytes)");
  }
  resume_bytes r;
  r.from_offset = offset >= begin_offset() ? offset : safe_start();
  r.skipped = r.from_offset > offset ? r.from_offset - offset : 0;
  copy(r.from_offset, static_cast<std::size_t>(total_ - r.from_offset), r.bytes);
  return r;
}

}  // namespace rstream::live
