// output_drain (see output_drain.hpp).
#include "rstream/pty/output_drain.hpp"

#include <boost/asio/steady_timer.hpp>

namespace asio = boost::asio;

namespace rstream::pty {

struct output_drain::period {
  explicit period(const asio::any_io_executor& executor) : timer(executor) {}
  asio::steady_timer timer;
  asio::posix::stream_descriptor* source = nullptr;  ///< null: not started, or cancelled
  bool expired = false;
};

output_drain::output_drain(const asio::any_io_executor& executor)
    : period_(std::make_shared<period>(executor)) {}

output_drain::~output_drain() { cancel(); }

void output_drain::start(std::chrono::milliseconds limit, asio::posix::stream_descriptor& source) {
  period_->source = &source;
  period_->timer.expires_after(limit);
  period_->timer.async_wait([weak = std::weak_ptr<period>(period_)](boost::system::error_code ec) {
    const auto drain = weak.lock();
    if (ec || !drain || drain->source == nullptr) return;
    drain->expired = true;
    boost::system::error_code ignored;
    drain->source->cancel(ignored);
  });
}

bool output_drain::expired() const { return period_->expired; }

void output_drain::cancel() {
  period_->source = nullptr;
  period_->timer.cancel();
}

}  // namespace rstream::pty
