// Bounded per-participant output queue (rstream/live/participant_queue.hpp).
#include "rstream/live/participant_queue.hpp"

#include <algorithm>
#include <utility>

namespace rstream::live {

bool participant_queue::push(shared_bytes chunk) {
  if (!chunk || chunk->empty()) return !lagging_;
  const std::size_t size = chunk->size();
  if (lagging_) {
    dropped_ += size;
    return false;
  }
  // Written so that it cannot overflow: charged_ <= limit_ always holds.
  if (size > limit_ || chunk_overhead > limit_ - size ||
      charged_ > limit_ - size - chunk_overhead) {
    dropped_ += size;
    clear();
    lagging_ = true;
    return false;
  }
  chunks_.push_back(std::move(chunk));
  queued_ += size;
  charged_ += size + chunk_overhead;
  return true;
}

bool participant_queue::push(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return !lagging_;
  return push(std::make_shared<const std::vector<std::uint8_t>>(bytes.begin(), bytes.end()));
}

std::size_t participant_queue::pop_pieces(std::vector<output_piece>& out, std::size_t max_bytes) {
  const std::size_t total = std::min(max_bytes, queued_);
  std::size_t left = total;
  while (left > 0) {
    const shared_bytes& front = chunks_.front();
    const std::size_t n = std::min(left, front->size() - front_consumed_);
    out.push_back({front, std::span<const std::uint8_t>(*front).subspan(front_consumed_, n)});
    front_consumed_ += n;
    left -= n;
    queued_ -= n;
    charged_ -= n;
    if (front_consumed_ == front->size()) {
      chunks_.pop_front();
      front_consumed_ = 0;
      charged_ -= chunk_overhead;
    }
  }
  return total;
}

std::size_t participant_queue::pop_into(std::vector<std::uint8_t>& out, std::size_t max_bytes) {
  std::vector<output_piece> pieces;
  const std::size_t total = pop_pieces(pieces, max_bytes);
  out.reserve(out.size() + total);
  for (const auto& piece : pieces) out.insert(out.end(), piece.bytes.begin(), piece.bytes.end());
  return total;
}

void participant_queue::clear() {
  dropped_ += queued_;
  chunks_.clear();
  chunks_.shrink_to_fit();
  front_consumed_ = 0;
  queued_ = 0;
  charged_ = 0;
}

}  // namespace rstream::live
