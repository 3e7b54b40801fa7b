// A thread reading a file descriptor into stdin Data frames (see stdin_reader.hpp).
#include "rstream/client/stdin_reader.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace rstream::client {

struct stdin_reader::shared_state {
  std::mutex mutex;
  std::condition_variable released;
  int in_flight = 0;
  bool stopped = false;
  post_fn post;
  deliver_fn deliver;
};

stdin_reader::stdin_reader(int fd, post_fn post, deliver_fn deliver, std::size_t chunk_bytes,
                           int max_in_flight)
    : state_(std::make_shared<shared_state>()) {
  state_->post = std::move(post);
  state_->deliver = std::move(deliver);
  std::thread([fd, chunk_bytes, max_in_flight, state = state_] {
    while (true) {
      {
        std::unique_lock lock(state->mutex);
        state->released.wait(lock,
                             [&] { return state->stopped || state->in_flight < max_in_flight; });
        if (state->stopped) return;
      }
      constexpr std::size_t prefix = codec::data_frame::prefix_size;
      std::vector<std::uint8_t> chunk(prefix + chunk_bytes);
      ssize_t n;
      do {
        n = ::read(fd, chunk.data() + prefix, chunk_bytes);
      } while (n < 0 && errno == EINTR);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        pollfd p{fd, POLLIN, 0};
        ::poll(&p, 1, -1);
        continue;
      }
      bool eof = n <= 0;
      chunk.resize(prefix + (eof ? 0 : static_cast<std::size_t>(n)));
      auto frame = codec::data_frame::wrap(std::move(chunk), codec::stream_id::in, eof);
      std::unique_lock lock(state->mutex);
      if (state->stopped) return;
      ++state->in_flight;
      auto release = [state] {
        std::lock_guard guard(state->mutex);
        --state->in_flight;
        state->released.notify_one();
      };
      state->post([state, frame = std::move(frame), release]() mutable {
        state->deliver(std::move(frame), release);
      });
      if (eof) return;
    }
  }).detach();
}

stdin_reader::~stdin_reader() {
  std::lock_guard guard(state_->mutex);
  state_->stopped = true;
  state_->released.notify_one();
}

}  // namespace rstream::client
