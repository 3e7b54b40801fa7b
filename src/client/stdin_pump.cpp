// The one stdin pump (see stdin_pump.hpp).
#include "rstream/client/stdin_pump.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <optional>
#include <vector>

#include "rstream/client/escape_filter.hpp"
#include "rstream/client/stdin_reader.hpp"
#include "rstream/common/async_event.hpp"
#include "rstream/common/pipe_buffer.hpp"

namespace asio = boost::asio;

namespace rstream::client {
namespace {

/// Pipes and sockets are read on the I/O thread itself (non-blocking, restored at the end):
/// no hand-off between threads per chunk. Terminals and regular files use stdin_reader.
bool stdin_is_pollable() {
  struct stat st {};
  return ::fstat(STDIN_FILENO, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

/// /dev/null (what benchmarks, cron and `</dev/null` give us) has nothing to read: its end
/// is sent at once, without starting a reader thread.
bool stdin_is_null_device() {
  struct stat st {};
  struct stat null_device {};
  return ::fstat(STDIN_FILENO, &st) == 0 && S_ISCHR(st.st_mode) &&
         ::stat("/dev/null", &null_device) == 0 && st.st_rdev == null_device.st_rdev;
}

/// A pipe or socket on fd 0, read on the I/O thread with at most four chunks in flight.
class polled_stdin final : public stdin_forwarding {
 public:
  polled_stdin(asio::io_context& io, stdin_sink sink, std::size_t chunk_bytes)
      : io_(io), sink_(std::move(sink)), chunk_bytes_(chunk_bytes), event_(io.get_executor()) {
    // Running from now on, so that stop() waits for the pump even when it has not started.
    running_ = true;
    asio::co_spawn(io_, pump(), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
  }

  asio::awaitable<void> stop() override {
    stopping_ = true;
    event_.notify();
    if (waiter_) {
      boost::system::error_code ignored;
      waiter_->cancel(ignored);
    }
    while (running_) co_await event_.wait();
  }

 private:
  asio::awaitable<void> pump() {
    constexpr std::size_t prefix = codec::data_frame::prefix_size;
    const std::size_t chunk_bytes = chunk_bytes_;
    constexpr int max_in_flight = 4;
    const int fd = STDIN_FILENO;
    const int saved_flags = ::fcntl(fd, F_GETFL);
    ::fcntl(fd, F_SETFL, saved_flags | O_NONBLOCK);
    bool grown = false;
    while (!stopping_) {
      while (in_flight_ >= max_in_flight && !stopping_) co_await event_.wait();
      if (stopping_) break;
      std::vector<std::uint8_t> buffer(prefix + chunk_bytes);
      ssize_t n = ::read(fd, buffer.data() + prefix, chunk_bytes);
      if (n > 0) {
        // Bulk input: a larger pipe lets the writer run ahead, so we read fewer, larger chunks.
        grow_pipe_for_bulk(fd, static_cast<std::size_t>(n), grown);
        buffer.resize(prefix + static_cast<std::size_t>(n));
        ++in_flight_;
        sink_.send(codec::data_frame::wrap(std::move(buffer), codec::stream_id::in), [this] {
          --in_flight_;
          event_.notify();
        });
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        waiter_.emplace(io_, ::dup(fd));
        co_await waiter_->async_wait(asio::posix::stream_descriptor::wait_read, use_nothrow);
        waiter_.reset();
      } else {
        sink_.send(codec::data_frame(codec::stream_id::in, {}, true), {});
        break;
      }
    }
    ::fcntl(fd, F_SETFL, saved_flags);
    running_ = false;
    event_.notify();
  }

  asio::io_context& io_;
  stdin_sink sink_;
  const std::size_t chunk_bytes_;
  async_event event_;
  std::optional<asio::posix::stream_descriptor> waiter_;  ///< a dup of fd 0, for waiting
  int in_flight_ = 0;
  bool running_ = false;
  bool stopping_ = false;
};

/// A terminal or regular file on fd 0 (or anything, as asked), read by a stdin_reader thread;
/// in a raw terminal with escapes, "~." leaves, "~~" sends one "~" and the command keys go to
/// the sink.
class threaded_stdin final : public stdin_forwarding {
 public:
  threaded_stdin(asio::io_context& io, stdin_sink sink, stdin_pump_options options)
      : sink_(std::move(sink)),
        filter_escapes_(std::move(options.filter_escapes)),
        escapes_(std::move(options.command_keys)) {
    // Chunks already posted when this ends still arrive: they find `self_` empty and are
    // released.
    reader_.emplace(
        STDIN_FILENO, [&io](std::function<void()> fn) { asio::post(io, std::move(fn)); },
        [self = self_](codec::data_frame chunk, stdin_reader::release_fn release) {
          if (*self) return (*self)->deliver(std::move(chunk), std::move(release));
          release();
        },
        options.chunk_bytes);
  }
  ~threaded_stdin() override { *self_ = nullptr; }

  asio::awaitable<void> stop() override {
    reader_.reset();
    co_return;
  }

 private:
  void deliver(codec::data_frame chunk, stdin_reader::release_fn release) {
    if (filter_escapes_ && !chunk.end_of_stream() && filter_escapes_()) {
      bool leave = false;
      auto typed = escapes_.filter(chunk.bytes(), leave);
      if (leave) {
        release();
        sink_.leave();
        return;
      }
      for (const char key : escapes_.take_commands()) {
        if (sink_.command) sink_.command(key);
      }
      chunk = codec::data_frame(codec::stream_id::in, typed);
      if (chunk.bytes().empty()) return release();  // all held back by the escape filter
    }
    sink_.send(std::move(chunk), std::move(release));
  }

  std::shared_ptr<threaded_stdin*> self_ = std::make_shared<threaded_stdin*>(this);
  stdin_sink sink_;
  const std::function<bool()> filter_escapes_;
  escape_filter escapes_;
  std::optional<stdin_reader> reader_;
};

}  // namespace

std::unique_ptr<stdin_forwarding> start_stdin_pump(asio::io_context& io, stdin_sink sink,
                                                   stdin_pump_options options) {
  if (options.poll_pipes && stdin_is_pollable()) {
    return std::make_unique<polled_stdin>(io, std::move(sink), options.chunk_bytes);
  }
  if (!options.end_null_device_at_once || !stdin_is_null_device()) {
    return std::make_unique<threaded_stdin>(io, std::move(sink), std::move(options));
  }
  sink.send(codec::data_frame(codec::stream_id::in, {}, true), {});
  return nullptr;
}

}  // namespace rstream::client
