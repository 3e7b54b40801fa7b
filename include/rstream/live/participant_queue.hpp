// Outbound output queue of one live-session participant, bounded in bytes, so that a slow or
// paused participant never slows the process or the other participants.
//
// push() never blocks and never grows past the limit: when a chunk would not fit, everything
// queued is dropped and the queue becomes lagging (further pushes are refused) until the driver
// resyncs the participant from the scrollback and calls resume(). live_session_state does that
// itself (see take_output there). Chunks are shared between the queues of all participants (one
// allocation per output read, not one per participant) and copied out once, by pop_into().
// Memory: each chunk is charged its size plus chunk_overhead against the limit, so many tiny
// chunks cannot hide allocation overhead behind a small byte count.
// Thread-safety: none; owned by one thread (the session's io_context thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <vector>

namespace rstream::live {

/// A piece of output, shared read-only by every queue that holds it.
using shared_bytes = std::shared_ptr<const std::vector<std::uint8_t>>;

/// Queued output handed out without a copy: `bytes` lie in `chunk`, which the piece keeps
/// alive (null when the bytes lie in a buffer of the caller's, see take_output_pieces).
struct output_piece {
  shared_bytes chunk;
  std::span<const std::uint8_t> bytes;
};

/// Default per-participant limit.
inline constexpr std::size_t default_queue_limit = std::size_t{1024} * 1024;

class participant_queue {
 public:
  /// What a queued chunk costs beyond its bytes (pointer, control block, allocator header).
  static constexpr std::size_t chunk_overhead = 64;

  explicit participant_queue(std::size_t limit_bytes = default_queue_limit) : limit_(limit_bytes) {}

  /// Queues a chunk without copying it. Returns false when it was not queued: the queue was
  /// already lagging, or the chunk did not fit (then everything queued is dropped too and the
  /// queue becomes lagging). An empty chunk is a no-op that returns !lagging().
  bool push(shared_bytes chunk);
  /// Same, copying `bytes` into a new chunk.
  bool push(std::span<const std::uint8_t> bytes);
  /// Moves up to max_bytes of the oldest queued output to the end of `out`; returns the count.
  std::size_t pop_into(std::vector<std::uint8_t>& out, std::size_t max_bytes);
  /// Same, appending references to the queued chunks to `out` instead of copying bytes.
  std::size_t pop_pieces(std::vector<output_piece>& out, std::size_t max_bytes);
  /// Drops everything queued (counted in dropped_bytes()); the lagging flag is unchanged.
  void clear();
  /// Leaves the lagging state: pushes are accepted again.
  void resume() { lagging_ = false; }

  bool empty() const { return queued_ == 0; }
  /// Output bytes queued and not yet popped.
  std::size_t queued_bytes() const { return queued_; }
  /// What the queue holds against its limit: queued bytes plus chunk_overhead per chunk.
  std::size_t charged_bytes() const { return charged_; }
  std::size_t limit() const { return limit_; }
  bool lagging() const { return lagging_; }
  /// Output bytes this queue discarded (overflow, or refused while lagging), ever.
  std::uint64_t dropped_bytes() const { return dropped_; }

 private:
  std::size_t limit_;
  std::deque<shared_bytes> chunks_;
  std::size_t front_consumed_ = 0;  ///< bytes of chunks_.front() already popped
  std::size_t queued_ = 0;
  std::size_t charged_ = 0;
  bool lagging_ = false;
  std::uint64_t dropped_ = 0;
};

}  // namespace rstream::live
