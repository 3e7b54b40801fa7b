// Scrollback of a live session: the most recent terminal output, in a bounded byte ring, that a
// new participant receives before live output and a lagging one is resynced from.
//
// Every byte has a stream offset (0 = the session's first output byte; total_written() is the
// offset of the next one). The ring retains [begin_offset(), total_written()). A replay must not
// start inside a UTF-8 sequence or an escape sequence, so the ring runs an escape_tracker over
// the bytes it evicts: it always knows the parser state at begin_offset() exactly (however long
// an OSC or DCS string is), and safe_start() scans forward from there to the first safe point.
// Memory: at most capacity() bytes of storage (grown on demand) plus a few words.
// Thread-safety: none; owned by one thread (the session's io_context thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "rstream/live/result.hpp"

namespace rstream::live {

/// Default scrollback size per session.
inline constexpr std::size_t default_scrollback_bytes = std::size_t{1024} * 1024;

/// Follows a terminal byte stream far enough to tell whether a position is inside an escape
/// sequence (a simplified VT500 parser: only the states, no parameters). Recognised:
/// two-byte and intermediate ESC sequences, CSI (`ESC [` params/intermediates, final 0x40-0x7E),
/// OSC (`ESC ]` up to BEL or ST = `ESC \`), DCS/SOS/PM/APC (`ESC P|X|^|_` up to ST).
/// CAN and SUB cancel a sequence; ESC inside a sequence starts a new one (which is how ST ends a
/// string); C0 controls inside ESC/CSI do not end it; a byte >= 0x80 aborts an ESC or CSI
/// sequence (UTF-8 terminals do not use 8-bit C1 controls). UTF-8 is not tracked here: it is
/// self-synchronising, so safe points skip continuation bytes instead.
class escape_tracker {
 public:
  enum class state : std::uint8_t {
    ground,               ///< text: a safe place to start a replay
    escape,               ///< after ESC
    escape_intermediate,  ///< ESC followed by 0x20-0x2F bytes
    csi,                  ///< control sequence, until its final byte
    osc,                  ///< operating system command string, until BEL or ST
    control_string,       ///< DCS, SOS, PM or APC string, until ST
  };

  void feed(std::uint8_t byte);
  void feed(std::span<const std::uint8_t> bytes);
  state current() const { return state_; }
  bool in_sequence() const { return state_ != state::ground; }

 private:
  state state_ = state::ground;
};

/// What bytes_since() returns: the bytes to send and where they start.
struct resume_bytes {
  std::vector<std::uint8_t> bytes;
  std::uint64_t from_offset = 0;  ///< stream offset of bytes[0] (or total_written() when empty)
  std::uint64_t skipped = 0;  ///< bytes between the requested offset and from_offset that are lost
  bool exact() const { return skipped == 0; }
};

class scrollback_ring {
 public:
  /// capacity: retained bytes (>= 1; a bug otherwise: throws std::invalid_argument).
  explicit scrollback_ring(std::size_t capacity = default_scrollback_bytes);

  /// Appends output, evicting the oldest bytes beyond capacity. O(bytes) (evicted bytes are
  /// parsed once, text at memchr speed).
  void append(std::span<const std::uint8_t> bytes);

  std::size_t capacity() const { return capacity_; }
  /// Bytes retained now (<= capacity()).
  std::size_t size() const { return size_; }
  /// Monotonic: every byte ever appended. The offset of the next byte.
  std::uint64_t total_written() const { return total_; }
  /// Offset of the oldest retained byte (total_written() - size()).
  std::uint64_t begin_offset() const { return total_ - size_; }
  /// Offset of the first safe replay point at or after begin_offset(): parser in ground state
  /// and not on a UTF-8 continuation byte. total_written() if the whole retained range is inside
  /// one sequence (e.g. an unterminated OSC). O(distance to that point).
  std::uint64_t safe_start() const;
  /// The retained bytes from safe_start(): what a new participant is shown first.
  std::vector<std::uint8_t> snapshot() const;
  /// Appends to `out` up to max_bytes retained bytes starting at offset `from`; returns how many.
  /// 0 when `from` is outside [begin_offset(), total_written()].
  std::size_t copy(std::uint64_t from, std::size_t max_bytes, std::vector<std::uint8_t>& out) const;
  /// Resume from a stream offset a participant already has: the exact continuation when `offset`
  /// is still retained, otherwise the safe snapshot with `skipped` = bytes lost. An offset beyond
  /// total_written() (untrusted input) is invalid_argument.
  result<resume_bytes> bytes_since(std::uint64_t offset) const;
  /// Bytes of storage allocated (never more than capacity()).
  std::size_t memory_bytes() const { return storage_.capacity(); }

 private:
  std::uint8_t at(std::uint64_t offset) const { return storage_[offset % capacity_]; }
  void feed_evicted(std::uint64_t from, std::size_t count);
  void write(std::uint64_t offset, std::span<const std::uint8_t> bytes);

  std::size_t capacity_;
  std::vector<std::uint8_t> storage_;  ///< byte at stream offset o lives at o % capacity_
  std::size_t size_ = 0;
  std::uint64_t total_ = 0;
  escape_tracker evicted_;  ///< parser state after every evicted byte, i.e. at begin_offset()
};

}  // namespace rstream::live
