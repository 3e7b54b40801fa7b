// Small Asio completion helpers shared by every layer.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>

namespace rstream {

/// Completion token that returns (error_code, results...) instead of throwing.
inline constexpr auto use_nothrow = boost::asio::as_tuple(boost::asio::use_awaitable);

/// Completion condition for async_read/async_write that moves everything, like transfer_all,
/// but in system calls of up to 16 MiB instead of Asio's default 64 KiB, so that a 256 KiB
/// frame is one writev rather than five.
struct transfer_all_in_large_steps {
  std::size_t operator()(const boost::system::error_code& ec, std::size_t) const {
    return ec ? 0 : 16 * 1024 * 1024;
  }
};

}  // namespace rstream
